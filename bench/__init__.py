"""Benchmarks: run ``make bench`` (or ``python -m bench``); each prints its figures and ratios to the targets."""
