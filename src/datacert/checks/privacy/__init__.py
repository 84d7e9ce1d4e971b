"""Checks of the privacy dimension."""
