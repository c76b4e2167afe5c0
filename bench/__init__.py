"""Benchmarks: `python -m bench.erase` (see README, Benchmarks)."""
