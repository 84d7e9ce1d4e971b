"""Checks of the completeness dimension."""
