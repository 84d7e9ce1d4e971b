"""Find personal identifiers in French clinical notes (AP-HP eds-pseudo label set, plus URL, RPPS, AGE).

Labels: NOM, PRENOM, DATE, DATE_NAISSANCE, ADRESSE, VILLE, ZIP, TEL, MAIL, SECU, IPP, NDA,
HOPITAL, URL, RPPS, AGE (an age over 89, HIPAA Safe Harbor).

Notes
-----
Rules first, then a statistical layer, nothing downloaded (reference §0). EDS-NLP is not used
because the tokenizer splits codes, `eds.dates` alone costs ~8 ms per note (the de-identification
budget is ~3 ms) and it would pull spaCy and ~600 MB into the install for pipes we do not need;
eds-pseudo is not on PyPI. The note is read in composed Unicode (`_unicode.composed_view`) and
numbers on a view where O touching a digit is 0 (`_phi_forms.numeric_view`); spans are mapped back
to the original offsets. The layers, strongest first:

* identifiers validated by their check digit: NIR with Corsica (`stdnum.fr.nir`), RPPS (Luhn);
  a NIR-shaped number with a wrong key is still masked when a context word announces it;
* phones: a loose candidate pattern validated by `phonenumbers` (region FR, overseas regions by
  prefix) -- running `PhoneNumberMatcher` over the whole note costs ~0.6 ms, the candidates ~20 us;
* e-mail and URL with strict patterns; IPP/NDA only after their context words (no national format);
* dates, numeric and written in French; a date is a birth date after "né(e) le", "DDN", ...;
* addresses: house number + street-type lexicon + capitalised name; ZIP + city; cities after a
  trigger word ("né à", "domicilié à") or from a small gazetteer; hospitals after their trigger;
* names after a title or trigger (M., Mme, Dr, Pr, patient...; other scripts too), UPPERCASE
  surname next to a known first name, known first name + capitalised word; every other occurrence
  of a found name in the same note is then tagged as well;
* the forms of `_phi_forms` (digits one by one, bare IPP/NDA, loose dates and phones...);
* the CRF of `phi_model`, which tags what the rules left untagged (it never overrides them).

Overlaps are resolved by label strength, then length, in time linear in the text. Spans never
carry the text they cover.
"""

from __future__ import annotations

import multiprocessing
import re
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from stdnum import luhn
from stdnum.fr import nir as stdnum_nir

from datacert._threads import usable_cores
from datacert.text import LABELS as LABELS  # the label set lives in the light package module
from datacert.text import phi_model
from datacert.text._dates import find_dates
from datacert.text._phi_forms import (
    day_ranges,
    digit_runs,
    in_number_row,
    lone_codes,
    loose_dates,
    loose_mails,
    loose_phones,
    numeric_view,
)
from datacert.text._resources import cities, first_names, uppercase_abbreviations
from datacert.text._unicode import composed_view

# lower = stronger when two spans overlap
_PRIORITY = {
    "MAIL": 0,
    "URL": 0,
    "SECU": 1,
    "RPPS": 2,
    "IPP": 2,
    "NDA": 2,
    "TEL": 3,
    "DATE_NAISSANCE": 4,
    "DATE": 4,
    "ADRESSE": 5,
    "HOPITAL": 6,
    "ZIP": 7,
    "VILLE": 8,
    "AGE": 9,
    "NOM": 10,
    "PRENOM": 10,
}


class Span(NamedTuple):
    """A labelled character range of a text (end exclusive)."""

    start: int
    end: int
    label: str


_UP = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ"
_LO = "a-zàâäçéèêëîïôöùûüÿæœß"
CAP_WORD = rf"[{_UP}][{_LO}]+(?:[-'’][{_UP}][{_LO}]+)*"
UPPER_WORD = rf"[{_UP}]{{2,}}(?:[-'’][{_UP}]{{2,}})*"
_PARTICLE = (
    r"(?:Da|Dos|De|Du|Des|Le|La|Van|Von|Di|Del|Mac|Mc|Ben|El|DA|DOS|DE|DU|DES|LE|LA|VAN|VON|DI|DEL|BEN|EL)"
)
# field labels that follow a name on the same line ("Nom : DUPONT Prénom : Jeanne") end the name
_FIELD = r"(?!(?:Pr[ée]nom|PR[ÉE]NOM|Nom|NOM|N[ée]e?|NÉE?|T[ée]l|TÉL|Date|DATE|DDN|IPP|NIR|NDA|Sexe|SEXE)\b)"
# a word of letters outside the Latin script (Cyrillic, Greek, Arabic, Hebrew, CJK...): masked in name
# position
OTHER_SCRIPT_WORD = r"(?:(?![A-Za-z\u00c0-\u024f\u1e00-\u1eff])[^\W\d_])+"
_NAME_TOKEN = rf"{_FIELD}(?:{_PARTICLE}\s)?(?:{UPPER_WORD}|{CAP_WORD}|{OTHER_SCRIPT_WORD})"

MAIL_RE = re.compile(
    r"(?<![\w.+\-])[A-Za-z0-9](?:[A-Za-z0-9._%+\-]*[A-Za-z0-9_%+\-])?@"
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w\-@])"
)
URL_RE = re.compile(r"(?<![\w@/])(?:https?://|www\.)[^\s<>\"'()\[\]]+", re.IGNORECASE)
_NIR_SHAPED = re.compile(
    r"(?<![\w])(?P<v>[1-478][ .\-]?\d{2}[ .\-]?\d{2}[ .\-]?(?:\d{2}|2[ABab])[ .\-]?\d{3}[ .\-]?\d{3}"
    r"(?:[ .\-]?\d{2})?)(?![\w])"
    r"|(?<![\w])(?P<w>[1-478](?:[ .\-]?\d){14})(?![\w])"
)
_NIR_CONTEXT = re.compile(
    r"(?i)(?:nir|s[ée]cu(?:rit[ée] sociale)?|nss|insee|n°\s*ss|matricule|immatriculation)"
    r"[^\n\d]{0,25}$"
)
PHONE_CANDIDATE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?(?:33|262|590|594|596|508|687|689|681|269)[\s.\-]?(?:\(0\)\s?)?\d(?:[\s.\-]?\d){7,8}"
    r"|0\d(?:[\s.\-]?\d{2}){4}|0\s?8\d{2}(?:[\s.\-]?\d{3}){2})(?![\w])"
)
_PHONE_CONTEXT = re.compile(
    r"(?i)(?:t[ée]l|t[ée]l[ée]phone|portable|mobile|fax|joignable|appeler|contact|domicile"
    r"|num[ée]ro|phone)"
    r"[^\n\d]{0,20}$"
)
_OVERSEAS = {
    "0262": "RE",
    "0263": "RE",
    "0692": "RE",
    "0693": "RE",
    "0269": "YT",
    "0639": "YT",
    "0590": "GP",
    "0690": "GP",
    "0691": "GP",
    "0596": "MQ",
    "0696": "MQ",
    "0697": "MQ",
    "0594": "GF",
    "0694": "GF",
}
RPPS_RE = re.compile(
    r"(?i:\bRPPS\b|\bn°\s*RPPS\b)[^\n\d]{0,15}(?P<v>\d(?:\s?\d){10})(?!\d)"
    r"|(?<![\w])(?P<w>10\d{9})(?![\w])"
)
_ID_VALUE = (
    r"(?P<v>(?=[A-Z\-]*\d)[A-Z]{0,3}\d[\d\-/ ]{3,18}\d|(?=[A-Z]{0,4}\d)[A-Z]{1,4}\d{4,14}"
    r"|\d{1,4}[A-Z]{1,4}\d{3,12})"
)
IPP_RE = re.compile(
    r"(?i:\b(?:IPP|NIP|N°\s?IPP|n°\s?(?:de\s)?patient|num[ée]ro\s(?:de\s)?patient|identifiant\s(?:du\s)?patient"
    r"|ID\spatient)(?![^\W\d]))\s*(?:n°|no|num[ée]ro)?\s*[:=#\-]?\s*" + _ID_VALUE + r"(?![\w])"
)
NDA_RE = re.compile(
    r"(?i:\b(?:NDA|N°\s?NDA|n°\s?(?:de\s)?s[ée]jour|num[ée]ro\s(?:de\s)?s[ée]jour|n°\s?(?:de\s)?dossier"
    r"|num[ée]ro\s(?:de\s)?dossier|dossier\sn°|n°\s?(?:de\s)?venue|num[ée]ro\s(?:de\s)?venue"
    r"|n°\s?d'admission|num[ée]ro\sd'admission|n°\s?(?:d')?hospitalisation)(?![^\W\d]))\s*(?:n°|no)?\s*[:=#\-]?\s*"
    + _ID_VALUE
    + r"(?![\w])"
)
AGE_RE = re.compile(
    r"(?<![\w,.])(?P<v>(?:9\d|1[01]\d)\s?(?:ans|an|years?[ \-]old|y\.?o\.?)|(?:9\d|1[01]\d)-year-old)"
    r"(?![\w])"
)
_BIRTH_CONTEXT = re.compile(
    r"(?i)(?:\bn[ée]e?\b|\bn[ée]\(e\)|\bddn\b|\bd\.d\.n\b|date\sde\snaissance|naissance|\bnais\b|\bdn\b"
    r"|\bdob\b|date\sof\sbirth|\bborn\b)\W{0,3}(?:le|en|on|:|du)?\s*[:.]?\s*"
    r"(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s)?$"
)

_STREET_TYPES = (
    r"rue|avenue|av\.|bd|boulevard|blvd|chemin|allée|allee|place|impasse|quai|route|cours|square"
    r"|passage|voie|sentier|résidence|residence|lotissement|cité|hameau|chaussée|faubourg|promenade"
    r"|esplanade|villa|parvis|rond-point|lieu-dit|ruelle|montée|traverse|mail"
)
# "allée des chênes": one lower-case word is taken right after the street type's article only
_LOWER_AFTER_PARTICLE = rf"(?:(?<=des )|(?<=du )|(?<=de la )|(?<=de l')|(?<=aux ))[{_LO}]{{3,}}(?![\w\-])"
_STREET_NAME = (
    rf"(?:(?:de\sla|de\sl'|de|du|des|d'|l'|la|le|les|aux|à\sla|à)\s?)*"
    rf"(?:{CAP_WORD}|{UPPER_WORD}|\d{{1,4}}(?!\d)|{_LOWER_AFTER_PARTICLE})(?:(?:\s|-)(?:(?:de\sla|de\sl'|de|du|des|d'|l'|la|le|les|aux|sur|sous)"
    rf"\s?)*(?:{CAP_WORD}|{UPPER_WORD}|\d{{1,4}}(?!\d)))*"
)
ADDRESS_RE = re.compile(
    rf"(?<![\w,])(?P<num>\d{{1,4}}(?:\s?(?:bis|ter|[A-D])\b)?,?\s+)?(?P<type>(?i:{_STREET_TYPES}))\s+"
    rf"(?P<name>{_STREET_NAME})"
)
_ADDRESS_CONTEXT = re.compile(
    r"(?i)(?:demeurant|domicili[ée]e?|habit(?:e|ant)|r[ée]sid(?:e|ant)|adresse|vit)"
    r"\W{0,3}(?:au|à|:)?\s*$"
)
_CITY_WORD = rf"(?:[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?(?:['’][{_UP}][{_LO}]+)?|{UPPER_WORD})"
_CITY_PREFIX = (
    r"(?:Le|La|Les|L'|Saint|Sainte|St|Ste|De|Du|Des|Da|Dos|LE|LA|LES|SAINT|SAINTE|ST|STE|DE|DU|DA|DOS)\s"
)
_CITY = (
    rf"(?:{_CITY_PREFIX})?{_CITY_WORD}"
    rf"(?:-(?:(?:sur|sous|en|lès|lez|les|le|la|de|du|des|aux|et)-)?(?:{_CITY_PREFIX})?{_CITY_WORD})*"
)
ZIP_CITY_RE = re.compile(
    rf"(?<![\w,.])(?P<zip>(?:0[1-9]|[1-8]\d|9[0-5])\d{{3}}|97[1-6]\d{{2}}|98[0-8]\d{{2}})"
    rf"(?:\s+|,\s*)(?P<city>{_CITY})(?P<cedex>\s+CEDEX(?:\s\d{{1,2}})?)?(?![\w])"
)
CITY_TRIGGER_RE = re.compile(
    rf"(?i:\b(?:n[ée]e?|n[ée]\(e\)|domicili[ée]e?|demeurant|habite|habitant|r[ée]sidant|r[ée]side|vit|originaire"
    rf"|transf[ée]r[ée]e?|adress[ée]e?|hospitalis[ée]e?|venant)\s(?:\w+\s)??(?:à|a|de|d'|sur)\s?)(?P<city>{_CITY})"
)
_HOSPITAL_TRIGGER = (
    r"(?:h[ôo]pital(?:\sprivé|\sd'instruction\sdes\sarmées)?|H[ôo]pital|CHU|CHRU|CHR|CHI|CH"
    r"|[Cc]entre\s[Hh]ospitalier(?:\s[Uu]niversitaire|\s[Rr]égional(?:\s[Uu]niversitaire)?|\s[Ii]ntercommunal)?"
    r"|[Cc]linique|[Pp]olyclinique|[Gg]roupe\shospitalier|GHU?|HIA|[Ii]nstitut|[Mm]aternité|EHPAD)"
)
HOSPITAL_RE = re.compile(
    rf"(?<![\w])(?P<trig>{_HOSPITAL_TRIGGER})\s+(?P<name>(?:(?:de\sla|de\sl'|de|du|des|d'|l')\s?)?"
    rf"(?:{CAP_WORD}|{UPPER_WORD})(?:(?:\s|-)(?:(?:de\sla|de|du|des|d'|l'|sur|en)[\s-]?)?(?:{CAP_WORD}|{UPPER_WORD}))*)"
)
_TITLES = (
    r"MME|MLLE|MONSIEUR|MADAME|DOCTEUR|DR\.?|PR\.?|M\.|MM\.|Mr\.?|Mme\.?|Mmes|Mlle\.?|Melle|Monsieur|Madame|Mademoiselle|Dr\.?|Drs|Docteur|Pr\.?|Professeur"
    r"|Me|Maître|Interne|Externe|IDE|Infirmi[èe]re?|Référent|Referent|Patiente?|patiente?|Mr|Mrs|Ms|Miss"
    r"|Prof\.?|Enfant|enfant|fils|fille|épouse|époux|mari|femme|fr[èe]re|s[œo]eur|mère|père|nommée?|"
    r"dénommée?|Nom\s?:|Prénom\s?:|NOM\s?:|PRENOM\s?:|Nom\sde\snaissance\s?:|Nom\sd'usage\s?:"
)
TITLE_RE = re.compile(
    rf"(?<![\w])(?P<title>{_TITLES})(?:\s+(?:{_TITLES}))*(?:\s*:\s*|\s+|(?<=[.:]))"
    rf"(?P<seq>{_NAME_TOKEN}(?:[ \t]{_NAME_TOKEN}){{0,3}})"
)
PAIR_RE = re.compile(
    rf"(?<![\w])(?P<a>(?:{_PARTICLE}\s)?(?:{UPPER_WORD}|{CAP_WORD}))[ "
    rf"\t](?P<b>(?:{_PARTICLE}\s)?(?:{UPPER_WORD}|{CAP_WORD}))(?![\w])"
)
_TOKEN_RE = re.compile(rf"(?:{_PARTICLE}\s)?(?:{UPPER_WORD}|{CAP_WORD}|{OTHER_SCRIPT_WORD})")

# capitalised words that follow a first name without being a surname
_NOT_SURNAME = {
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "et",
    "ou",
    "est",
    "a",
    "au",
    "aux",
    "en",
    "du",
    "de",
    "pour",
    "par",
    "sur",
    "dans",
    "avec",
    "sans",
    "chez",
    "qui",
    "que",
    "né",
    "née",
    "patient",
    "patiente",
    "docteur",
    "madame",
    "monsieur",
    "service",
    "hôpital",
    "hopital",
    "clinique",
    "centre",
    "rue",
    "avenue",
    "boulevard",
    "chemin",
    "place",
    "tél",
    "tel",
    "mail",
    "nir",
    "ipp",
    "nda",
    "rpps",
    "secu",
    "date",
    "age",
    "âge",
    "ans",
    "cedex",
    "pas",
    "rien",
    "antécédents",
    "traitement",
    "conclusion",
    "examen",
    "biologie",
    "motif",
    "histoire",
}
# cheap substring tests that let a note skip a pattern it cannot match
_IPP_CUES = ("ipp", "nip", "patient")
_NDA_CUES = ("nda", "séjour", "sejour", "dossier", "venue", "admission", "hospitalisation")
_STREET_CUES = tuple(t.rstrip(".") for t in _STREET_TYPES.split("|"))
_CITY_CUES = (
    "né",
    "ne",
    "domicil",
    "demeur",
    "habit",
    "résid",
    "resid",
    "vit",
    "origin",
    "transf",
    "adress",
    "hospitalis",
    "venant",
)
_HOSPITAL_CUES = (
    "hôpital",
    "hopital",
    "chu",
    "ch ",
    "chr",
    "centre",
    "clinique",
    "groupe",
    "gh",
    "hia",
    "institut",
    "maternit",
    "ehpad",
)

# a gazetteer city right after a capitalised word is a surname ("Mme René Paris"), not a place
_AFTER_CAPITALISED = re.compile(rf"[{_UP}][{_LO}]+[ \t]$")
# after these a lone capitalised name is a surname ("Dr Martin"); after other triggers ("sa fille",
# "Infirmière :") a lone known first name is a first name
_HONORIFICS = {
    "m.",
    "mm.",
    "mr",
    "mr.",
    "mme",
    "mme.",
    "mmes",
    "mlle",
    "mlle.",
    "melle",
    "monsieur",
    "madame",
    "mademoiselle",
    "dr",
    "dr.",
    "drs",
    "docteur",
    "pr",
    "pr.",
    "professeur",
    "prof",
    "prof.",
    "me",
    "maitre",
    "mrs",
    "ms",
    "miss",
    "patient",
    "patiente",
    "nom :",
    "nom:",
    "nom de naissance :",
    "nom de naissance:",
    "nom d'usage :",
    "nom d'usage:",
}

# capitalised words that start sentences or headings in notes, never a first name before a surname
_COMMON_CAPITALISED = {
    "bilan",
    "traitement",
    "antecedents",
    "scanner",
    "examen",
    "conclusion",
    "service",
    "hopital",
    "clinique",
    "centre",
    "unite",
    "pole",
    "biologie",
    "imagerie",
    "radiographie",
    "echographie",
    "irm",
    "ecg",
    "compte",
    "rendu",
    "courrier",
    "consultation",
    "hospitalisation",
    "sortie",
    "entree",
    "motif",
    "histoire",
    "evolution",
    "diagnostic",
    "prescription",
    "ordonnance",
    "allergie",
    "allergies",
    "mode",
    "vie",
    "suivi",
    "syndrome",
    "maladie",
    "score",
    "stade",
    "classe",
    "type",
    "groupe",
    "protocole",
    "dossier",
    "patient",
    "patiente",
    "contact",
    "adresse",
    "domicile",
    "lien",
    "voir",
    "codage",
    "posologie",
    "surveillance",
    "tabagisme",
    "poursuite",
    "introduction",
    "arret",
    "prise",
    "charge",
    "retour",
    "transfert",
    "avis",
    "urgences",
    "identite",
    "personne",
    "confiance",
    "mail",
    "courriel",
    "portable",
    "numero",
    "sous",
    "selon",
    "chez",
    "docteur",
    "professeur",
    "madame",
    "monsieur",
    "nom",
    "prenom",
    "date",
    "naissance",
    "age",
    "sexe",
    "pr",
    "dr",
    "mme",
    "mlle",
    "melle",
    "mr",
    "me",
    "m",
    "drs",
    "prof",
    "matricule",
    "staff",
    "intervention",
    "passage",
    "reference",
    "code",
    "valeur",
    "resultat",
    "resultats",
    "commentaire",
}
_TITLE_STOP = {
    "le",
    "la",
    "les",
    "de",
    "du",
    "des",
    "et",
    "ou",
    "a",
    "au",
    "est",
    "en",
    "présente",
    "presente",
    "née",
    "né",
    "hospitalisé",
    "hospitalisée",
    "âgé",
    "âgée",
    "agé",
    "agée",
    "suivi",
    "suivie",
    "vu",
    "vue",
    "admis",
    "admise",
    "sortant",
    "sortante",
    "adressé",
    "adressée",
    "ce",
    "cette",
    "il",
    "elle",
    "pour",
    "chez",
    "dans",
    "sous",
    "tél",
    "tel",
    "mail",
    "email",
    "nir",
    "ipp",
    "nda",
    "rpps",
    "service",
    "cedex",
    "depuis",
    "avec",
    "sans",
    "docteur",
    "interne",
    "externe",
    "sa",
    "son",
    "ses",
    "se",
    "qui",
    "que",
    "ne",
    "pas",
    "sur",
    "par",
    "vous",
    "nous",
    "je",
    "mon",
    "ma",
    "mes",
    "votre",
    "notre",
    "à",
    "unité",
    "pôle",
    "chef",
    "cher",
    "chère",
}


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Lowercase without accents, for gazetteer look-ups."""
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")


SHIPPED = "shipped"


def detect(text: str, model: object = SHIPPED) -> list[Span]:
    """Every identifier span in one note, sorted, without overlaps (offsets into `text` as given).

    `model` is the statistical layer run after the rules: the model shipped in the package by
    default, None for the rules alone, or a `pycrfsuite.Tagger` (cross-validation, training).
    """
    if not text:
        return []
    view = composed_view(text)
    spans = _detect_composed(view.text, model)
    if view.starts is None:
        return spans
    return [Span(*view.original(s.start, s.end), s.label) for s in spans]


PARALLEL_FROM = 20_000  # notes; below this, starting worker processes (~1-2 s each) costs more than it saves


def detect_many(texts: Iterable[str | None], workers: int | None = None) -> list[list[Span]]:
    """`detect` over a column of notes (None and empty notes give no spans), in order.

    With `workers` > 1 (None: one per available core, at most 4) and at least PARALLEL_FROM
    notes, the notes are split in contiguous chunks over worker processes: detection is pure
    Python, so threads would not run it in parallel. The result does not depend on the split.
    """
    items = list(texts)
    if workers is None:
        workers = min(4, usable_cores())
    if workers <= 1 or len(items) < PARALLEL_FROM:
        return [detect(t) if t else [] for t in items]
    size = -(-len(items) // (workers * 4))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    context = multiprocessing.get_context("spawn")  # no fork of a process that runs polars threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return [spans for chunk in pool.map(_detect_chunk, chunks) for spans in chunk]


def _detect_chunk(texts: list[str | None]) -> list[list[Span]]:
    return [detect(t) if t else [] for t in texts]


def _detect_composed(text: str, model: object = None) -> list[Span]:
    numeric = numeric_view(text)
    candidates: list[Span] = _ids(numeric)
    # digits read by shape alone give way to identifiers announced by their context words
    candidates += _Occupancy(candidates).free([Span(*t) for t in digit_runs(numeric) + lone_codes(text)])
    candidates += [Span(*t) for t in loose_mails(text)]
    candidates += _phones(numeric)
    candidates += [Span(*t) for t in loose_phones(numeric)]
    candidates = [c for c in candidates if c.label != "DATE"] + _dates(numeric, candidates)
    candidates += _places(text)
    candidates += _ages(text)
    kept = _resolve(candidates)
    names, repeats = _names(text, kept)
    if names:
        kept = _resolve(kept + names)
    if repeats:  # repeats of a found name only fill gaps; they never override a direct finding
        kept = sorted(kept + _resolve(_Occupancy(kept).free(repeats)))
    if model is not None:  # the statistical layer tags what the rules left untagged
        tagger = None if model == SHIPPED else model
        extra = [Span(*t) for t in phi_model.predict(text, kept, tagger=tagger)]
        if extra:
            kept = sorted(kept + _resolve(_Occupancy(kept).free(extra)))
    return kept


class _Occupancy:
    """Which characters are already covered by kept spans: an overlap test costs the span's length,
    so resolving n spans is linear in the text instead of quadratic in the number of spans."""

    def __init__(self, spans: Iterable[Span] = ()) -> None:
        self._taken = bytearray()
        for span in spans:
            self.take(span)

    def is_free(self, span: Span) -> bool:
        return span.start >= len(self._taken) or self._taken.find(1, span.start, span.end) < 0

    def take(self, span: Span) -> None:
        if span.end > len(self._taken):
            self._taken.extend(bytes(max(span.end - len(self._taken), len(self._taken))))
        self._taken[span.start : span.end] = b"\x01" * (span.end - span.start)

    def free(self, spans: Iterable[Span]) -> list[Span]:
        """The spans that overlap nothing taken."""
        return [s for s in spans if self.is_free(s)]


def _resolve(spans: list[Span]) -> list[Span]:
    """Keep the strongest of overlapping spans (label priority, then length), in text order."""
    ordered = sorted(set(spans), key=lambda s: (_PRIORITY[s.label], -(s.end - s.start), s.start, s.label))
    taken = _Occupancy()
    kept: list[Span] = []
    for span in ordered:
        if taken.is_free(span):
            taken.take(span)
            kept.append(span)
    return sorted(kept)


def _ids(text: str) -> list[Span]:
    out: list[Span] = []
    if "@" in text:
        out += [Span(m.start(), m.end(), "MAIL") for m in MAIL_RE.finditer(text)]
    if "http" in text or "www" in text or "HTTP" in text or "WWW" in text:
        for m in URL_RE.finditer(text):
            end = m.end()
            while end > m.start() and text[end - 1] in ".,;:!?)":
                end -= 1
            out.append(Span(m.start(), end, "URL"))
    for m in _NIR_SHAPED.finditer(text):
        value = m.group("v") or m.group("w")
        start = m.start("v") if m.group("v") else m.start("w")
        compact = re.sub(r"[ .\-]", "", value).upper()
        if len(compact) == 15 and _nir_valid(compact):
            out.append(Span(start, start + len(value), "SECU"))
        elif len(compact) in (13, 15) and _NIR_CONTEXT.search(text, max(0, start - 40), start):
            out.append(Span(start, start + len(value), "SECU"))
    lowered = text.lower()
    for m in RPPS_RE.finditer(text) if ("rpps" in lowered or "10" in text) else ():
        if m.group("v"):
            out.append(Span(m.start("v"), m.end("v"), "RPPS"))
        elif luhn.is_valid(m.group("w")):
            out.append(Span(m.start("w"), m.end("w"), "RPPS"))
    for pattern, label, cues in ((IPP_RE, "IPP", _IPP_CUES), (NDA_RE, "NDA", _NDA_CUES)):
        if not any(cue in lowered for cue in cues):
            continue
        for m in pattern.finditer(text):
            value = m.group("v").rstrip(" -/")
            out.append(Span(m.start("v"), m.start("v") + len(value), label))
    return out


@lru_cache(maxsize=4096)
def _nir_valid(compact: str) -> bool:
    return stdnum_nir.is_valid(compact)


def _phones(text: str) -> list[Span]:
    out = []
    for m in PHONE_CANDIDATE.finditer(text):
        raw = m.group()
        if in_number_row(text, m.start(), m.end()):
            continue
        if _phone_valid(raw) or _PHONE_CONTEXT.search(text, max(0, m.start() - 30), m.start()):
            out.append(Span(m.start(), m.end(), "TEL"))
    return out


@lru_cache(maxsize=8192)
def _phone_valid(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    region = _OVERSEAS.get(digits[:4], "FR") if digits.startswith("0") else "FR"
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def _dates(text: str, found: list[Span]) -> list[Span]:
    """Dates in every form; a birth date after its cue words or right after a NIR ("NIR  DDN")."""
    spans = [(d.start, d.end) for d in find_dates(text)]
    spans += [(s, e) for s, e, _ in loose_dates(text)]
    spans += [(s, e) for s, e, _ in day_ranges(text, spans)]
    nir_ends = {s.end for s in found if s.label == "SECU"}
    spans += [(s, e) for s, e, lab in found if lab in ("DATE", "DATE_NAISSANCE")]
    out = [Span(s, e, lab) for s, e, lab in found if lab == "DATE_NAISSANCE"]
    for start, end in set(spans):
        birth = _BIRTH_CONTEXT.search(text, max(0, start - 40), start) or any(
            0 < start - e <= 3 for e in nir_ends
        )
        out.append(Span(start, end, "DATE_NAISSANCE" if birth else "DATE"))
    return out


def _ages(text: str) -> list[Span]:
    if "an" not in text and "year" not in text and "y" not in text:
        return []
    return [Span(m.start("v"), m.end("v"), "AGE") for m in AGE_RE.finditer(text)]


def _places(text: str) -> list[Span]:
    out: list[Span] = []
    lowered = text.lower()
    streets = any(cue in lowered for cue in _STREET_CUES)
    for m in ADDRESS_RE.finditer(text) if streets else ():
        if not m.group("num"):
            after = text[m.end() : m.end() + 12]
            if not re.match(r",?\s*\d{5}\b", after) and not _ADDRESS_CONTEXT.search(
                text, max(0, m.start() - 30), m.start()
            ):
                continue
        name = m.group("name")
        end = m.start("name") + len(name)
        if m.group("type").lower() == "mail" and not m.group("num"):
            continue
        out.append(Span(m.start(), end, "ADRESSE"))
    for m in ZIP_CITY_RE.finditer(text):
        city = _trim_city(m.group("city"))
        if not city:
            continue
        out.append(Span(m.start("zip"), m.end("zip"), "ZIP"))
        out.append(Span(m.start("city"), m.start("city") + len(city), "VILLE"))
    for m in CITY_TRIGGER_RE.finditer(text) if any(cue in lowered for cue in _CITY_CUES) else ():
        city = _trim_city(m.group("city"))
        if city and (
            fold(city.split()[0]) not in _NOT_SURNAME
            or (city.split()[0] in {"Le", "La", "Les", "De", "Du", "Des", "Da"} and len(city.split()) > 1)
        ):
            out.append(Span(m.start("city"), m.start("city") + len(city), "VILLE"))
    known = cities()
    for m in _city_gazetteer_re().finditer(text):
        if m.group() in known and not _AFTER_CAPITALISED.search(text, max(0, m.start() - 30), m.start()):
            out.append(Span(m.start(), m.end(), "VILLE"))
    for m in HOSPITAL_RE.finditer(text) if any(cue in lowered for cue in _HOSPITAL_CUES) else ():
        name = m.group("name")
        words = [
            w
            for w in re.split(r"[\s']+", name)
            if w and fold(w) not in {"de", "la", "du", "des", "d", "l", "le", "les"}
        ]
        if not words or fold(words[0]) in _NOT_SURNAME or name in uppercase_abbreviations():
            continue
        out.append(Span(m.start(), m.start("name") + len(name), "HOPITAL"))
    return out


def _trim_city(city: str) -> str:
    words = city.split()
    while words and fold(words[-1]) in {"cedex", "tél", "tel", "le", "la", "les"}:
        words.pop()
    return " ".join(words)


@lru_cache(maxsize=1)
def _city_gazetteer_re() -> re.Pattern:
    names = sorted(cities(), key=len, reverse=True)
    return re.compile(r"(?<![\w\-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w\-])")


def _names(text: str, kept: list[Span]) -> tuple[list[Span], list[Span]]:
    """Names from titles, UPPERCASE surname + first name pairs, then every repeat in the note."""
    firsts = first_names()
    abbreviations = uppercase_abbreviations()
    found: list[Span] = []
    for m in TITLE_RE.finditer(text):
        spans = _classify(text, m.start("seq"), m.group("seq"), firsts, abbreviations, titled=True)
        title = fold(m.group("title"))
        if title.startswith("prenom"):
            spans = [Span(s.start, s.end, "PRENOM") for s in spans]
        elif title.startswith("nom"):
            spans = [Span(s.start, s.end, "NOM") for s in spans]
        elif (
            title not in _HONORIFICS
            and len(spans) == 1
            and fold(text[spans[0].start : spans[0].end]) in firsts
            and not text[spans[0].start : spans[0].end].isupper()
        ):
            spans = [Span(spans[0].start, spans[0].end, "PRENOM")]  # "sa fille Marie": a first name alone
        found += spans
    for m in PAIR_RE.finditer(text):
        a, b = m.group("a"), m.group("b")
        a_first, b_first = fold(a) in firsts, fold(b.split()[-1]) in firsts
        a_upper, b_upper = a.split()[-1].isupper(), b.split()[-1].isupper()
        if a_upper and (a in abbreviations or len(a) < 2):
            a_upper = False
        if b_upper and (b in abbreviations or len(b) < 2):
            b_upper = False
        if (
            a_first
            and not a.isupper()
            and (
                b_upper
                or (
                    not b_first
                    and fold(b) not in _NOT_SURNAME
                    and fold(b) not in _COMMON_CAPITALISED
                    and not b.isupper()
                )
            )
        ):
            found.append(Span(m.start("a"), m.end("a"), "PRENOM"))
            found.append(Span(m.start("b"), m.end("b"), "NOM"))
        elif a_upper and not b.split()[-1].isupper() and (b_first or _plausible_given(b)):
            found.append(Span(m.start("a"), m.end("a"), "NOM"))
            found.append(Span(m.start("b"), m.end("b"), "PRENOM"))
        elif b_upper and not a.isupper() and _plausible_given(a) and len(b.split()[-1]) >= 3:
            found.append(Span(m.start("a"), m.end("a"), "PRENOM"))
            found.append(Span(m.start("b"), m.end("b"), "NOM"))
    if not found:
        return [], []
    found = _Occupancy(kept).free(found)
    # every other occurrence of a found name in the same note
    surfaces: dict[str, str] = {}
    for s in found:
        surface = text[s.start : s.end]
        if len(surface) >= 3 and fold(surface) not in _TITLE_STOP:
            surfaces.setdefault(surface, s.label)
            surfaces.setdefault(surface.upper(), s.label)
    return found, _repeats(text, surfaces)


_WORD_RUN = re.compile(r"\w+")


def _repeats(text: str, surfaces: dict[str, str]) -> list[Span]:
    """Every whole-word occurrence of the surfaces, in one pass over the words of the text (a search
    per surface would cost surfaces x text length on a long note)."""
    if not surfaces:
        return []
    width = max(len(_WORD_RUN.findall(s)) for s in surfaces)
    words = [(m.start(), m.end()) for m in _WORD_RUN.finditer(text)]
    out = []
    n = len(text)
    for i, (start, _) in enumerate(words):
        if start and text[start - 1] in "-_":
            continue
        for k in range(i, min(i + width, len(words))):
            end = words[k][1]
            label = surfaces.get(text[start:end])
            if label is not None and (end == n or text[end] not in "-_"):
                out.append(Span(start, end, label))
    return out


def _plausible_given(word: str) -> bool:
    """A capitalised word next to an UPPERCASE surname that could be a first name (not a common word)."""
    folded = fold(word)
    return folded not in _NOT_SURNAME and folded not in _TITLE_STOP and folded not in _COMMON_CAPITALISED


def _classify(
    text: str, start: int, seq: str, firsts: frozenset[str], abbreviations: frozenset[str], titled: bool
) -> list[Span]:
    tokens = []
    for m in _TOKEN_RE.finditer(seq):
        word = m.group()
        if fold(word) in _TITLE_STOP or (word.isupper() and word in abbreviations):
            break
        tokens.append((start + m.start(), start + m.end(), word))
    if not tokens:
        return []
    has_upper = any(w.isupper() and len(w) > 1 for _, _, w in tokens)
    all_upper = all(w.split()[-1].isupper() for _, _, w in tokens)
    known = [fold(w.split()[-1]) in firsts for _, _, w in tokens]
    out = []
    last = len(tokens) - 1
    for i, (s, e, word) in enumerate(tokens):
        core = word.split()[-1]
        if all_upper and len(tokens) > 1 and known[i] and not all(known):
            label = "PRENOM"  # a note written all in capitals: the known first name is the first name
        elif core.isupper():
            label = "NOM"
        elif has_upper:
            label = "PRENOM"  # the French convention: surname in capitals, first name capitalised
        else:
            # after a title, capitalised names are written first name(s) then surname
            label = "NOM" if i == last else "PRENOM"
        out.append(Span(s, e, label))
    return out
