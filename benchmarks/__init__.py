"""Benchmarks of the console's real pipeline (run with ``python -m benchmarks``); they print numbers, never pass or fail."""
