"""One measurement in a fresh process: `python -m benchmarks._measure TASK WORKLOAD` prints JSON.

A fresh process per measurement gives a clean peak RSS and no warm caches between tasks.
"""

from __future__ import annotations

import inspect
import json
import resource
import sys
import time

# first, as the command line does: datacert sets polars' allocator before polars loads
import datacert  # noqa: F401

# isort: split
import polars as pl

SLOWEST_SHOWN = 8
SPINE_CHECKS = [
    "missing_values",
    "empty_rows",
    "duplicate_rows",
    "duplicate_ids",
    "constant_columns",
    "type_mismatch",
    "formula_injection",
]
ISSUE3_CHECKS = [
    "disguised_missing",
    "informative_missingness",
    "format_violation",
    "inconsistent_categories",
    "encoding_errors",
    "mixed_units",
    "out_of_range",
    "univariate_outliers",
    "temporal_inconsistency",
    "near_duplicate_rows",
    "conflicting_labels",
    "duplicate_columns",
    "direct_identifier",
    "quasi_identifier_risk",
]
ISSUE4_CHECKS = [
    "label_issues",
    "class_imbalance",
    "target_leakage",
    "train_test_overlap",
    "group_leakage",
    "temporal_leakage",
    "multivariate_outliers",
    "high_dimensionality",
    "insufficient_sample_size",
    "redundant_features",
    "distribution_shift",
    "underrepresented_subgroup",
    "outcome_disparity",
    "poisoning_suspected",
]


def polars_scan(path: str) -> dict:
    """The baseline: one polars scan computing null counts, distinct counts, min/max/mean, duplicate rows."""
    frame = pl.read_parquet(path)
    numeric = [c for c, d in frame.schema.items() if d.is_numeric()]
    frame.select(
        [pl.col(c).null_count().alias(f"{c}|n") for c in frame.columns]
        + [pl.col(c).n_unique().alias(f"{c}|u") for c in frame.columns]
        + [pl.col(c).min().alias(f"{c}|min") for c in numeric]
        + [pl.col(c).max().alias(f"{c}|max") for c in numeric]
        + [pl.col(c).mean().alias(f"{c}|mean") for c in numeric]
    )
    duplicates = int(frame.is_duplicated().sum())
    return {"duplicate_rows": duplicates}


def datacert_run(path: str, only: list[str] | None, target: str | None, html: bool = False, **roles) -> dict:
    from datacert.assay import certify, load_dataset
    from datacert.checks import load_all_checks
    from datacert.roles import Roles

    if only is not None:
        load_all_checks(only)
    # interpreter + libraries, before any data is read; a full check, as `datacert check` does it,
    # imports the check modules' libraries (scikit-learn, SciPy's stats) while the table is read,
    # so for it this is measured before they are imported
    rss_before_data = current_rss_mb()
    # (a checkout measured with --against may predate the keyword: it then reads the table first)
    early = {"prefetch": only is None} if "prefetch" in inspect.signature(load_dataset).parameters else {}
    dataset = load_dataset(path, Roles.build(target=target, **roles), **early)
    cert = certify(dataset, only=only)
    out = {
        "rss_before_data_mb": rss_before_data,
        "verdict": cert.verdict,
        "findings": len(cert.findings),
        "checks_run": sum(1 for c in cert.checks if c["status"] in ("fired", "quiet")),
        "profile_seconds": cert.run["profile_seconds"],
        "figures_seconds": cert.run.get("figures_seconds"),
        # shared results, also inside the time of the check that first asked for them
        "artifact_seconds": cert.run.get("artifact_seconds", {}),
        "checks_seconds": round(sum(cert.run["check_seconds"].values()), 3),
        # where the time goes: the costliest checks (a shared artifact is charged to its first reader)
        "slowest_checks": dict(
            sorted(cert.run["check_seconds"].items(), key=lambda kv: (-kv[1], kv[0]))[:SLOWEST_SHOWN]
        ),
    }
    json_text = cert.to_json()
    out["json_bytes"] = len(json_text.encode())
    if html:
        out["html_bytes"] = len(cert.to_html().encode())
    return out


def current_rss_mb() -> float:
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM); ru_maxrss would carry the parent's peak across exec."""
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ydata_run(path: str, minimal: bool) -> dict:
    """The tool users would otherwise pick: ydata-profiling's HTML report (only when installed)."""
    import tempfile

    from ydata_profiling import ProfileReport

    frame = pl.read_parquet(path).to_pandas()
    with tempfile.TemporaryDirectory() as folder:
        out = f"{folder}/report.html"
        ProfileReport(frame, minimal=minimal, progress_bar=False).to_file(out)
        size = len(open(out, "rb").read())
    return {"html_bytes": size}


def main() -> None:
    task, workload = sys.argv[1], sys.argv[2]
    from benchmarks.workloads import TARGETS, workload_path

    path = str(workload_path(workload))
    target = TARGETS.get(workload)
    site = {"split": "site"} if workload == "wide" else {}
    started = time.perf_counter()
    if task == "baseline":
        result = polars_scan(path)
    elif task == "spine":
        result = datacert_run(path, SPINE_CHECKS, None)
    elif task == "issue3":
        result = datacert_run(path, ISSUE3_CHECKS, target)
    elif task == "issue4":
        result = datacert_run(path, ISSUE4_CHECKS, target, **site)
    elif task == "check_html":
        result = datacert_run(path, None, target, html=True)
    elif task in ("ydata_minimal", "ydata_default"):
        result = ydata_run(path, minimal=task == "ydata_minimal")
    elif task == "all":
        result = datacert_run(path, None, target, **site)
    else:
        raise SystemExit(f"unknown task {task}")
    result["seconds"] = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU time of all threads since the process started: on a shared machine it moves less than
    # wall time, but counts a multi-threaded baseline's threads too
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
