"""Profile: one scan of the table, shared by every check, mergeable across row partitions."""

from datacert.profile._compute import compute_profile
from datacert.profile._merge import (
    PartialProfile,
    ProfileGuide,
    combine_partials,
    finish_profile,
    merge_partials,
    partial_profile,
    profile_guide,
)
from datacert.profile._profile import QUANTILE_NAMES, QUANTILES, Profile

__all__ = [
    "QUANTILES",
    "QUANTILE_NAMES",
    "PartialProfile",
    "Profile",
    "ProfileGuide",
    "combine_partials",
    "compute_profile",
    "finish_profile",
    "merge_partials",
    "partial_profile",
    "profile_guide",
]
