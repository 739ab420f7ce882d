"""Benchmarks of the console's real pipeline (``python -m benchmarks``); they print numbers, never pass or fail."""
