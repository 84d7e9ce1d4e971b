"""The statistical layer of PHI detection: a linear-chain CRF over the tokens of a note.

The rules of `datacert.text.phi` see identifiers by their form and their trigger words; names and
places that come with neither (a surname in capitals alone on a line, "C. Carlizian", "(St Louis)",
a list of initials and surnames) need the context of the whole line. A CRF (CRFsuite through
`python-crfsuite`) reads each token with its shape, its neighbours, name and place lists and the
label the rules gave it, and tags it BIO. The model ships in the package
(resources/phi_crf.crfsuite) and is rebuilt by `tools/phi/train_crf.py`; nothing is downloaded.

Recall first: a token is tagged as an identifier when the model gives "no identifier" a marginal
probability below `O_THRESHOLD`, not only when it is the single best tag.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from datacert.text._resources import (
    commune_names,
    first_names,
    hospital_names,
    uppercase_abbreviations,
    world_given_names,
    world_surnames,
)

MODEL_RESOURCE = "phi_crf.crfsuite"
O_THRESHOLD = 0.6  # tag a token when P(no identifier) falls below this (the single-best rule is 0.5)

# an elided article or pronoun ("d'", "qu’") is a token of its own, so the name after it is seen alone
TOKEN_RE = re.compile(r"(?i:\b(?:[dljnsmtc]|qu|jusqu|lorsqu|puisqu)['’])|[^\W\d_]+|\d+|[^\w\s]|_")


class Token(NamedTuple):
    start: int
    end: int
    text: str


def tokenize(text: str) -> list[Token]:
    """Words (letters, with an inner apostrophe), digit runs and single punctuation marks."""
    return [Token(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(text)]


_TITLES = frozenset(
    "m mr mme mmes mlle melle mademoiselle madame monsieur dr docteur pr professeur prof interne externe ide"
    " infirmier infirmiere patient patiente nom prenom epouse epoux fils fille pere mere signe cc copie par"
    " assure assuree referent psychologue cadre secretaire chirurgien anesthesiste".split()
)
_STOP = frozenset(
    "le la les de du des d l un une et ou a au aux en pour par sur dans avec sans chez que qui est il elle"
    " se sa son ses ce cette on ne pas plus tres vous nous je".split()
)
# field names, code systems and words that head a line in notes: never an identifier themselves
_NEVER = frozenset(
    "nom prenom nee ne tel telephone fax mail email adresse date ddn ipp nip nir nda nss rpps adeli finess"
    " sexe age loinc cim atc snomed codage code ccam ghm service unite pole secu insee cedex ref"
    " docteur madame monsieur patient patiente".split()
)
_HOSPITAL_WORDS = frozenset(
    "hopital hôpital chu chr ch clinique centre hospitalier hospitaliere groupe gh institut maternite hop".split()
)


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    from datacert.text.phi import fold

    return fold(word)


@lru_cache(maxsize=65536)
def _shape(word: str) -> str:
    shape = re.sub(r"[A-ZÀ-ÖØ-Þ]", "X", word)
    shape = re.sub(r"[a-zß-öø-ÿ]", "x", shape)
    shape = re.sub(r"\d", "d", shape)
    return re.sub(r"(.)\1{2,}", r"\1\1", shape)


@lru_cache(maxsize=65536)
def _word_features(word: str) -> tuple[str, ...]:
    """Features of a token that do not depend on its neighbours (cached: notes repeat words)."""
    folded = _fold(word)
    feats = ["w=" + folded, "shape=" + _shape(word), "suf3=" + folded[-3:], "len=" + str(min(len(word), 8))]
    if word.isdigit():
        feats.append("digit")
    elif word.isalpha():
        if word.isupper():
            feats.append("upper" if len(word) > 1 else "initial")
        elif word[0].isupper():
            feats.append("title")
        else:
            feats.append("lower")
        if not word.isascii() and not re.match(r"[A-Za-zÀ-ÿ]", word):
            feats.append("script")
    stop = folded in _STOP
    if not stop:
        if folded in first_names():
            feats.append("g:first_fr")
        elif folded in world_given_names():
            feats.append("g:given")
        if folded in world_surnames():
            feats.append("g:surname")
        if folded in commune_names():
            feats.append("g:commune")
        if folded in hospital_names():
            feats.append("g:hospital")
    if folded in _TITLES:
        feats.append("g:title")
    if folded in _HOSPITAL_WORDS:
        feats.append("g:hospword")
    if word.isupper() and word in uppercase_abbreviations():
        feats.append("g:abbr")
    return tuple(feats)


_OFFSETS = (-2, -1, 1, 2)
_NO_NEIGHBOUR = tuple(f"{o:+d}:none" for o in _OFFSETS)


@lru_cache(maxsize=65536)
def _neighbour_features(word: str) -> tuple[tuple[str, ...], ...]:
    """What a token tells its neighbours (word, shape, lists, case), once per offset."""
    own = _word_features(word)
    told = own[:2] + tuple(f for f in own[4:] if f.startswith("g:") or f in ("upper", "title", "initial"))
    return tuple(tuple(f"{o:+d}:" + f for f in told) for o in _OFFSETS)


@lru_cache(maxsize=256)
def _rule_feature(prefix: str, label: str) -> str:
    return f"{prefix}rule={label}"


def features(text: str, tokens: Sequence[Token], rule_labels: Sequence[str]) -> list[list[str]]:
    """One feature list per token: its own features, its neighbours', line position, rule label."""
    n = len(tokens)
    own = [_word_features(t.text) for t in tokens]
    told = [_neighbour_features(t.text) for t in tokens]
    newline_after = ["\n" in text[tokens[i].end : tokens[i + 1].start] for i in range(n - 1)] + [True]
    out = []
    for i, token in enumerate(tokens):
        feats = list(own[i])
        feats.append(_rule_feature("", rule_labels[i]))
        if i == 0 or newline_after[i - 1]:
            feats.append("BOL")
        if newline_after[i]:
            feats.append("EOL")
        if i + 1 < n and tokens[i + 1].text == "." and len(token.text) == 1:
            feats.append("initial_dot")
        for k, offset in enumerate(_OFFSETS):
            j = i + offset
            if 0 <= j < n:
                feats.extend(told[j][k])
                if offset in (-1, 1):
                    feats.append(_rule_feature(f"{offset:+d}:", rule_labels[j]))
            else:
                feats.append(_NO_NEIGHBOUR[k])
        out.append(feats)
    return out


def rule_token_labels(tokens: Sequence[Token], spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """The label each token gets from rule spans ("O" outside), by a merge of two sorted lists."""
    labels = ["O"] * len(tokens)
    ordered = sorted(spans)
    j = 0
    for i, token in enumerate(tokens):
        while j < len(ordered) and ordered[j][1] <= token.start:
            j += 1
        if j < len(ordered) and ordered[j][0] < token.end:
            labels[i] = ordered[j][2]
    return labels


def bio(tokens: Sequence[Token], spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """BIO tags of tokens for gold spans (training)."""
    tags = ["O"] * len(tokens)
    for start, end, label in spans:
        inside = [i for i, t in enumerate(tokens) if t.start < end and start < t.end]
        for k, i in enumerate(inside):
            tags[i] = ("B-" if k == 0 else "I-") + label
    return tags


@lru_cache(maxsize=1)
def _tagger():
    """The shipped model, or None when the package was built without it."""
    import pycrfsuite

    path = resources.files("datacert.text").joinpath("resources", MODEL_RESOURCE)
    if not path.is_file():
        return None
    data = path.read_bytes()
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(data)  # CRFsuite reads the model in place: the bytes must outlive the tagger
    _KEEP_ALIVE.append(data)
    return tagger


_KEEP_ALIVE: list[bytes] = []


def model_available() -> bool:
    return _tagger() is not None


def predict(
    text: str, rule_spans: Sequence[tuple[int, int, str]], tagger=None, threshold: float | None = None
) -> list[tuple[int, int, str]]:
    """Spans the model finds in `text` given the rules' spans (its own view; the caller merges)."""
    threshold = O_THRESHOLD if threshold is None else threshold
    tagger = tagger or _tagger()
    if tagger is None:
        return []
    tokens = tokenize(text)
    if not tokens:
        return []
    rules = rule_token_labels(tokens, rule_spans)
    never = uppercase_abbreviations()
    tags = tagger.tag(features(text, tokens, rules))
    labels = [t[2:] if t != "O" else None for t in tags]
    for i, tag in enumerate(tags):
        # the recall-first second look is for words only: digits and punctuation are the rules' part
        if tag == "O" and tokens[i].text[0].isalpha() and tagger.marginal("O", i) < threshold:
            labels[i] = _best_label(tagger, i)
        if rules[i] != "O":
            labels[i] = None  # the rules' finding stands
        elif labels[i] is not None and (_fold(tokens[i].text) in _NEVER or tokens[i].text in never):
            labels[i] = None  # field names and clinical abbreviations are never identifiers
    return _spans(text, tokens, labels, tags)


@lru_cache(maxsize=1)
def _label_set(tagger) -> tuple[str, ...]:
    return tuple(t for t in tagger.labels() if t != "O")


def _best_label(tagger, i: int) -> str:
    best = max(_label_set(tagger), key=lambda t: tagger.marginal(t, i))
    return best[2:]


_MONTH_OR_NUMBER_WORD = re.compile(
    r"(?i)janv|f[ée]v|mars|avr|mai|juin|juil|ao[uû]t|sept|oct|nov|d[ée]c|mille|vingt|trente|dix|onze|douze|treize"
)


def _plausible(text: str, label: str) -> bool:
    """A model span whose characters can be of its label (no name without a letter, no mail without @)."""
    if label == "MAIL":
        return "@" in text
    if label in ("DATE", "DATE_NAISSANCE"):
        return any(c.isdigit() for c in text) or _MONTH_OR_NUMBER_WORD.search(text) is not None
    if label in ("NOM", "PRENOM", "VILLE", "HOPITAL"):
        return any(c.isalpha() for c in text)
    return True


def _spans(text: str, tokens: Sequence[Token], labels: Sequence[str | None], tags: Sequence[str]):
    out = [s for s in _joined(text, tokens, labels, tags) if _plausible(text[s[0] : s[1]], s[2])]
    return [_trimmed(text, s) for s in out]


def _trimmed(text: str, span: tuple[int, int, str]) -> tuple[int, int, str]:
    """Leading punctuation and digits are not part of a name ("02 - François" gives "François")."""
    start, end, label = span
    if label in ("NOM", "PRENOM", "VILLE", "HOPITAL"):
        while start < end and not text[start].isalpha():
            start += 1
    return (start, end, label)


def _joined(text: str, tokens: Sequence[Token], labels: Sequence[str | None], tags: Sequence[str]):
    out: list[tuple[int, int, str]] = []
    for i, label in enumerate(labels):
        if label is None:
            continue
        token = tokens[i]
        joined = (
            out
            and out[-1][2] == label
            and not tags[i].startswith("B-")
            and labels[i - 1] == label
            and "\n" not in text[tokens[i - 1].end : token.start]
        )
        if joined:
            out[-1] = (out[-1][0], token.end, label)
        else:
            out.append((token.start, token.end, label))
    return out
