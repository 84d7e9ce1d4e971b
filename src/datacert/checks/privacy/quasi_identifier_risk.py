"""quasi_identifier_risk: combinations of columns (age, sex, postcode, dates) that single out records."""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from datacert.checks._base import Check, CheckResult, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.plausibility._physiology import match_variable, normalise_name

_QI_NAMES = {
    "birth date": re.compile(r"naiss|birth|(?:^|_)(dob|ddn)(?:_|$)"),
    "sex": re.compile(r"(?:^|_)(sexe|sex|gender|genre)(?:_|$)"),
    "place": re.compile(
        r"(?:^|_)(code_?postal|cp|zip|zip_?code|post_?code|postal_?code|code_?commune|commune|"
        r"ville|city|town|departement|dept|residence|lieu_?de_?residence|iris|canton|county)"
        r"(?:_|$)"
    ),
    "date of stay": re.compile(
        r"(?:^|_)(admission|entree|sortie|discharge|sejour|stay|hospitalisation|"
        r"hospitalization|deces|death|visite|visit|consultation|intervention|"
        r"operation|surgery|chirurgie)(?:_|$)"
    ),
    "social attribute": re.compile(
        r"(?:^|_)(profession|occupation|metier|csp|ethnicity|ethnie|race|"
        r"nationalite|nationality|situation_?familiale|marital|statut_?marital|"
        r"pays_?naissance|country_?of_?birth|lieu_?naissance|birthplace)(?:_|$)"
    ),
}


# Alone, age in years and sex are what every research extract carries and HIPAA's Safe Harbor
# de-identification standard (45 CFR 164.514(b)(2)) keeps (ages over 89 grouped): they single a
# patient out only together with a date, a place or a rare attribute. The other kinds can.
STRONG_KINDS = frozenset({"birth date", "place", "date of stay", "social attribute"})
SAFE_HARBOR_TOP_AGE = 89


@register
class QuasiIdentifierRisk(Check):
    """Measure how well the quasi-identifiers single out records (k-anonymity, unique records).

    Notes
    -----
    Quasi-identifiers are found by name (age, birth date, sex, postal code or commune, dates of
    stay, profession, nationality...) plus the sensitive roles. Nothing is generalised: records
    are grouped on the exact values of all quasi-identifiers together (one group-by) and the
    check reports k (the smallest class), the share of records alone in their class (sample
    uniques: prosecutor risk 1) and the share in classes smaller than `k_threshold` (default 5,
    the usual floor for controlled sharing, methods §9.2). Rows are the records in small classes.
    Severity: error when at least half of the records are unique, warning when any class is
    smaller than k_threshold.

    Age, sex and the sensitive roles are weak quasi-identifiers: a research extract carries them
    by design, and HIPAA's Safe Harbor standard releases age in years (over 89 grouped) and sex.
    Without a strong one (birth date, place, date of stay, or a social attribute with more than
    `strong_categories` values, such as an occupation) the small classes
    they form are reported for information only, with the ages above 89 that Safe Harbor would
    group. On the trust benchmark this took the check from a warning on 15 of 17 untouched real
    research tables (all on age × sex) to none, while planted birth dates and postcodes are still
    found at every size (docs/trust.md).
    """

    id = "quasi_identifier_risk"
    dimension = "privacy"
    governance = ("personal_data",)
    params = (
        Param("k_threshold", 5, "k-anonymity below which a record is at risk", low=1),
        Param(
            "error_unique_share",
            0.5,
            "share of unique records from which the finding is an error",
            low=0,
            high=1,
        ),
        Param("max_classes_listed", 20, "small equivalence classes listed in the evidence", low=1),
        Param(
            "strong_categories",
            10,
            "distinct values above which a social attribute (occupation, nationality) is a strong "
            "quasi-identifier; a coarse one (race in 3 groups) is weak like sex",
            low=1,
        ),
    )
    remedy = Remedy("generalise", 70)

    def run(self, data, profile, params):
        qis, kinds = _quasi_identifiers(data)
        if not qis:
            return CheckResult.not_applicable(
                "no quasi-identifier column (age, birth date, sex, postcode, dates of stay...) was found"
            )
        n = data.n_rows
        sizes = data.frame.select(pl.len().over(qis).alias("k")).to_series().to_numpy()
        k_min = int(sizes.min()) if sizes.size else 0
        threshold = int(params["k_threshold"])
        small = np.flatnonzero(sizes < threshold)
        unique = int((sizes == 1).sum())
        n_classes = round(float(np.sum(1.0 / sizes))) if sizes.size else 0
        histogram = {
            int(s): int(c // s)
            for s, c in zip(*np.unique(sizes[sizes < threshold], return_counts=True), strict=True)
        }
        n_unique = profile.stat("n_unique")
        evidence = {
            "quasi_identifiers": qis,
            "kinds": kinds,
            "k": k_min,
            "k_threshold": threshold,
            "numerator": int(small.size),
            "denominator": n,
            "share_below_k": small.size / n if n else 0.0,
            "unique_records": unique,
            "unique_share": unique / n if n else 0.0,
            "classes": n_classes,
            "small_classes_by_size": histogram,
            "max_risk": 1.0 / k_min if k_min else None,
            "mean_risk": n_classes / n if n else None,
            "distinct_values": {c: n_unique.get(c) for c in qis},
        }
        strong = [
            c
            for c in qis
            if kinds[c] in STRONG_KINDS
            and (kinds[c] != "social attribute" or (n_unique.get(c) or 0) > params["strong_categories"])
        ]
        evidence["strong_quasi_identifiers"] = strong
        old_ages = _ages_above_safe_harbor(data, [c for c in qis if kinds[c] == "age"])
        if old_ages:
            evidence["ages_above_89"] = old_ages
        if small.size == 0:
            return CheckResult.quiet(evidence)
        names = ", ".join(repr(c) for c in qis)
        if not strong:
            severity = "info"
            message = (
                f"{plural(int(small.size), 'record')} are in classes smaller than {threshold} on {names} "
                "alone; these weak quasi-identifiers single a patient out only with a date, a place or a "
                "rare attribute"
                + (
                    f" ({sum(old_ages.values())} ages above 89 would be grouped under Safe Harbor)."
                    if old_ages
                    else "."
                )
            )
        else:
            severity = "error" if unique / n >= params["error_unique_share"] else "warning"
            message = (
                f"{plural(int(small.size), 'record')} can be singled out by {names} "
                f"(classes smaller than {threshold}; {unique / n:.0%} of records are unique)."
            )
        finding = self.finding(
            severity,
            message,
            columns=qis,
            rows=small,
            evidence=evidence,
            remedy="Generalise the quasi-identifiers before sharing (age bands, year of birth, first "
            "digits of "
            "the postcode, dates shifted per patient or reduced to month), or keep the data in a "
            "controlled environment.",
        )
        return CheckResult.fired([finding], evidence)


def _ages_above_safe_harbor(data, columns: list[str]) -> dict[str, int]:
    """Records per age column whose age is above 89 (Safe Harbor groups them as 90 or older)."""
    counts = {}
    for column in columns:
        series = data.frame.get_column(column)
        if not series.dtype.is_numeric():
            continue
        above = int((series > SAFE_HARBOR_TOP_AGE).sum())
        if above:
            counts[column] = above
    return counts


def _quasi_identifiers(data) -> tuple[list[str], dict[str, str]]:
    """Quasi-identifier columns in table order, with what each one is."""
    skip = {data.roles.id, data.roles.target, data.roles.split, data.roles.group} | set(data.roles.text)
    kinds: dict[str, str] = {}
    sieve = re.compile("|".join(p.pattern for p in _QI_NAMES.values()) + r"|(?:^|_)ages?(?:_|$)")
    for column in data.columns:
        if column in skip:
            continue
        name = normalise_name(column)
        if not sieve.search(name):
            continue  # one alternation first: wide tables have thousands of unrelated names
        variable = match_variable(column)
        if variable is not None and variable.key == "age":
            kinds[column] = "age"
            continue
        for kind, pattern in _QI_NAMES.items():
            if pattern.search(name):
                if kind == "date of stay" and not (
                    data.schema[column].is_temporal()
                    or data.semantic_types.get(column) in ("date", "datetime")
                ):
                    break
                kinds[column] = kind
                break
    for column in data.roles.sensitive:
        if column not in skip:
            kinds.setdefault(column, "sensitive role")
    order = {c: i for i, c in enumerate(data.columns)}
    qis = sorted(kinds, key=order.__getitem__)
    return qis, {c: kinds[c] for c in qis}
