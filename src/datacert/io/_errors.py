"""The one error a reader raises: a sentence a user can act on, mapped to exit code 2."""


class InputError(Exception):
    """The input cannot be read as a table (missing, empty, binary, truncated, bad format)."""
