"""The benchmark's fresh-process runner: a value comes back, a child's error is raised, the reference loop is timed."""

import os

import pytest

from benchmarks.isolated import reference_loop_mops, run_isolated, run_isolated_with_reference


def test_the_value_comes_back_from_another_process():
    pid, _ = run_isolated(_pid_and_args)
    assert pid != os.getpid()


def test_the_reference_loop_is_timed_in_the_same_child():
    value, reference = run_isolated_with_reference(pow, 2, 10)
    assert value == 1024
    assert 0.1 < reference < 1_000  # millions of loops per second: any real machine is in this range


def test_a_child_error_is_raised_in_the_parent_with_its_text():
    with pytest.raises(RuntimeError, match="invalid literal"):
        run_isolated(int, "not a number")


def test_reference_loop_counts_its_iterations():
    assert reference_loop_mops(loops=10_000) > 0


def _pid_and_args(*args):
    return (os.getpid(), args)
