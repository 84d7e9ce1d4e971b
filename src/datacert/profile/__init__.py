"""Profile: one scan of the table, shared by every check, mergeable across row partitions."""

from datacert.profile._compute import compute_profile
from datacert.profile._merge import PartialProfile, combine_partials, merge_partials, partial_profile
from datacert.profile._profile import QUANTILE_NAMES, QUANTILES, Profile

__all__ = [
    "QUANTILES",
    "QUANTILE_NAMES",
    "PartialProfile",
    "Profile",
    "combine_partials",
    "compute_profile",
    "merge_partials",
    "partial_profile",
]
