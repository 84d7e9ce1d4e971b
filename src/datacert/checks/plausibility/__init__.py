"""Checks of the plausibility dimension."""
