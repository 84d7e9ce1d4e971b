"""inconsistent_categories: one category spelled several ways ("Homme", "homme ", "H", "male")."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import polars as pl

from datacert.checks._base import Check, CheckResult, Needs, Param, Remedy
from datacert.checks._registry import register
from datacert.checks._text_patterns import MISSING_TOKENS, fold, fold_name, string_columns
from datacert.checks._util import plural
from datacert.findings import Severity
from datacert.semantics import SemanticType

# Folded spellings of the same answer; applied only when a whole column lives in one domain.
SYNONYM_DOMAINS: dict[str, dict[str, str]] = {
    "sex": {
        **dict.fromkeys(
            (
                "h",
                "m",
                "homme",
                "hommes",
                "male",
                "males",
                "man",
                "men",
                "masculin",
                "masc",
                "garcon",
                "boy",
                "mr",
                "monsieur",
                "sexe masculin",
            ),
            "male",
        ),
        **dict.fromkeys(
            (
                "f",
                "femme",
                "femmes",
                "female",
                "females",
                "woman",
                "women",
                "feminin",
                "fem",
                "fille",
                "girl",
                "mme",
                "madame",
                "sexe feminin",
            ),
            "female",
        ),
    },
    "yes_no": {
        **dict.fromkeys(("oui", "o", "yes", "y", "vrai", "true"), "yes"),
        **dict.fromkeys(("non", "n", "no", "faux", "false"), "no"),
    },
    "test_result": {
        **dict.fromkeys(("positif", "positive", "pos"), "positive"),
        **dict.fromkeys(("negatif", "negative", "neg"), "negative"),
    },
}
_SEPARATORS = re.compile(r"[\s_\-]+")
# Columns of personal names: their spellings are identities, not categories (and must not be listed).
_PERSON_NAME = re.compile(
    r"(^|_)(nom|noms|prenom|prenoms|name|names|surname|firstname|first_name|lastname|"
    r"last_name|nom_naissance|nom_usage|patient|medecin|doctor|adresse|address|email|mail)($|_)"
)
# Codes stored as text ("1", "2"...) are categories too: " 1" and "1" are two levels to an encoder.
TYPES = (SemanticType.CATEGORY, SemanticType.BOOLEAN, SemanticType.INTEGER_CATEGORY)
# Punctuation that ends an abbreviation or a typed entry ("Homme.", "1.") without changing it.
_END_PUNCTUATION = ".,;:"


def category_key(value: str) -> str:
    """What two spellings of one category share: no accents, no case, one space for any separator,
    no full stop or comma at either end ('Homme.' and 'homme' are one answer)."""
    key = _SEPARATORS.sub(" ", fold(value)).strip()
    return key.strip(_END_PUNCTUATION).strip() or key


@register
class InconsistentCategories(Check):
    """Find categorical columns where one category is written several ways.

    Notes
    -----
    Works on the distinct values only (one value count per column): each spelling is folded
    (Unicode NFKD without accents, case folded, spaces and separators collapsed, a full stop,
    comma or semicolon at either end dropped). Codes stored as text ("1", " 1", "1.") count as
    categories: an encoder makes two levels of " 1" and "1". On the trust benchmark the check
    missed every respelled race code of aids_actg320 (stored as text digits) and the third of
    respelled records that the lower-casing variant turns into 'male.' (a trailing full stop)
    before these two rules. When all the
    values of a column belong to one known domain (sex: H/M/Homme/male/F/Femme/female; yes/no:
    oui/non/yes/no/O/N; test result: positif/positive/pos), synonyms are merged too. The canonical
    spelling of a group is its most
    frequent one; the mapping variant → canonical is what pre-qualification applies.
    """

    id = "inconsistent_categories"
    dimension = "conformance"
    needs = Needs(min_rows=2, column_types=TYPES)
    params = (
        Param("max_levels", 500, "distinct levels above which a column is not treated as categorical", low=1),
        Param(
            "domain_share",
            0.95,
            "share of values inside a known vocabulary needed to use that vocabulary",
            low=0,
            high=1,
        ),
        Param(
            "error_share",
            0.05,
            "share of records in variant spellings from which the finding is an error",
            low=0,
            high=1,
        ),
    )
    kahn = "conformance.value"
    remedy = Remedy("merge_categories", 50, automatic=True)
    cost = "linear"

    def run(self, data, profile, params):
        types = data.semantic_types
        schema = data.schema
        excluded = {data.roles.id, data.roles.group, data.roles.split} - {None}
        n_unique = profile.stat("n_unique")
        columns = [
            c
            for c in string_columns(data, include_text=False)
            if c not in excluded
            and types.get(c) in TYPES
            and (types.get(c) != SemanticType.INTEGER_CATEGORY or schema[c] == pl.String)
            and 2 <= (n_unique[c] or 0) <= params["max_levels"]
            and not _PERSON_NAME.search(fold_name(c))
        ]
        if not columns:
            return CheckResult.quiet({"numerator": 0, "denominator": 0})
        # the profile counted the levels of every column with few distinct values: only columns it
        # did not count are counted here
        known = {c: dict(profile.value_counts[c]) for c in columns if c in profile.value_counts}
        missing = [c for c in columns if c not in known]
        counted = (
            data.frame.select(
                [
                    (pl.col(c) if schema[c] == pl.String else pl.col(c).cast(pl.String))
                    .drop_nulls()
                    .value_counts(name="n")
                    .implode()
                    .alias(c)
                    for c in missing
                ]
            ).row(0, named=True)
            if missing
            else {}
        )
        counts = profile.stat("count")
        findings = []
        for c in columns:
            levels = known[c] if c in known else {item[c]: int(item["n"]) for item in counted[c] or ()}
            mapping, domain = _mapping(levels, params)
            if mapping:
                findings.append(self._finding(data, c, mapping, domain, levels, counts[c], params))
        return CheckResult.fired(findings, {"numerator": len(findings), "denominator": len(columns)})

    def _finding(self, data, column, mapping, domain, levels, count, params):
        schema = data.schema
        values = pl.col(column) if schema[column] == pl.String else pl.col(column).cast(pl.String)
        rows = (
            data.frame.select(values.is_in(list(mapping)).fill_null(False).arg_true()).to_series().to_numpy()
        )
        rate = len(rows) / count if count else 0.0
        severe = rate >= params["error_share"] or column == data.roles.target
        canonical = sorted(set(mapping.values()))
        groups = {k: sorted([k, *[v for v, target in mapping.items() if target == k]]) for k in canonical}
        after = len(set(levels) - set(mapping))
        return self.finding(
            Severity.ERROR if severe else Severity.WARNING,
            f"Column {column!r} writes {plural(len(canonical), 'category', 'categories')} in several ways, "
            f"so {len(levels)} spellings stand for {after} categories.",
            columns=[column],
            rows=rows,
            evidence={
                "mapping": mapping,
                "groups": groups,
                "domain": domain,
                "numerator": len(rows),
                "denominator": count,
                "rate": rate,
                "threshold": params["error_share"],
                "levels_before": len(levels),
                "levels_after": after,
            },
            remedy=f"Replace each spelling by its canonical form in {column!r} (mapping in the evidence), "
            "and fix the entry form or export so that one spelling is used.",
        )

    def correction(self, findings, data, plan):
        """Merge each variant spelling into its canonical level."""
        mapping = _category_maps(findings)
        if mapping:
            plan.add_step("merge_categories", mapping=mapping)
        return bool(mapping)


def _mapping(levels: Mapping[str, int], params: Mapping[str, Any]) -> tuple[dict[str, str], str | None]:
    """{variant: canonical} for a column's distinct values, and the synonym domain used if any."""
    keys = {v: category_key(v) for v in levels}
    real = {v: k for v, k in keys.items() if k not in MISSING_TOKENS}
    total = sum(levels[v] for v in real)
    domain = None
    for name, table in SYNONYM_DOMAINS.items():
        inside = sum(levels[v] for v, k in real.items() if k in table)
        distinct = {table[k] for k in real.values() if k in table}
        if total and inside >= params["domain_share"] * total and len(distinct) >= 1:
            domain = name
            real = {v: (table.get(k, k)) for v, k in real.items()}
            break
    groups: dict[str, list[str]] = defaultdict(list)
    for value, key in real.items():
        groups[key].append(value)
    mapping: dict[str, str] = {}
    for spellings in groups.values():
        if len(spellings) < 2:
            continue
        canonical = min(spellings, key=lambda v: (-levels[v], v))
        mapping.update({v: canonical for v in sorted(spellings) if v != canonical})
    return dict(sorted(mapping.items())), domain if mapping else None


def _category_maps(findings) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for f in findings:
        mapping = f.evidence.get("mapping")
        if not isinstance(mapping, Mapping) or not mapping:
            continue
        if all(isinstance(v, Mapping) for v in mapping.values()):
            for c, m in mapping.items():
                out.setdefault(c, {}).update({str(k): str(v) for k, v in m.items()})
        else:
            for c in f.columns:
                out.setdefault(c, {}).update({str(k): str(v) for k, v in mapping.items()})
    return out
