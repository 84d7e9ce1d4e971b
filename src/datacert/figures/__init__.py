"""Plot data for the report, computed from the dataset during the assay (renderers only draw it).

The figure data are part of the certificate (its `figures` entry, bounded in size: at most
MAX_POINTS points per map, HIST_BINS bins per histogram, MAX_LEVELS levels per bar chart), so a
report drawn from a JSON certificate is the report drawn at assay time, and a finished
certificate keeps no reference to the table.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from datacert.dataset import Dataset
from datacert.figures._compute import HIST_BINS, MAX_LEVELS, MAX_POINTS, compute_figures, embeddings
from datacert.findings import Finding, to_plain
from datacert.profile import Profile


def figure_data(data: Dataset, profile: Profile, findings: Sequence[Finding]) -> dict[str, Any]:
    """Plot data for the report of this dataset, exactly as the JSON certificate will hold them.

    The data go through one JSON round trip (keys sorted, as the certificate writes them), so a
    report drawn now and one drawn later from the JSON file are the same page.
    """
    plain = to_plain(compute_figures(data, profile, findings))
    return json.loads(json.dumps(plain, sort_keys=True, ensure_ascii=False))


def start_figures(data: Dataset) -> threading.Thread:
    """Start building the figures that do not depend on the findings (the embedding map: 0.3 s on
    300 x 20,000) on a thread of their own, to run beside the checks; join it before `figure_data`.

    For runs whose checks run side by side (`datacert.checks.check_threads`): there the map fills
    the idle moments of either core instead of waiting for the last check.
    """
    thread = threading.Thread(target=embeddings, args=(data,), name="datacert-figures")
    thread.start()
    return thread


__all__ = ["HIST_BINS", "MAX_LEVELS", "MAX_POINTS", "compute_figures", "figure_data", "start_figures"]
