"""Checks of the representativeness dimension."""
