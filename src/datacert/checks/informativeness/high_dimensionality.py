"""high_dimensionality: more features than records (HDLSS), with the signal rank for context."""

from __future__ import annotations

import numpy as np
import polars as pl

from datacert.artifacts import row_sample
from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._reference_model import class_labels, target_task
from datacert.checks._registry import register
from datacert.checks._spectral import (
    components_for,
    gram_singular_values,
    median_impute,
    participation_ratio,
    signal_rank,
    singular_values,
    spectrum_rows,
    standardize,
    standardized_gram,
)
from datacert.semantics import SemanticType

# a tall table's spectrum comes from a stratified sample of max(SPECTRUM_MIN_ROWS, 400·p) records:
# the noise bulk edge (1 + √(p/n))·σ then sits within 5 % of its value on the whole table
SPECTRUM_MIN_ROWS = 20_000
ROWS_PER_FEATURE = 400


@register
class HighDimensionality(Check):
    """Report p/n, the signal rank and the effective dimension; warn when p exceeds n (HDLSS).

    Notes
    -----
    When features outnumber records, every model can fit the training data exactly and only
    regularisation, in-fold feature selection and external validation keep it honest (methods §3.1).
    The spectrum of the standardised numeric block is computed from the n × n Gram matrix when
    p > n. The signal rank is the number of singular values above the Gavish–Donoho threshold
    ω(β)·median(σ); the participation ratio (Σλ)²/Σλ² and the components needed for 90 % of the
    variance describe the effective dimension (the latter measures noise in HDLSS data, §3.2).
    An error is reserved for extreme HDLSS (p/n ≥ 10) with no structure above the noise.
    On a tall table (n > max(20,000, 400·p)) the spectrum is computed on the shared stratified
    sample of that many records: √(p/n), the relative width of the noise bulk, is then at most 5 %.
    """

    id = "high_dimensionality"
    sample_cpu_seconds = 0.07
    dimension = "informativeness"
    governance = ("sufficiency",)
    needs = Needs(min_rows=3, artifacts=("task", "row_sample"))
    params = (
        Param("info_ratio", 0.1, "features per record from which an information finding is given", low=0),
        Param("warning_ratio", 1.0, "features per record from which the finding is a warning", low=0),
        Param("extreme_ratio", 10.0, "features per record from which the finding is an error", low=0),
        Param(
            "events_per_signal",
            10.0,
            "events needed per dimension of signal (events per variable rule)",
            low=0,
        ),
    )
    remedy = Remedy("reduce_dimension", 95)

    def run(self, data, profile, params):
        features = data.feature_columns()
        n, p = data.n_rows, len(features)
        if p == 0:
            return CheckResult.not_applicable("needs at least one feature column")
        ratio = p / n
        evidence = {
            "n": n,
            "p": p,
            "p_over_n": ratio,
            "numerator": p,
            "denominator": n,
            "regime": _regime(ratio),
            **self._spectrum(data),
        }
        rank = evidence.get("signal_rank")
        if rank:
            evidence["n_per_signal_dimension"] = n / rank
        if target_task(data) == "classification":
            _, codes, _ = class_labels(data)
            events = int(np.bincount(codes).min()) if codes.size else 0
            evidence["minority_events"] = events
            if rank:
                evidence["events_per_signal_dimension"] = events / rank
        if ratio <= params["info_ratio"]:
            return CheckResult.quiet(evidence)
        columns = features if p <= 50 else []
        if ratio >= params["extreme_ratio"] and rank == 0:
            severity, threshold = "error", params["extreme_ratio"]
            message = (
                f"The table has {ratio:,.0f} times more features than records and no structure "
                "stands out from the noise."
            )
        elif ratio > params["warning_ratio"]:
            severity, threshold = "warning", params["warning_ratio"]
            message = f"The table has more features ({p:,}) than records ({n:,}), so models overfit easily."
        else:
            severity, threshold = "info", params["info_ratio"]
            message = f"The table has {p:,} features for {n:,} records, a high-dimensional setting."
        finding = self.finding(
            severity,
            message,
            columns=columns,
            evidence={**evidence, "threshold": threshold},
            remedy="Use strongly regularised models with feature selection inside cross-validation, and "
            "validate on external data; consider collecting more records.",
        )
        return CheckResult.fired([finding], evidence)

    def _spectrum(self, data) -> dict:
        columns = [
            c
            for c in data.numeric_feature_columns()
            if data.semantic_types.get(c) not in (SemanticType.IDENTIFIER, SemanticType.EMPTY)
        ]
        if len(columns) < 2 or data.n_rows < 3:
            return {"numeric_features": len(columns)}
        tall = row_sample(data, max(SPECTRUM_MIN_ROWS, ROWS_PER_FEATURE * len(columns)))
        if tall.sampled:  # only the sampled records are converted, never the whole block
            matrix = data.frame[tall.rows].select([pl.col(c).cast(pl.Float64) for c in columns]).to_numpy()
        else:
            matrix = data.numeric_matrix(columns)
        sample = spectrum_rows(*matrix.shape)
        # every record of a wide block: the Gram product of its standardised copy, shared with
        # distribution_shift and the poisoning screen (the spectrum needs nothing else)
        gram = None if tall.sampled or sample is not None else standardized_gram(data, columns)
        if gram is None:
            X = standardize(median_impute(matrix if sample is None else matrix[sample]))
            values = singular_values(X)
            shape = X.shape
        else:
            values = gram_singular_values(gram)
            shape = matrix.shape
        rank, threshold = signal_rank(values, shape[0], shape[1])
        out = {
            "numeric_features": len(columns),
            "signal_rank": rank,
            "gavish_donoho_threshold": threshold,
            "participation_ratio": participation_ratio(values),
            "components_90_percent": components_for(values, 0.90),
            "leading_singular_values": values[: min(10, values.size)].tolist(),
        }
        out.update(tall.evidence())
        if sample is not None:  # the spectrum's own row sample (both n and p large)
            out["sampled_rows"] = int(sample.size)
            out.setdefault("population_rows", data.n_rows)
        return out

    def correction(self, findings, data, plan):
        """Pass the signal rank on: the model search reduces wide tables to it."""
        for f in findings:
            rank = f.evidence.get("signal_rank")
            if isinstance(rank, (int, float)) and rank >= 1:
                plan.signal_rank = int(rank)
        return True


def _regime(ratio: float) -> str:
    if ratio < 0.1:
        return "classical"
    if ratio <= 1:
        return "high-dimensional"
    return "HDLSS" if ratio <= 10 else "extreme HDLSS"
