"""direct_identifier: columns that identify patients directly (names, NIR/SSN, phones, e-mails...)."""

from __future__ import annotations

import polars as pl

from datacert.checks._base import Check, CheckResult, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._util import plural
from datacert.checks.plausibility._physiology import normalise_name
from datacert.checks.privacy._identifiers import (
    HOSPITAL_ID_COLUMN,
    NIR_COLUMN,
    PHONE_COLUMN,
    SSN_COLUMN,
    detect,
    looks_like_names_beside,
    sample_values,
)

_DIGIT_KINDS = {"nir", "ssn", "phone"}


@register
class DirectIdentifier(Check):
    """Find columns holding direct identifiers: names, NIR/SSN, phone numbers, e-mails, addresses, IPP/NDA.

    Notes
    -----
    Each text column (and each integer column whose name suggests an identifier) is recognised
    from a sample of up to 500 distinct values: e-mail shape; NIR shape with its mod-97 key
    (python-stdnum, Corsica 2A/2B handled); US SSN with its numbering rules; phone numbers valid
    in the French, overseas, US or UK numbering plans (phonenumbers); street addresses (number
    and a street-type word: rue, avenue, bd, chemin, allée, impasse, street, road...); IPP/NDA-like
    hospital numbers (by column name and id-shaped content); people's names (a column named for
    names - nom, prénom, first_name, patient_name... - whatever the case of its values and whether
    or not they are in the shipped list; else the shipped list of frequent given names and
    surnames; and, beside a name column, a high-cardinality column of short alphabetic tokens).
    Rows are the records whose value has the identifier's shape, found by one vectorised pass.
    Free-text columns are left to phi_in_text. Such data must be removed or pseudonymised before
    training: severity error.
    """

    id = "direct_identifier"
    dimension = "privacy"
    governance = ("personal_data",)
    params = (
        Param("sample_values", 500, "distinct values per column looked at for identifier patterns", low=1),
    )
    remedy = Remedy("drop_columns", 32, automatic=True)

    def run(self, data, profile, params):
        schema = data.schema
        text_roles = set(data.roles.text)
        distinct = profile.stat("n_unique")
        counts = profile.stat("count")
        findings = []
        examined = 0
        undetected: list[tuple[str, str, list[str], int]] = []
        for column in data.columns:
            if column in text_roles:
                continue
            dtype = schema[column]
            name = normalise_name(column)
            if dtype.is_integer():
                if not (
                    NIR_COLUMN.search(name)
                    or SSN_COLUMN.search(name)
                    or PHONE_COLUMN.search(name)
                    or HOSPITAL_ID_COLUMN.search(name)
                ):
                    continue
            elif dtype not in (pl.String, pl.Categorical):
                continue
            count = counts.get(column) or 0
            if not count:
                continue
            examined += 1
            values = sample_values(data.frame.get_column(column), params["sample_values"])
            detection = detect(name, values, (distinct.get(column) or 0) / count)
            if detection is None:
                if dtype in (pl.String, pl.Categorical):
                    undetected.append((column, name, values, count))
                continue
            text = pl.col(column).cast(pl.String).str.strip_chars()
            if detection.kind in _DIGIT_KINDS and detection.kind != "ssn":
                text = text.str.replace_all(r"[\s.\-/]", "")
            hit = (
                text.str.contains(detection.shape) if detection.kind != "person_name" else text.is_not_null()
            )
            rows = data.frame.select(hit.fill_null(False).arg_true()).to_series().to_numpy()
            if not rows.size:
                continue
            evidence = {
                "numerator": int(rows.size),
                "denominator": count,
                "kind": detection.kind,
                "detected_by": detection.basis,
                "sample_size": detection.sample_size,
                "sample_share_with_shape": detection.shape_share,
            }
            if detection.validated_share is not None:
                evidence["sample_share_validated"] = detection.validated_share
            findings.append(
                self.finding(
                    "error",
                    f"Column {column!r} holds {detection.label}, which identify patients directly "
                    f"({plural(int(rows.size), 'record')}).",
                    columns=[column],
                    rows=rows,
                    evidence=evidence,
                    remedy=f"Remove {column!r} before training, or replace it with a keyed pseudonym "
                    "kept apart "
                    "from the training data.",
                )
            )
        if any(f.evidence["kind"] == "person_name" for f in findings):
            for column, name, values, count in undetected:
                n_distinct = distinct.get(column) or 0
                if looks_like_names_beside(name, values, n_distinct, n_distinct / count):
                    rows = data.frame.select(pl.col(column).is_not_null().arg_true()).to_series().to_numpy()
                    findings.append(self._beside_finding(column, rows, count))
            findings.sort(key=lambda f: data.columns.index(f.columns[0]))
        return CheckResult.fired(
            findings, {"numerator": len(findings), "denominator": examined, "columns_examined": examined}
        )

    def _beside_finding(self, column, rows, count):
        return self.finding(
            "error",
            f"Column {column!r} holds short alphabetic tokens of high cardinality beside a column of "
            f"people's names: most likely names too ({plural(int(rows.size), 'record')}).",
            columns=[column],
            rows=rows,
            evidence={
                "numerator": int(rows.size),
                "denominator": count,
                "kind": "person_name",
                "detected_by": "content beside a name column",
            },
            remedy=f"Remove {column!r} before training, or replace it with a keyed pseudonym kept apart "
            "from the training data.",
        )

    def correction(self, findings, data, plan):
        """Drop the columns that identify a person (role columns are kept and reported)."""
        for f in findings:
            plan.drop(f.columns, self.id)
        return True
