"""mixed_units: one numeric column holding one quantity in two units (mg/dL and mmol/L, cm and m...)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

import datacert.knowledge as knowledge
from datacert.checks._base import Check, CheckResult, Figure, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._text_patterns import fold_name
from datacert.checks._util import plural
from datacert.semantics import SemanticType

SAMPLE_LIMIT = 200_000
CONTINUOUS_KINDS = {SemanticType.CONTINUOUS, SemanticType.COUNT}


@dataclass(frozen=True)
class Conversion:
    """value_in_to_unit = scale * value_in_from_unit + offset, for columns whose name matches a hint."""

    quantity: str
    hints: tuple[re.Pattern[str], ...]
    from_unit: str
    to_unit: str
    scale: float
    offset: float

    def forward(self, value: float) -> float:
        return self.scale * value + self.offset

    def backward(self, value: float) -> float:
        return (value - self.offset) / self.scale


@lru_cache(maxsize=1)
def unit_conversions() -> tuple[Conversion, ...]:
    """The packaged conversion table (knowledge/unit_conversions.yaml), read once."""
    entries = knowledge.load("unit_conversions")["conversions"]
    return tuple(
        Conversion(
            e["quantity"],
            tuple(re.compile(h) for h in e["hints"]),
            e["from_unit"],
            e["to_unit"],
            float(e["scale"]),
            float(e.get("offset", 0.0)),
        )
        for e in entries
    )


@lru_cache(maxsize=1)
def _any_hint() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{h.pattern})" for c in unit_conversions() for h in c.hints))


def conversions_for(column: str) -> list[Conversion]:
    """The conversions a column's name suggests ('glycemie' -> glucose mmol/L <-> mg/dL, g/L...)."""
    name = fold_name(column)
    if not _any_hint().search(name):  # one search for the many names that suggest nothing
        return []
    return [c for c in unit_conversions() if any(h.search(name) for h in c.hints)]


@dataclass(frozen=True)
class UnitSplit:
    """Two clusters of one column that one conversion maps onto each other."""

    conversion: Conversion
    threshold: float  # on the original scale; the minority lies on `minority_side` of it
    minority_side: str  # "low" | "high"
    minority_in_from: bool  # the minority is written in the conversion's from_unit
    minority_count: int
    majority_count: int
    minority_median: float
    majority_median: float
    relative_error: float
    dip: float
    separation: float
    allowed_error: float = 0.0


def _allowed_error(low: np.ndarray, high: np.ndarray, s_low: float, s_high: float, tolerance: float) -> float:
    """Relative error allowed between the ratio of the two medians and a conversion factor.

    `tolerance` covers rounding and lab-to-lab differences; a small minority adds the sampling
    error of its median: a few records converted from another unit are a sample of the same
    population, whose median wanders by about 1.25·s/√k on the log scale (s the spread of the
    values, estimated on the larger cluster). Two standard errors of it are allowed on top.
    """
    minority, spread = (low, s_high) if low.size <= high.size else (high, s_low)
    standard_error = 1.2533 * spread / np.sqrt(max(minority.size, 1))
    return float(tolerance + np.expm1(2.0 * standard_error))


@register
class MixedUnits(Check):
    """Find numeric columns where some records are in another unit (glucose in mmol/L among mg/dL).

    Notes
    -----
    Only columns whose name suggests a quantity with a known conversion are tested (glycémie,
    créatinine, taille, poids, température, HbA1c, Hb, bilirubine, urée, cholestérol...). On the log
    of the positive values, candidate two-cluster splits come from Otsu's criterion, the largest
    gaps, and the place the conversion predicts the other unit would sit; each is moved to the
    emptiest point between the two medians. A split is kept only if the clusters are really two
    modes — the emptiest local density between the medians is at most `max_dip` of the density
    at the smaller mode and that hollow is unlikely by chance (Poisson, `dip_p_value`), and the
    medians are `min_separation` robust standard deviations apart — and the conversion maps one
    median onto the other within `tolerance` (10 %), widened by two standard errors of the
    minority's median when the minority is small (a few converted records). A unimodal density
    never dips between two of its points, so skewed or long-tailed data stays quiet; values
    rounded to a fixed step are spread over that step first so that rounding leaves no artificial
    hollows. Two units whose modes overlap (kg and lb, 2.2 apart) are found when the minority is
    large enough to make a visible second mode (about 15 % of records or more); in a weight column
    that mixes children and adults they are looked for in weight over height squared, which is far
    tighter (found from about 20 %), and then left to the user to convert.
    """

    id = "mixed_units"
    dimension = "conformance"
    governance = ("errors",)
    needs = Needs(min_rows=20, column_types=(SemanticType.CONTINUOUS, SemanticType.COUNT))
    params = (
        Param(
            "tolerance",
            0.10,
            "relative error allowed between the two modes' ratio and a unit conversion factor",
            low=0,
        ),
        Param(
            "max_dip", 0.5, "dip statistic above which the two modes are not separated enough", low=0, high=1
        ),
        Param(
            "dip_p_value", 0.01, "p-value of the dip test below which the column is bimodal", low=0, high=1
        ),
        Param("min_separation", 3.0, "separation between the modes (in spreads) needed", low=0),
        Param("min_minority", 5, "records the minority unit needs", low=1),
        Param("min_minority_share", 0.001, "share of records the minority unit needs", low=0, high=1),
    )
    kahn = "conformance.value"
    remedy = Remedy("convert_units", 55, automatic=True)
    figure = Figure("distribution", priority=0, log_scale=True)
    cost = "n log n"

    def run(self, data, profile, params):
        schema = data.schema
        types = data.semantic_types
        excluded = {data.roles.id, data.roles.group, data.roles.time, data.roles.split, *data.roles.text} - {
            None
        }
        tested = {}
        for c in data.columns:
            if c in excluded or not schema[c].is_numeric() or types.get(c) not in CONTINUOUS_KINDS:
                continue
            options = conversions_for(c)
            if options:
                tested[c] = options
        findings = []
        heights = [c for c, options in tested.items() if any(o.quantity == "height" for o in options)]
        for column, options in tested.items():
            values = data.frame.get_column(column).cast(pl.Float64).drop_nulls().to_numpy()
            split = find_unit_split(values, options, params)
            if split is not None:
                positive = int(np.count_nonzero(values > 0))
                findings.append(self._finding(data, column, split, positive, params))
                continue
            weight = [o for o in options if o.quantity == "weight"]
            height = next((h for h in heights if h != column), None)
            if weight and height:
                # a weight column mixing children and adults spans more than the 2.2 between kg and
                # lb, but weight over height squared (a body-mass index) is tight enough to show it
                ratio = pl.col(column).cast(pl.Float64) / pl.col(height).cast(pl.Float64).pow(2)
                values = data.frame.select(ratio).to_series().drop_nulls().to_numpy()
                split = find_unit_split(values[np.isfinite(values)], weight, params)
                if split is not None:
                    positive = int(np.count_nonzero(values > 0))
                    findings.append(self._finding(data, column, split, positive, params, height))
        return CheckResult.fired(
            findings,
            {"numerator": len(findings), "denominator": len(tested), "columns_tested": sorted(tested)},
        )

    def _finding(
        self,
        data,
        column: str,
        split: UnitSplit,
        positive: int,
        params: Mapping[str, Any],
        height: str | None = None,
    ):
        """The finding of a split of the column's values, or of weight / height² when `height`."""
        conv = split.conversion
        if split.minority_in_from:
            minority_unit, majority_unit = conv.from_unit, conv.to_unit
            scale, offset = conv.scale, conv.offset
        else:
            minority_unit, majority_unit = conv.to_unit, conv.from_unit
            scale, offset = 1.0 / conv.scale, -conv.offset / conv.scale
        x = pl.col(column).cast(pl.Float64)
        if height is not None:
            x = x / pl.col(height).cast(pl.Float64).pow(2)
        side = (x < split.threshold) if split.minority_side == "low" else (x > split.threshold)
        rows = data.frame.select((side & (x > 0)).fill_null(False).arg_true()).to_series().to_numpy()
        operation = (
            f"×{scale:.6g}" if offset == 0 else f"×{scale:.6g} {'+' if offset > 0 else '−'} {abs(offset):.6g}"
        )
        seen = f" (seen in {column!r} over {height!r} squared)" if height else ""
        basis = {"basis": f"{column} / {height}^2", "height_column": height} if height else {}
        return self.finding(
            "error",
            f"Column {column!r} seems to hold {conv.quantity} in two units: "
            f"{plural(len(rows), 'record')} look like {minority_unit} among values in {majority_unit}"
            f"{seen}.",
            columns=[column],
            rows=rows,
            evidence={
                **basis,
                "quantity": conv.quantity,
                "factor": conv.scale,
                "from_unit": minority_unit,
                "to_unit": majority_unit,
                "majority_unit": majority_unit,
                "conversion": {"scale": scale, "offset": offset},
                "numerator": len(rows),
                "denominator": positive,
                "minority_median": split.minority_median,
                "majority_median": split.majority_median,
                "relative_error": split.relative_error,
                "tolerance": params["tolerance"],
                "allowed_error": split.allowed_error,
                "dip": split.dip,
                "separation": split.separation,
                # a boundary on the ratio is not one on the column: the correction then asks
                "threshold": None if height else split.threshold,
                **({"ratio_threshold": split.threshold} if height else {}),
            },
            remedy=f"Convert the rows in {minority_unit} to {majority_unit} ({operation}), after "
            "confirming the "
            "unit with the source, then re-run the range checks.",
        )

    def correction(self, findings, data, plan):
        """Convert the minority unit's values, told apart by the boundary between the two modes."""
        units = {c: rule for f in findings for c, rule in _unit_rule(data, f).items()}
        if units:
            plan.add_step("convert_units", conversions=units)
        return bool(units)


def find_unit_split(
    values: np.ndarray, options: Sequence[Conversion], params: Mapping[str, Any]
) -> UnitSplit | None:
    """The best two-unit explanation of a column's values, or None when it has a single mode."""
    x = values[np.isfinite(values) & (values > 0)]
    if x.size > SAMPLE_LIMIT:  # evenly spaced, deterministic sample for the split only
        x = x[(np.arange(SAMPLE_LIMIT) * (x.size / SAMPLE_LIMIT)).astype(np.int64)]
    n = x.size
    min_side = max(int(params["min_minority"]), int(np.ceil(params["min_minority_share"] * n)))
    if n < 2 * min_side or n < 20:
        return None
    x = _dither(x)
    y = np.sort(np.log(x))
    if y[-1] - y[0] <= 0:
        return None
    candidates = set(_otsu_and_gap_cuts(y, min_side))
    centre = float(np.median(y))
    for conv in options:
        for other in (conv.forward(np.exp(centre)), conv.backward(np.exp(centre))):
            if other > 0:
                cut = int(np.searchsorted(y, (centre + np.log(other)) / 2))
                if min_side <= cut <= n - min_side:
                    candidates.add(cut)
    best: UnitSplit | None = None
    for cut in sorted(candidates):
        split = _evaluate(y, cut, options, params)
        if split is None:
            continue
        valley = _valley_cut(y, cut)
        refined = _evaluate(y, valley, options, params) if valley != cut else split
        split = refined or split
        if best is None or (split.dip, split.relative_error) < (best.dip, best.relative_error):
            best = split
    return best


def _local_density(y: np.ndarray, centres: np.ndarray, half: float) -> np.ndarray:
    """Number of values within `half` of each centre (y sorted)."""
    return np.searchsorted(y, centres + half, "right") - np.searchsorted(y, centres - half, "left")


def _dip(y: np.ndarray, cut: int, half: float) -> tuple[float, float]:
    """Emptiest local density between the two cluster medians over the density at the smaller mode.

    Near 0 for two separated modes; at least about 1 for one mode cut in two, because a unimodal
    density between two points never falls below its value at both of them. Also returns the
    Poisson probability of a valley that empty if the density there were that of the smaller mode,
    so that a hole among three or four values is not taken for a valley.
    """
    n = y.size
    lo, hi = cut // 2, cut + (n - cut) // 2
    ks = np.arange(max(lo, 1), min(hi, n - 1) + 1)
    modes = _local_density(y, np.array([y[lo], y[hi]]), half)
    if ks.size == 0 or modes.min() == 0:
        return float("inf"), 1.0
    valley = _local_density(y, (y[ks - 1] + y[ks]) / 2, half).min()
    return float(valley / modes.min()), float(stats.poisson.cdf(valley, modes.min()))


def _valley_cut(y: np.ndarray, cut: int) -> int:
    """Move a split to the emptiest place between the two cluster medians (widest gap on ties)."""
    n = y.size
    lo, hi = cut // 2, cut + (n - cut) // 2  # indices of the two medians
    ks = np.arange(max(lo, 1), min(hi, n - 1) + 1)
    if ks.size == 0:
        return cut
    local = _local_density(y, (y[ks - 1] + y[ks]) / 2, (y[hi] - y[lo]) / 12)
    gaps = y[ks] - y[ks - 1]
    order = np.lexsort((-gaps, local))
    return int(ks[order[0]])


def _dither(x: np.ndarray) -> np.ndarray:
    """Spread values rounded to a fixed step over that step (seeded), so rounding leaves no holes.

    Small integers on a log scale (1, 2, 3) are far apart and would look like separate modes.
    """
    distinct = np.unique(x)
    if distinct.size < 2:
        return x
    step = float(np.diff(distinct).min())
    if step <= 0 or step < 1e-6 * float(np.median(np.abs(distinct))):
        return x
    noise = np.random.default_rng(0).uniform(-step / 2, step / 2, x.size)
    return np.maximum(x + noise, step / 4)


def _otsu_and_gap_cuts(y: np.ndarray, min_side: int) -> list[int]:
    """Split positions (first index of the upper cluster): Otsu's best, and the three largest gaps."""
    n = y.size
    ks = np.arange(min_side, n - min_side + 1)
    if ks.size == 0:
        return []
    cumulative = np.cumsum(y)
    total = cumulative[-1]
    lower_mean = cumulative[ks - 1] / ks
    upper_mean = (total - cumulative[ks - 1]) / (n - ks)
    between = (ks / n) * (1 - ks / n) * (upper_mean - lower_mean) ** 2
    cuts = [int(ks[int(np.argmax(between))])]
    gaps = y[ks] - y[ks - 1]
    cuts += [int(k) for k in ks[np.argsort(-gaps, kind="stable")[:3]]]
    return cuts


def _evaluate(
    y: np.ndarray, cut: int, options: Sequence[Conversion], params: Mapping[str, Any]
) -> UnitSplit | None:
    n = y.size
    if min(cut, n - cut) < params["min_minority"]:
        return None
    low, high = y[:cut], y[cut:]
    m_low, m_high = float(np.median(low)), float(np.median(high))
    delta = m_high - m_low
    if delta <= 0:
        return None
    s_low = 1.4826 * float(np.median(np.abs(low - m_low)))
    s_high = 1.4826 * float(np.median(np.abs(high - m_high)))
    spread = max(np.sqrt((s_low**2 + s_high**2) / 2), 1e-3 * delta)
    separation = delta / spread
    if separation < params["min_separation"]:
        return None
    dip, dip_p = _dip(y, cut, delta / 12)
    if dip > params["max_dip"] or dip_p > params["dip_p_value"]:
        return None
    a_low, a_high = float(np.exp(m_low)), float(np.exp(m_high))
    allowed = _allowed_error(low, high, s_low, s_high, params["tolerance"])
    best = None
    for conv in options:
        # the low cluster in the from unit (forward maps it onto the high one), or the reverse
        for low_in_from, predicted, observed in (
            (True, conv.forward(a_low), a_high),
            (False, conv.forward(a_high), a_low),
        ):
            error = abs(predicted - observed) / observed
            if error <= allowed and (best is None or error < best[0]):
                best = (error, conv, low_in_from)
    if best is None:
        return None
    error, conv, low_in_from = best
    minority_low = low.size <= high.size
    threshold = float(np.exp((y[cut - 1] + y[cut]) / 2))
    return UnitSplit(
        allowed_error=allowed,
        conversion=conv,
        threshold=threshold,
        minority_side="low" if minority_low else "high",
        minority_in_from=low_in_from == minority_low,
        minority_count=int(min(low.size, high.size)),
        majority_count=int(max(low.size, high.size)),
        minority_median=a_low if minority_low else a_high,
        majority_median=a_high if minority_low else a_low,
        relative_error=float(error),
        dip=float(dip),
        separation=float(separation),
    )


def _unit_rule(data, f) -> dict[str, dict[str, Any]]:
    """The conversion and the boundary that separates minority-unit values from majority ones."""
    conversion = f.evidence.get("conversion") or {}
    scale = conversion.get("scale", f.evidence.get("factor"))
    if scale is None or not f.columns or not f.rows or f.evidence.get("height_column"):
        return {}  # a split seen only against height has no boundary on the column itself
    offset = float(conversion.get("offset", 0.0) or 0.0)
    column = f.columns[0]
    if column not in data.columns or not (data.schema[column].is_numeric()):
        return {}
    values = data.frame.get_column(column).cast(pl.Float64).to_numpy()
    minority = np.zeros(values.size, dtype=bool)
    minority[np.asarray(f.rows, dtype=np.int64)] = True
    observed = ~np.isnan(values)
    lo, hi = values[minority & observed], values[~minority & observed]
    if lo.size == 0 or hi.size == 0:
        return {}
    m_minor, m_major = float(np.median(lo)), float(np.median(hi))
    if isinstance(f.evidence.get("threshold"), (int, float)):
        boundary = float(f.evidence["threshold"])  # the check's own split point
    elif m_minor > 0 and m_major > 0 and offset == 0.0:
        boundary = float(np.sqrt(m_minor * m_major))
    else:
        boundary = (m_minor + m_major) / 2.0
    rule = {
        "scale": float(scale),
        "offset": offset,
        "boundary": boundary,
        "minority_below": m_minor < m_major,
        "from_unit": f.evidence.get("from_unit"),
        "to_unit": f.evidence.get("to_unit"),
    }
    caught = (values < boundary) if rule["minority_below"] else (values > boundary)
    rule["agreement_with_finding"] = float(np.mean(caught[observed] == minority[observed]))
    return {column: rule}
