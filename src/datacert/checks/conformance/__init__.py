"""Checks of the conformance dimension."""
