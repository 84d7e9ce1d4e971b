"""`python -m datacert.cli`: the command line, as the `datacert` script runs it."""

from datacert.cli import main

main()
