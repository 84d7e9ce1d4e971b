"""Tests of datacert (a package, so that `tests.*` imports never resolve to a `tests` module installed by a dependency)."""
