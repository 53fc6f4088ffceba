"""Benchmarks of the API: a data generator and a load runner (see bench/api_bench.py)."""
