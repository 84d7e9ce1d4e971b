"""Recognisers of direct identifiers in a column: shapes (vectorised) and validators (on a sample).

A shape is a regular expression run by the engine over the whole column (it gives the rows);
a validator (check digits with python-stdnum, numbering plans with phonenumbers) runs in Python
on a bounded, evenly spaced sample of distinct values (it gives the confidence).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl
from stdnum.fr import nir as fr_nir
from stdnum.us import ssn as us_ssn

import datacert.knowledge as knowledge

SAMPLE_VALUES = 500

EMAIL = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$"
# NIR / NIA / NNP: sex, year, month (01-12 or civil-registry 20-99), département (2A/2B), commune, order, key
NIR = r"^[1-478]\d{2}(0[1-9]|1[0-2]|[2-9]\d)(\d{2}|2[AaBb])\d{6}(\d{2})?$"
SSN = r"^\d{3}-\d{2}-\d{4}$"
PHONE = r"^(\+|00)?[\d\s.\-()/]{8,22}$"
STREET_TYPES = (
    r"rue|r|avenue|av|ave|bd|boulevard|blvd|chemin|ch|chem|allee|all[ée]e|impasse|imp|place|pl|"
    r"quai|route|rte|cours|square|sq|passage|cite|cit[ée]|residence|r[ée]sidence|lotissement|"
    r"lieu[- ]dit|hameau|faubourg|fg|street|st|road|rd|lane|ln|drive|dr|way|court|ct|terrace|"
    r"close|crescent|parkway|highway|hwy"
)
FRENCH_STREETS = (
    r"rue|avenue|boulevard|bd|chemin|allee|all[ée]e|impasse|place|quai|route|cours|square|"
    r"passage|cit[ée]|r[ée]sidence|lotissement|lieu[- ]dit|hameau|faubourg"
)
ADDRESS = (
    rf"(?i)^\s*(\d{{1,5}}\s*(bis|ter|[a-d])?\s*,?\s+({STREET_TYPES})\.?|({FRENCH_STREETS}))"
    r"\s+\S+"
)
NAME_SHAPE = r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’\-]*([ \-][A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’\-]*){0,3}$"
HOSPITAL_ID = r"^[A-Za-z]{0,4}[\-_ ]?\d{5,}[A-Za-z]?$"

NAME_COLUMN = re.compile(
    r"(?:^|_)(nom|noms|prenom|prenoms|name|names|first_?name|last_?name|surname|given_?name|family_?name|"
    r"full_?name|patient_?name|nom_?patient|nom_?naissance|nom_?usage|nom_?de_?jeune_?fille|"
    r"maiden_?name|forename|medecin|doctor|physician|praticien|referent)(?:_|$)"
)
NOT_PERSON = re.compile(
    r"(?:^|_)(drug|medicament|molecule|dci|site|hospital|hopital|centre|center|etablissement|service|unit|"
    r"unite|test|exam|examen|analyse|variable|file|fichier|lab|labo|laboratoire|gene|protein|proteine|"
    r"species|espece|code|study|etude|product|produit|ville|city|commune|pays|country|region|"
    r"departement|street|rue|voie|organism|organisme|germe|bacterie|pathogen|diagnosis|diagnostic|"
    r"procedure|acte|device|dispositif|specialite|specialty|sample|echantillon|batch|plate|cell|tissue|"
    r"tissu|strain|souche|brand|marque|column|colonne|feature|model|modele|group|groupe|class|classe|"
    r"category|categorie|type)(?:_|$)"
)
NIR_COLUMN = re.compile(
    r"(?:^|_)(nir|nss|secu|securite_sociale|num_secu|insee|matricule_ins|ins|"
    r"social_security|sécu)(?:_|$)"
)
SSN_COLUMN = re.compile(r"(?:^|_)(ssn|social_security(_number)?|sin)(?:_|$)")
PHONE_COLUMN = re.compile(r"(?:^|_)(tel|telephone|phone|portable|mobile|cell|gsm|fixe|fax)(?:_|$)")
EMAIL_COLUMN = re.compile(r"(?:^|_)(e?mail|courriel|email_address|adresse_mail)(?:_|$)")
ADDRESS_COLUMN = re.compile(r"(?:^|_)(adresse|address|addr|rue|street|voie|domicile)(?:_|$)")
HOSPITAL_ID_COLUMN = re.compile(
    r"(?:^|_)(ipp|nip|nda|mrn|num_?dossier|numero_?dossier|n_?dossier|no_?dossier|dossier|num_?sejour|"
    r"numero_?sejour|n_?sejour|no_?sejour|num_?venue|n_?venue|hospital_?number|medical_?record(_?number)?|"
    r"record_?number|hn|id_?patient_?hopital|identifiant_?permanent)(?:_|$)"
)


@dataclass(frozen=True)
class Detection:
    """What a column holds and how sure we are."""

    kind: str
    label: str
    shape: str
    basis: str
    sample_size: int
    shape_share: float
    validated_share: float | None = None


def _digits(value: str) -> str:
    return re.sub(r"[\s.\-/]", "", value)


def valid_nir(value: str) -> bool:
    compact = _digits(value).upper()
    return len(compact) == 15 and fr_nir.is_valid(compact)


def valid_ssn(value: str) -> bool:
    return us_ssn.is_valid(value)


def valid_phone(value: str) -> bool:
    """A number valid in its numbering plan: international (+, 00), French national (0...), or a
    North-American number written with its separators (a bare 10-digit number is more often an id)."""
    text = value.strip()
    if text.startswith(("+", "00")):
        regions: tuple[str, ...] = ("FR",)
    elif text.startswith("0"):
        regions = ("FR", "RE", "GP", "MQ", "GF", "YT", "GB")
    elif re.match(r"^\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}$", text):
        regions = ("US",)
    else:
        return False
    import phonenumbers  # loaded on the first phone-shaped value: most tables hold none

    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


@lru_cache(maxsize=1)
def person_names() -> frozenset[str]:
    raw = knowledge.load("person_names")
    return frozenset(str(n).replace("_", " ") for n in raw["first_names"] + raw["surnames"])


def sample_values(series: pl.Series, limit: int = SAMPLE_VALUES) -> list[str]:
    """Up to `limit` distinct non-empty values, evenly spaced in sorted order (deterministic)."""
    # distinct values first: stripping 1,000,000 coded values costs more than hashing them
    values = series.cast(pl.String).drop_nulls().unique().str.strip_chars()
    values = values.filter(values != "").unique().sort()
    if values.len() > limit:
        idx = (np.arange(limit) * (values.len() / limit)).astype(np.int64)
        values = values.gather(idx)
    return values.to_list()


def _share(values: list[str], test: Callable[[str], bool]) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _shape_share(values: list[str], pattern: str) -> float:
    compiled = re.compile(pattern)
    return _share(values, lambda v: bool(compiled.match(v)))


def _name_share(values: list[str]) -> float:
    """Share of values with at least one token that is a known given name or surname."""
    known = person_names()

    def hit(value: str) -> bool:
        tokens = re.split(r"[\s\-]+", _fold(value))
        return any(t in known for t in tokens)

    return _share(values, hit)


def _fold(value: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", value.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def detect(name: str, values: list[str], distinct_share: float) -> Detection | None:
    """The kind of direct identifier a column holds, from its normalised name and a value sample."""
    n = len(values)
    if n == 0:
        return None
    email = _shape_share(values, EMAIL)
    if email >= 0.5 or (EMAIL_COLUMN.search(name) and email >= 0.2):
        return Detection("email", "e-mail addresses", EMAIL, "content", n, email)
    compact = [_digits(v) for v in values]
    nir_shape = _shape_share(compact, NIR)
    if nir_shape >= 0.5:
        valid = _share(values, valid_nir)
        if valid >= 0.5 or NIR_COLUMN.search(name):
            return Detection(
                "nir", "social security numbers (NIR)", NIR, "content, check key", n, nir_shape, valid
            )
    ssn_shape = _shape_share(values, SSN)
    if ssn_shape >= 0.5:
        valid = _share(values, valid_ssn)
        if valid >= 0.8 or SSN_COLUMN.search(name):
            return Detection(
                "ssn", "social security numbers (SSN)", SSN, "content, number rules", n, ssn_shape, valid
            )
    if HOSPITAL_ID_COLUMN.search(name):
        ids = _shape_share(values, HOSPITAL_ID)
        if ids >= 0.9 and distinct_share >= 0.3:
            return Detection(
                "hospital_id",
                "hospital patient or stay numbers (IPP/NDA)",
                HOSPITAL_ID,
                "name and content",
                n,
                ids,
            )
    phone_shape = _shape_share(values, PHONE)
    if phone_shape >= 0.5 and sum(c.isdigit() for c in "".join(values[:50])) >= 9 * min(n, 50) * 0.5:
        valid = _share(values, valid_phone)
        if valid >= 0.5 or (PHONE_COLUMN.search(name) and valid >= 0.2):
            return Detection(
                "phone", "phone numbers", PHONE, "content, numbering plan", n, phone_shape, valid
            )
    address = _shape_share(values, ADDRESS)
    if address >= 0.3 or (ADDRESS_COLUMN.search(name) and address >= 0.1):
        return Detection("address", "street addresses", ADDRESS, "content", n, address)
    shaped = _shape_share(values, NAME_SHAPE)
    if shaped >= 0.8 and n >= 3 and not NOT_PERSON.search(name):
        known = _name_share(values)
        by_name = bool(NAME_COLUMN.search(name))
        # a column named for names is strong evidence whatever the case of its values and whether
        # or not they are in the shipped name list
        if by_name or known >= 0.4:
            return Detection(
                "person_name",
                "people's names",
                NAME_SHAPE,
                "name and content" if by_name else "content (name list)",
                n,
                shaped,
                known,
            )
    return None


SHORT_TOKEN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’\-]{1,24}$")


def looks_like_names_beside(name: str, values: list[str], n_distinct: int, distinct_share: float) -> bool:
    """Beside a column of names: many distinct short alphabetic tokens are names too (a first-name
    column next to a surname column), unless the column's name says what else they are."""
    if NOT_PERSON.search(name) or n_distinct < 20 or distinct_share < 0.2 or not values:
        return False
    return _share(values, lambda v: bool(SHORT_TOKEN.match(v))) >= 0.9


person_names()  # read the name list when the module is imported, never while a check runs
