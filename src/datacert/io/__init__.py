"""Readers: every supported file format and dataframe object in, one LoadedTable out."""

from datacert.io._errors import InputError
from datacert.io._readers import detect_format, from_object, read_table
from datacert.io._source import LoadedTable

__all__ = ["InputError", "LoadedTable", "detect_format", "from_object", "read_table"]
