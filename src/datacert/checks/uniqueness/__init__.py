"""Checks of the uniqueness dimension."""
