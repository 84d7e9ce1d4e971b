"""`python -m datacert`: the `datacert` script's entry, signal handlers installed first."""

from datacert._entry import main

main()
