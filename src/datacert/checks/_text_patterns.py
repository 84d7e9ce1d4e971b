"""Text helpers shared by the conformance and completeness checks on string values.

Folding (accents, case, spaces), column-name folding for name hints, the tokens that stand for
"missing", and the patterns of mis-decoded text. Plain functions and constants only.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from datacert.dataset import Dataset

STRING_DTYPES = (pl.String, pl.Categorical)

# Folded spellings (see `fold`) that stand for "no value" in French and English exports. Words that
# are real answers in some columns ("none" for comorbidities, "absent" for a sign, "x" for a tick)
# are left out.
MISSING_TOKENS: frozenset[str] = frozenset(
    {
        "",
        "na",
        "n/a",
        "n.a.",
        "n.a",
        "#n/a",
        "nan",
        "null",
        "?",
        "??",
        "-",
        "--",
        "---",
        ".",
        "..",
        "/",
        "nr",
        "n.r.",
        "nc",
        "n.c.",
        "nd",
        "n.d.",
        "nk",
        "inconnu",
        "inconnue",
        "non renseigne",
        "non renseignee",
        "non-renseigne",
        "non connu",
        "non connue",
        "non communique",
        "non disponible",
        "non precise",
        "non applicable",
        "ne sait pas",
        "nsp",
        "manquant",
        "manquante",
        "vide",
        "unknown",
        "unk",
        "missing",
        "not available",
        "not known",
        "not recorded",
        "not applicable",
        "no data",
        "empty",
        "blank",
        "undefined",
        "#value!",
        "#ref!",
        "#div/0!",
    }
)

# Literal spellings searched with a cheap exact-match pass (no per-cell string transform).
MISSING_LITERALS: tuple[str, ...] = tuple(
    sorted(
        {
            *MISSING_TOKENS,
            *(t.upper() for t in MISSING_TOKENS),
            *(t.capitalize() for t in MISSING_TOKENS),
            *(t.title() for t in MISSING_TOKENS),
            "Non renseigné",
            "non renseigné",
            "NON RENSEIGNÉ",
            "Non Renseigné",
            "Non précisé",
            "non précisé",
            "Non communiqué",
            "non communiqué",
            " ",
            "  ",
            "NaN",
            "N/R",
            "N.R.",
            "#N/A",
        }
    )
)

# Dates that stand for "unknown date" (spreadsheet epochs, system defaults, far-future placeholders).
SENTINEL_DATES: tuple[str, ...] = (
    "1800-01-01",
    "1899-12-30",
    "1899-12-31",
    "1900-01-01",
    "1901-01-01",
    "1970-01-01",
    "2099-12-31",
    "2999-12-31",
    "9999-12-31",
)

# UTF-8 bytes read as Latin-1 or CP-1252: 'Ã©' for 'é', 'â€™' for a right quote, 'Â ' for a no-break space.
_CP1252_HIGH = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
MOJIBAKE_PATTERN = (
    "Ã[\u0080-\u00bf"
    + _CP1252_HIGH
    + "]"
    + "|Â[\u00a0-\u00bf]"
    + "|â€[\u0080-\u00bf"
    + _CP1252_HIGH
    + "]"
    + "|Å[’“¡¸½¾\u00a0\u0092\u0093]"
    + "|Ã\u0083|Ã\u0082"
)
REPLACEMENT_PATTERN = "\ufffd"
# C0 controls except tab, line feed and carriage return; DEL; C1 controls.
CONTROL_PATTERN = "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]"

_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(value: str) -> str:
    """Accents stripped (NFKD), case folded, spaces trimmed and collapsed: 'Féminin ' -> 'feminin'."""
    if not value.isascii():
        decomposed = unicodedata.normalize("NFKD", value)
        value = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", value.casefold()).strip()


def fold_name(name: str) -> str:
    """A column name reduced to lower-case ASCII words joined by '_': 'Glycémie (mg/dL)' ->
    'glycemie_mg_dl'.
    """
    return _NON_ALNUM.sub("_", fold(name)).strip("_")


def string_columns(data: Dataset, include_text: bool = True) -> list[str]:
    """Columns stored as text (String or Categorical), optionally without the free-text role."""
    schema = data.schema
    text = set(data.roles.text)
    return [
        c
        for c in data.columns
        if (schema[c] == pl.String or isinstance(schema[c], (pl.Categorical, pl.Enum)))
        and (include_text or c not in text)
    ]


def as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """The column as a String expression whatever its text storage."""
    expr = pl.col(column)
    return expr if dtype == pl.String else expr.cast(pl.String)
