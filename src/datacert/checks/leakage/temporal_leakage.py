"""temporal_leakage: evaluation records that precede training records when time matters."""

from __future__ import annotations

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.leakage._partitions import partition_codes, partition_kind
from datacert.semantics import best_date_format, parse_date_expr


def time_values(frame: pl.DataFrame, column: str, dtype: pl.DataType) -> tuple[np.ndarray, str] | None:
    """The column as float64 instants (NaN = unknown) and their unit, or None when unreadable."""
    series = frame.get_column(column)
    if dtype == pl.Date:
        return series.cast(pl.Int32).cast(pl.Float64).to_numpy(), "days"
    if isinstance(dtype, pl.Datetime):
        seconds = series.dt.epoch("ms").cast(pl.Float64) / 1000.0
        return (seconds / 86400.0).to_numpy(), "days"
    if dtype.is_numeric():
        return series.cast(pl.Float64).fill_nan(None).to_numpy(), "column units"
    if dtype == pl.String:
        fmt, rate = best_date_format(series)
        if fmt is None or rate < 0.9:
            return None
        parsed = frame.select(parse_date_expr(pl.col(column), fmt).alias("t")).get_column("t")
        if parsed.dtype == pl.Date:
            return parsed.cast(pl.Int32).cast(pl.Float64).to_numpy(), "days"
        return (parsed.dt.epoch("ms").cast(pl.Float64) / 86_400_000.0).to_numpy(), "days"
    return None


@register
class TemporalLeakage(Check):
    """Find test or validation records dated before the latest training record.

    Notes
    -----
    A model meant to predict the future must be evaluated on records later than all it was
    trained on (max(train date) < min(test date)); otherwise it learns from the future of its
    own test cases (Kapoor & Narayanan 2023, L3.1). Partitions are recognised by name: train,
    training, apprentissage, dev against test, valid, validation, holdout. The share of
    evaluation records earlier than the latest training record sets the severity; the overlap
    of the two time ranges is reported too.
    """

    id = "temporal_leakage"
    dimension = "leakage"
    governance = ("split_leakage",)
    needs = Needs(roles=("time", "split"), min_rows=2)
    params = (
        Param(
            "error_share",
            0.10,
            "share of test records before the training period from which the finding is an error",
            low=0,
            high=1,
        ),
    )
    remedy = Remedy("resplit_temporal", 29)
    cost = "linear"

    def run(self, data, profile, params):
        split, time = data.roles.split, data.roles.time
        read = time_values(data.frame, time, data.schema[time])
        if read is None:
            return CheckResult.not_applicable(
                f"the time column '{time}' could not be read as dates or numbers"
            )
        instants, unit = read
        codes, names = partition_codes(data.frame, split)
        kinds = [partition_kind(n) for n in names]
        train_codes = [i for i, k in enumerate(kinds) if k == "train"]
        eval_codes = [i for i, k in enumerate(kinds) if k == "eval"]
        if not train_codes or not eval_codes:
            return CheckResult.not_applicable(
                "the split column has no partitions named like train/training/apprentissage/dev "
                "and test/valid/validation/holdout"
            )
        known = ~np.isnan(instants)
        is_train = np.isin(codes, train_codes) & known
        is_eval = np.isin(codes, eval_codes) & known
        if not is_train.any() or not is_eval.any():
            return CheckResult.not_applicable("training or evaluation records have no known time")
        train_t, eval_t = instants[is_train], instants[is_eval]
        latest_train, earliest_eval = float(train_t.max()), float(eval_t.min())
        earlier = np.flatnonzero(is_eval & (instants < latest_train))
        n_eval = int(is_eval.sum())
        share = earlier.size / n_eval
        overlap = max(0.0, min(latest_train, float(eval_t.max())) - max(float(train_t.min()), earliest_eval))
        eval_span = float(eval_t.max()) - earliest_eval
        evidence = {
            "numerator": int(earlier.size),
            "denominator": n_eval,
            "share": share,
            "threshold": params["error_share"],
            "unit": unit,
            "train_partitions": [names[i] for i in train_codes],
            "eval_partitions": [names[i] for i in eval_codes],
            "latest_train_minus_earliest_eval": latest_train - earliest_eval,
            "range_overlap": overlap,
            "range_overlap_share_of_eval_span": overlap / eval_span if eval_span else None,
            "unknown_time_records": int((~known & (codes >= 0)).sum()),
        }
        if earlier.size == 0:
            return CheckResult.quiet(evidence)
        severity = "error" if share >= params["error_share"] else "warning"
        finding = self.finding(
            severity,
            f"{plural(int(earlier.size), 'evaluation record')} of '{split}' are dated before the latest "
            f"training record, so the model would be tested on the past of what it learned from.",
            rows=earlier,
            columns=[time, split],
            evidence=evidence,
            remedy="Split by time: train on records before a cut-off date and evaluate on records after it.",
        )
        return CheckResult.fired([finding], {"numerator": int(earlier.size), "denominator": n_eval})
