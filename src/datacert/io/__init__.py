"""Readers (every format and dataframe object in, one LoadedTable out), limits, and outputs."""

from datacert.io._errors import InputError
from datacert.io._limits import LimitError, ReadLimits, current_limits, read_limits
from datacert.io._output import (
    OutputError,
    OutputSet,
    discard_pending,
    output_settings,
    register_output_hook,
    write_outputs,
)
from datacert.io._readers import detect_format, from_object, read_table
from datacert.io._settings import read_settings_file
from datacert.io._source import LoadedTable

__all__ = [
    "InputError",
    "LimitError",
    "LoadedTable",
    "OutputError",
    "OutputSet",
    "ReadLimits",
    "current_limits",
    "detect_format",
    "discard_pending",
    "from_object",
    "output_settings",
    "read_limits",
    "read_settings_file",
    "read_table",
    "register_output_hook",
    "write_outputs",
]
