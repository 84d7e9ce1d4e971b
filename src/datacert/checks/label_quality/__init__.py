"""Checks of the label_quality dimension."""
