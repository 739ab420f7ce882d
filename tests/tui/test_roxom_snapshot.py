"""SVG snapshot of the Roxom screen with an order in PENDING_CANCEL (`cancelling`): the scenario of
tests/support/roxom_scenarios.py (also ``scripts/screenshots.py``'s roxom-pending-cancel.svg)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.roxom_scenarios import RoxomChild, order_cancelling, roxom_app, slow_cancel_roxom


@pytest.fixture
def slow_cancel(tmp_path: Path) -> Iterator[RoxomChild]:
    with slow_cancel_roxom(tmp_path / "roxom-state") as venue:
        yield venue


def test_roxom_screen_with_an_order_cancelling(snap_compare, slow_cancel: RoxomChild) -> None:
    assert snap_compare(roxom_app(slow_cancel), terminal_size=(120, 36), run_before=order_cancelling)
