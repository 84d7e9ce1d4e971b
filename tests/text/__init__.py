"""Tests of datacert."""
