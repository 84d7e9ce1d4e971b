"""Curated clinical knowledge shipped with datacert as data files (YAML), with their sources.

Files are read with `importlib.resources`, so they work from a wheel as well as from a checkout.
"""
