"""Time-to-event outcomes: which columns form a (duration, event) pair, how the event is coded,
and the censoring facts a biostatistician reads first.

A survival cohort records, per patient, a follow-up time (measured up to the event or to the end
of follow-up) and an event indicator. The follow-up time is derived from the outcome: a model that
learns from it learns when the patient was last seen, not the risk. This module answers the
questions about such pairs in one place, for role inference, the leakage screen, label checks and
the certificate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

from datacert.semantics import SemanticType

# names of follow-up times, FR/EN; matched on tokens of the column name without accents
_TIME_EXACT = {
    "time",
    "futime",
    "fu",
    "lenfol",
    "lenfu",
    "stime",
    "survtime",
    "tte",
    "duration",
    "duree",
    "delai",
    "suivi",
    "followup",
    "temps",
    "survival",
    "surv",
    "t",
}
_TIME_WORDS = _TIME_EXACT - {"t"} | {"follow"}
_OUTCOME_PREFIXES = {"os", "pfs", "dfs", "rfs", "efs", "ttp", "mfs", "dss", "css", "tts"}
_UNITS = {
    "days",
    "day",
    "months",
    "month",
    "years",
    "year",
    "weeks",
    "week",
    "jours",
    "mois",
    "ans",
    "semaines",
}
# tokens that say a time is a baseline covariate, not a follow-up (onset to diagnosis, age...)
_NOT_FOLLOW_UP = {"onset", "birth", "naissance", "age", "dose", "since", "depuis", "wait", "attente"}
# names of event indicators, FR/EN
_EVENT_WORDS = {
    "status",
    "statut",
    "event",
    "evt",
    "evenement",
    "death",
    "dead",
    "died",
    "deceased",
    "deces",
    "dcd",
    "censor",
    "censored",
    "cens",
    "fstat",
    "fustat",
    "vital",
    "etat",
    "relapse",
    "recurrence",
    "recur",
    "rechute",
    "recidive",
    "progression",
    "censdead",
    "censrec",
    "arrest",
}
_CENSORED_WORDS = {
    "0",
    "false",
    "no",
    "non",
    "n",
    "censored",
    "censure",
    "alive",
    "vivant",
    "vivante",
    "living",
    "en vie",
    "lost",
    "perdu de vue",
    "none",
    "aucun",
}
_EVENT_VALUE_WORDS = {
    "1",
    "true",
    "yes",
    "oui",
    "y",
    "o",
    "dead",
    "death",
    "died",
    "deceased",
    "decede",
    "decedee",
    "dcd",
    "deces",
    "event",
    "relapse",
    "rechute",
    "recurrence",
    "progression",
}
MIN_DURATION_VALUES = 5


_CAMEL = re.compile(r"([a-z])([A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _plain(text: str) -> str:
    if text.isascii():  # NFKD leaves ASCII as it is and it has no combining marks
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@lru_cache(maxsize=1 << 16)
def _tokens(name: str) -> tuple[str, ...]:
    if name.isascii() and name.isalnum() and name.islower():  # 'g00042': one token, as it is
        return (name,)
    return tuple(t for t in _NON_WORD.split(_plain(_CAMEL.sub(r"\1 \2", name))) if t)


def name_tokens(name: str) -> list[str]:
    """Lower-case, accent-free word tokens of a column name ('OS_months' -> ['os', 'months']).

    Cached: role inference and the leakage screen read every name of a 20,000-column table
    several times (a duration name, an event name, a second outcome).
    """
    return list(_tokens(name))


@lru_cache(maxsize=1 << 16)
def duration_name_score(name: str) -> int:
    """How clearly a name reads as a follow-up time: 3 exact, 2 clear, 1 plausible, 0 not."""
    tokens = name_tokens(name)
    if not tokens or _NOT_FOLLOW_UP & set(tokens):
        return 0
    joined = "_".join(tokens)
    if joined in _TIME_EXACT or joined in {"follow_up", "time_to_event", "survival_time", "os_time"}:
        return 3
    if set(tokens) & _TIME_WORDS - {"time", "temps"}:
        return 2
    if tokens[0] in _OUTCOME_PREFIXES and (set(tokens[1:]) & (_UNITS | {"time", "temps"})):
        return 2
    if any(t.endswith("time") and len(t) > 4 for t in tokens):  # rfstime, rectime, dtime...
        return 2
    if "time" in tokens or "temps" in tokens or joined in _UNITS:
        return 1
    return 0


@lru_cache(maxsize=1 << 16)
def event_name_score(name: str) -> int:
    """How clearly a name reads as an event indicator: 2 clear, 1 plausible, 0 not."""
    tokens = set(name_tokens(name))
    if not tokens:
        return 0
    if tokens & _EVENT_WORDS:
        return 2
    if any(t.startswith(("cens", "event", "death", "deces")) for t in tokens):
        return 1
    return 0


_PROGNOSTIC_WORDS = _EVENT_WORDS - {"status", "statut", "etat", "event", "evt", "evenement"} | {
    "mortality",
    "mortalite",
    "survie",
    "readmission",
    "readmit",
    "rehospitalisation",
    "complication",
    "complications",
    "dfs",
    "pfs",
    "os",
}


def is_prognostic_name(name: str) -> bool:
    """The outcome's name says it is a future event (death, relapse, readmission...), which is
    uncertain by nature: disagreement with a model is expected, not a labelling error."""
    return bool(set(name_tokens(name)) & _PROGNOSTIC_WORDS)


@dataclass(frozen=True)
class EventCoding:
    """Which stored values of the event column mean 'event' (the rest mean censored)."""

    event_values: tuple[Any, ...]
    censored_values: tuple[Any, ...]
    rule: str  # the convention applied, in words, for the certificate

    def events(self, series: pl.Series) -> np.ndarray:
        """1.0 event, 0.0 censored, NaN missing, for every record."""
        out = np.full(series.len(), np.nan)
        present = ~series.is_null().to_numpy()
        is_event = series.is_in(list(self.event_values)).fill_null(False).to_numpy()
        out[present] = np.where(is_event[present], 1.0, 0.0)
        return out


def event_coding(series: pl.Series) -> EventCoding | None:
    """The event coding of a column, or None when it does not read as an event indicator.

    Conventions: booleans and 0/1 mean 1 = event; 1/2 is the R `survival` convention (2 = event);
    0/1/2(/3) are competing events with 0 = censored; two text values are decoded from words
    (dead/décédé/oui... vs alive/vivant/censored/non...).
    """
    values = series.drop_nulls()
    if values.len() == 0:
        return None
    dtype = series.dtype
    distinct = values.unique().sort().to_list()
    if dtype == pl.Boolean:
        return EventCoding((True,), (False,), "true = event")
    if dtype.is_numeric():
        if any(float(v) != int(v) for v in distinct):
            return None
        codes = [int(v) for v in distinct]
        if not 2 <= len(codes) <= 4:
            return None
        as_stored = {int(v): v for v in distinct}
        if set(codes) <= {0, 1}:
            return EventCoding((as_stored[1],), (as_stored[0],), "1 = event, 0 = censored")
        if set(codes) == {1, 2}:
            return EventCoding(
                (as_stored[2],), (as_stored[1],), "2 = event, 1 = censored (R survival convention)"
            )
        if codes[0] == 0 and codes == list(range(len(codes))):
            events = tuple(as_stored[c] for c in codes[1:])
            return EventCoding(events, (as_stored[0],), "0 = censored, other codes = (competing) events")
        return None
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        if len(distinct) != 2:
            return None
        plain = [_plain(str(v)).strip() for v in distinct]
        censored = [v for v, p in zip(distinct, plain, strict=True) if p in _CENSORED_WORDS]
        event = [v for v, p in zip(distinct, plain, strict=True) if p in _EVENT_VALUE_WORDS]
        if len(censored) == 1 and len(event) <= 1:
            other = [v for v in distinct if v != censored[0]]
            return EventCoding(
                tuple(other), tuple(censored), f"{censored[0]!r} = censored, {other[0]!r} = event"
            )
        if len(event) == 1:
            other = [v for v in distinct if v != event[0]]
            return EventCoding((event[0],), tuple(other), f"{event[0]!r} = event, {other[0]!r} = censored")
    return None


def _duration_ok(frame: pl.DataFrame, column: str, types: Mapping[str, SemanticType]) -> bool:
    """A follow-up time is stored as numbers, never negative, with more than a handful of values."""
    dtype = frame.schema[column]
    if not dtype.is_numeric() or dtype == pl.Boolean:
        return False
    if types.get(column) in (SemanticType.IDENTIFIER, SemanticType.BOOLEAN, SemanticType.EMPTY):
        return False
    stats = frame.select(
        pl.col(column).min().alias("min"), pl.col(column).drop_nulls().n_unique().alias("distinct")
    ).row(0, named=True)
    return stats["min"] is not None and stats["min"] >= 0 and stats["distinct"] >= MIN_DURATION_VALUES


def _shared_tokens(a: str, b: str) -> bool:
    generic = {"time", "status", "event", "in", "of", "the", "de", "du"}
    return bool((set(name_tokens(a)) & set(name_tokens(b))) - generic)


def infer_survival_roles(
    frame: pl.DataFrame, taken: set[str], target: str | None, types: Mapping[str, SemanticType]
) -> dict[str, dict[str, Any]]:
    """Infer the follow-up time for an event target (and the event when no target was given).

    Safe by construction: the event must decode as an event indicator, the duration must be a
    non-negative number with a follow-up name, and a tie between equally good names that nothing
    breaks infers nothing.
    """
    if target is not None:
        if event_coding(frame.get_column(target)) is None:
            return {}
        duration, reason = _pick_duration(frame, taken | {target}, target, types)
        if duration is None:
            return {}
        return {"duration": {"column": duration, "reason": reason}}
    events = [
        c
        for c in frame.columns
        if c not in taken and event_name_score(c) == 2 and event_coding(frame.get_column(c)) is not None
    ]
    pairs = []
    for event in events:
        duration, reason = _pick_duration(frame, taken | set(events), event, types)
        if duration is not None:
            pairs.append((event, duration, reason))
    if len(pairs) != 1:
        return {}
    event, duration, reason = pairs[0]
    coding = event_coding(frame.get_column(event))
    assert coding is not None
    return {
        "target": {
            "column": event,
            "reason": f"its name reads as an event indicator ({coding.rule}) paired with the follow-up "
            f"time {duration!r}",
        },
        "duration": {"column": duration, "reason": reason},
    }


def other_outcome_pairs(
    frame: pl.DataFrame, taken: set[str], types: Mapping[str, SemanticType]
) -> list[tuple[str, str]]:
    """Further (event, duration) pairs besides the roles: a second outcome (recurrence besides
    death, progression besides survival) recorded after baseline."""
    events = [
        c
        for c in frame.columns
        if c not in taken and event_name_score(c) == 2 and event_coding(frame.get_column(c)) is not None
    ]
    pairs = []
    used = set(taken) | set(events)
    for event in events:
        duration, _ = _pick_duration(frame, used, event, types)
        if duration is not None:
            pairs.append((event, duration))
            used.add(duration)
    return pairs


def _pick_duration(
    frame: pl.DataFrame, taken: set[str], event: str, types: Mapping[str, SemanticType]
) -> tuple[str | None, str]:
    scored = [(duration_name_score(c), c) for c in frame.columns if c not in taken]
    scored = [(s, c) for s, c in scored if s > 0 and _duration_ok(frame, c, types)]
    if not scored:
        return None, ""
    best = max(s for s, _ in scored)
    top = [c for s, c in scored if s == best]
    if len(top) > 1:
        paired = [c for c in top if _shared_tokens(c, event)]
        if len(paired) != 1:
            return None, ""
        top = paired
    return top[0], (
        f"its name reads as a follow-up time, its values are non-negative numbers, and {event!r} "
        "reads as the event indicator"
    )


def censoring_facts(frame: pl.DataFrame, event: str, duration: str, n_features: int) -> dict[str, Any] | None:
    """Share censored, follow-up distribution (all, events, censored) and events per variable."""
    coding = event_coding(frame.get_column(event))
    if coding is None:
        return None
    events = coding.events(frame.get_column(event))
    time = frame.get_column(duration).cast(pl.Float64, strict=False).to_numpy()
    usable = np.isfinite(events) & np.isfinite(time)
    n = int(usable.sum())
    if n == 0:
        return None
    e, t = events[usable] == 1.0, time[usable]

    def spread(values: np.ndarray) -> dict[str, float] | None:
        if values.size == 0:
            return None
        q = np.quantile(values, [0.0, 0.25, 0.5, 0.75, 1.0])
        return {k: float(v) for k, v in zip(("min", "q1", "median", "q3", "max"), q, strict=True)}

    n_events = int(e.sum())
    facts: dict[str, Any] = {
        "event": event,
        "duration": duration,
        "event_coding": coding.rule,
        "records": n,
        "events": n_events,
        "censored": n - n_events,
        "share_censored": (n - n_events) / n,
        "follow_up": spread(t),
        "follow_up_events": spread(t[e]),
        "follow_up_censored": spread(t[~e]),
        "candidate_predictors": n_features,
        "events_per_variable": n_events / n_features if n_features else None,
    }
    if len(coding.event_values) > 1:
        facts["event_codes"] = {
            str(v): int((frame.get_column(event) == v).fill_null(False).sum()) for v in coding.event_values
        }
    return facts
