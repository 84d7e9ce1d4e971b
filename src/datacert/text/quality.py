"""Text quality facts for the profile: empty notes, copy-paste across patients, lengths, language.

Notes
-----
Everything is vectorised in polars. The language of a note is read from the share of French and
English stopwords among its words (a detector that needs no model and is right on clinical
prose of a few dozen words; short telegraphic notes come out "unknown"). Copy-paste is counted on
notes normalised for case and whitespace: the same text under two or more patients (groups) is
a copy-paste across patients; without groups, exact repeats across rows are reported instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

FR_STOPWORDS = (
    "le",
    "la",
    "les",
    "de",
    "des",
    "du",
    "un",
    "une",
    "et",
    "est",
    "dans",
    "pour",
    "avec",
    "sur",
    "pas",
    "par",
    "au",
    "aux",
    "il",
    "elle",
    "qui",
    "que",
    "en",
    "à",
    "sans",
    "ce",
    "cette",
    "son",
    "sa",
    "ses",
    "une",
    "été",
    "sont",
    "chez",
    "depuis",
)
EN_STOPWORDS = (
    "the",
    "and",
    "of",
    "to",
    "in",
    "is",
    "was",
    "with",
    "for",
    "on",
    "no",
    "not",
    "he",
    "she",
    "his",
    "her",
    "this",
    "that",
    "at",
    "by",
    "from",
    "be",
    "has",
    "had",
    "are",
    "were",
    "an",
    "as",
    "patient's",
    "denies",
    "which",
)
_FR_RE = r"(?i)\b(?:" + "|".join(sorted(set(FR_STOPWORDS), key=len, reverse=True)) + r")\b"
_EN_RE = (
    r"(?i)\b(?:" + "|".join(re.escape(w) for w in sorted(set(EN_STOPWORDS), key=len, reverse=True)) + r")\b"
)
MIN_SHARE = 0.08  # stopwords per word needed to call a language
_FR_PY = re.compile(_FR_RE)
_EN_PY = re.compile(_EN_RE)


def detect_language(text: str | None) -> str:
    """'fr', 'en' or 'unknown' for one text, by stopword shares."""
    if not text:
        return "unknown"
    words = len(text.split())
    fr = len(_FR_PY.findall(text))
    en = len(_EN_PY.findall(text))
    return _decide(fr, en, words)


def _decide(fr: int, en: int, words: int) -> str:
    if words == 0 or max(fr, en) / words < MIN_SHARE or fr == en:
        return "unknown"
    return "fr" if fr > en else "en"


def language_expr(column: str) -> pl.Expr:
    """A polars expression giving 'fr', 'en' or 'unknown' per note."""
    col = pl.col(column).fill_null("")
    fr = col.str.count_matches(_FR_RE).cast(pl.Float64)
    en = col.str.count_matches(_EN_RE).cast(pl.Float64)
    words = col.str.count_matches(r"\S+").cast(pl.Float64)
    share = pl.max_horizontal(fr, en) / pl.when(words > 0).then(words).otherwise(None)
    return (
        pl.when(share.is_null() | (share < MIN_SHARE) | (fr == en))
        .then(pl.lit("unknown"))
        .when(fr > en)
        .then(pl.lit("fr"))
        .otherwise(pl.lit("en"))
    )


def text_quality_facts(series: pl.Series, groups: pl.Series | Sequence | None = None) -> dict:
    """Facts about one text column: empties, lengths, copy-paste across patients, languages.

    Returns plain numbers only (no text), ready for the profile summary.
    """
    name = "_text"
    frame = pl.DataFrame({name: series.cast(pl.String)})
    if groups is not None:
        frame = frame.with_columns(
            pl.Series(
                "_group",
                list(groups) if not isinstance(groups, pl.Series) else groups.cast(pl.String).to_list(),
                dtype=pl.String,
            )
        )
    n = frame.height
    stripped = pl.col(name).str.strip_chars()
    facts_row = frame.select(
        (pl.col(name).is_null() | (stripped.str.len_chars() == 0)).sum().alias("empty"),
        pl.col(name).str.len_chars().min().alias("min"),
        pl.col(name).str.len_chars().quantile(0.25).alias("q25"),
        pl.col(name).str.len_chars().median().alias("median"),
        pl.col(name).str.len_chars().quantile(0.75).alias("q75"),
        pl.col(name).str.len_chars().max().alias("max"),
        pl.col(name).str.len_chars().mean().alias("mean"),
    ).row(0, named=True)
    norm = frame.with_columns(
        stripped.str.to_lowercase().str.replace_all(r"\s+", " ").alias("_norm"),
        language_expr(name).alias("_lang"),
    )
    nonempty = norm.filter(pl.col("_norm").is_not_null() & (pl.col("_norm").str.len_chars() > 0))
    if groups is not None:
        per_text = nonempty.group_by("_norm").agg(
            pl.col("_group").n_unique().alias("groups"), pl.len().alias("rows")
        )
        shared = per_text.filter(pl.col("groups") >= 2)
        duplicates = {
            "kind": "across_groups",
            "texts": shared.height,
            "rows": int(shared.get_column("rows").sum()) if shared.height else 0,
        }
    else:
        per_text = nonempty.group_by("_norm").agg(pl.len().alias("rows"))
        shared = per_text.filter(pl.col("rows") >= 2)
        duplicates = {
            "kind": "across_rows",
            "texts": shared.height,
            "rows": int(shared.get_column("rows").sum()) if shared.height else 0,
        }
    languages = dict(
        sorted(norm.filter(pl.col(name).is_not_null()).get_column("_lang").value_counts().iter_rows())
    )
    empty = int(facts_row["empty"])
    return {
        "notes": n,
        "empty_notes": empty,
        "empty_rate": empty / n if n else 0.0,
        "length_chars": {
            k: (float(facts_row[k]) if facts_row[k] is not None else None)
            for k in ("min", "q25", "median", "q75", "max", "mean")
        },
        "copy_paste": duplicates,
        "languages": {str(k): int(v) for k, v in languages.items()},
    }
