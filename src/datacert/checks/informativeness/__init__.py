"""Checks of the informativeness dimension."""
