"""Package resources for the text module, read once and cached (no network, no user files)."""

from __future__ import annotations

import csv
import gzip
import re
import unicodedata
from functools import lru_cache
from importlib import resources


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")


def read_text(name: str) -> str:
    """A resource file of datacert.text.resources as text."""
    return (
        resources.files("datacert.text").joinpath("resources", *name.split("/")).read_text(encoding="utf-8")
    )


def read_lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of a resource list."""
    return [
        line.strip() for line in read_text(name).splitlines() if line.strip() and not line.startswith("#")
    ]


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Common French first names, folded (lowercase, no accents); hyphenated parts count too."""
    names = read_lines("firstnames_fr.txt")
    folded = {_fold(n) for n in names}
    folded |= {_fold(part) for n in names for part in n.split("-")}
    return frozenset(folded)


@lru_cache(maxsize=1)
def first_name_list() -> tuple[str, ...]:
    return tuple(read_lines("firstnames_fr.txt"))


@lru_cache(maxsize=1)
def surname_list() -> tuple[str, ...]:
    return tuple(read_lines("surnames_fr.txt"))


@lru_cache(maxsize=1)
def city_list() -> tuple[str, ...]:
    return tuple(read_lines("cities_fr.txt"))


@lru_cache(maxsize=1)
def cities() -> frozenset[str]:
    return frozenset(city_list())


@lru_cache(maxsize=1)
def sense_inventory() -> dict[str, list[tuple[int, str, bool]]]:
    """scossin/abbreviations sense inventory (MIT): short form -> [(sense, long form, preferred)]."""
    rows = csv.DictReader(read_text("abbreviations-fr/sense_inventory.tsv").splitlines(), delimiter="\t")
    inventory: dict[str, list[tuple[int, str, bool]]] = {}
    for row in rows:
        inventory.setdefault(row["shortForm"], []).append(
            (int(row["sense"]), row["longForm"], row["PT"] == "1")
        )
    return inventory


@lru_cache(maxsize=1)
def uppercase_abbreviations() -> frozenset[str]:
    """Short forms written in capitals in notes (HTA, NFS, CRP...): never taken for a surname."""
    forms = {sf.upper() for sf in sense_inventory() if len(sf) >= 2}
    forms |= {line.split("\t")[0] for line in read_lines("abbreviations_en.tsv")}
    forms |= {
        "IPP",
        "NDA",
        "NIR",
        "RPPS",
        "INS",
        "CHU",
        "CHR",
        "SAMU",
        "SMUR",
        "TSH",
        "INR",
        "HDL",
        "LDL",
        "BNP",
        "ECG",
        "IRM",
        "TDM",
        "ATCD",
        "TTT",
        "DDN",
        "ORL",
        "USI",
        "USIC",
        "SAU",
        "CR",
        "CRH",
        "RAS",
        "OK",
        # administrative words written in capitals next to names and addresses
        "INSEE",
        "CEDEX",
        "SECU",
        "APHP",
        "AP-HP",
        "HAS",
        "ARS",
        "CPAM",
        "MDPH",
        "EHPAD",
        "SSR",
        "USLD",
        "HAD",
        "URSSAF",
        "CAF",
        "CMU",
        "AME",
        "ALD",
        "PMSI",
        "DIM",
        "GHT",
        "FINESS",
        "SIRET",
        "ADELI",
        "CNIL",
        "RGPD",
        "COVID",
        "SARS",
        "VIH",
        "VHB",
        "VHC",
        "NSS",
        "DMP",
        "URGENT",
        "CONFIDENTIEL",
        "NOM",
        "PRENOM",
        "PRÉNOM",
        "DATE",
        "TEL",
        "TÉL",
        "FAX",
        "MAIL",
        "EMAIL",
        "ADRESSE",
    }
    return frozenset(forms)


def _read_gzip_lines(name: str) -> list[str]:
    data = resources.files("datacert.text").joinpath("resources", name).read_bytes()
    return [line for line in gzip.decompress(data).decode("utf-8").splitlines() if line]


@lru_cache(maxsize=1)
def world_given_names() -> frozenset[str]:
    """Given names of every Latin-script locale of Faker (MIT), folded: a feature, not a verdict."""
    return frozenset(_read_gzip_lines("given_names_world.txt.gz")) | first_names()


@lru_cache(maxsize=1)
def world_surnames() -> frozenset[str]:
    """Surnames of every Latin-script locale of Faker (MIT), folded."""
    return frozenset(_read_gzip_lines("surnames_world.txt.gz"))


@lru_cache(maxsize=1)
def commune_names() -> frozenset[str]:
    """French communes of 500 inhabitants or more (INSEE COG via @etalab/decoupage-administratif), folded;
    each word of a compound name counts too ("Boulogne-Billancourt" gives "boulogne" and "billancourt")."""
    names = _read_gzip_lines("communes_fr.txt.gz") + list(city_list())
    folded = {_fold(n) for n in names}
    folded |= {_fold(part) for n in names for part in re.split(r"[\s\-']+", n) if len(part) >= 4}
    return frozenset(folded)


@lru_cache(maxsize=1)
def hospital_names() -> frozenset[str]:
    """Short names of French hospitals and the words they are made of, folded."""
    names = read_lines("hospitals_fr.txt")
    folded = {_fold(n) for n in names}
    folded |= {_fold(part) for n in names for part in re.split(r"[\s\-']+", n) if len(part) >= 4}
    return frozenset(folded)
