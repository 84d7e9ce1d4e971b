"""Benchmarks: deterministic workloads and a runner that reports ratios against a same-run baseline."""
