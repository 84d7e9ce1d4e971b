"""Checks of the security dimension."""
