"""Checks of the plausibility dimension.

`normalise_name` is the one spelling of a column name that the clinical knowledge is matched
against; site inference (`datacert.sites`) matches column names the same way.
"""

from datacert.checks.plausibility._physiology import normalise_name

__all__ = ["normalise_name"]
