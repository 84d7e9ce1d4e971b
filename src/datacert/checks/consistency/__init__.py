"""Checks of the consistency dimension."""
