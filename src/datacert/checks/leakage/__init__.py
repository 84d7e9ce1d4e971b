"""Checks of the leakage dimension."""
