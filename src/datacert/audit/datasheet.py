"""A datasheet following "Datasheets for Datasets" (Gebru et al., Communications of the ACM 64(12), 2021).

The seven sections and their questions follow the paper's structure (questions paraphrased).
Each answer that measurement can give is filled from the certificate, with where it came from;
the others say "to be completed by the data owner". Nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from datacert.checks import checks_about

TO_COMPLETE = "to be completed by the data owner"


@dataclass(frozen=True)
class Answer:
    section: str
    question: str
    answer: str
    source: str  # "measured: <where>" or "owner"

    @property
    def measured(self) -> bool:
        return self.source != "owner"


def _owner(section: str, question: str) -> Answer:
    return Answer(section, question, TO_COMPLETE, "owner")


def build_datasheet(cert: Mapping[str, Any], events: Sequence[Any] = ()) -> list[Answer]:
    dataset = cert.get("dataset") or {}
    roles = dataset.get("roles") or {}
    types = dataset.get("semantic_types") or {}
    findings = cert.get("findings") or []
    checks = {c["check"]: c for c in cert.get("checks") or []}
    by_check: dict[str, list[Mapping[str, Any]]] = {}
    for f in findings:
        by_check.setdefault(f["check"], []).append(f)

    def fired(topic: str) -> str:
        ids = checks_about(topic)
        lines = [f"{f['check']}: {f['message']}" for i in ids for f in by_check.get(i, [])]
        ran = [i for i in ids if (checks.get(i) or {}).get("status") in ("quiet", "fired")]
        if lines:
            return " ".join(lines[:6]) + (f" (+{len(lines) - 6} more)" if len(lines) > 6 else "")
        if ran:
            return f"none found ({', '.join(ran)} ran)."
        return ""

    type_counts: dict[str, int] = {}
    for t in types.values():
        type_counts[t] = type_counts.get(t, 0) + 1
    answers: list[Answer] = []
    m = "Motivation"
    answers += [
        _owner(m, "For what purpose was the dataset created? Was there a specific task or gap in mind?"),
        _owner(m, "Who created the dataset, on behalf of which entity?"),
        _owner(m, "Who funded its creation?"),
    ]
    c = "Composition"
    answers.append(
        Answer(
            c,
            "What do the instances represent, and how many are there (in total, of each type)?",
            f"{dataset.get('rows')} records × {dataset.get('columns')} columns; column types: "
            + ", ".join(f"{k} {v}" for k, v in sorted(type_counts.items()))
            + ". What one record stands for (patient, visit, sample) is the owner's to state.",
            "measured: certificate dataset",
        )
    )
    answers.append(
        _owner(c, "Is it a sample from a larger set? If so, how was it sampled and is it representative?")
    )
    target = roles.get("target")
    answers.append(
        Answer(
            c,
            "Is there a label or target associated with each instance?",
            f"target column `{target}`" + _class_text(checks) if target else "no target was declared.",
            "measured: certificate roles and " + ", ".join(checks_about("class_balance")),
        )
    )
    missing = fired("missingness")
    answers.append(
        Answer(
            c,
            "Is any information missing from individual instances? Why?",
            missing or TO_COMPLETE,
            _src(missing),
        )
    )
    relations = [r for r in ("id", "group", "time", "split") if roles.get(r)]
    answers.append(
        Answer(
            c,
            "Are relationships between instances explicit (same patient, same site)?",
            ("roles: " + ", ".join(f"{r} = `{roles[r]}`" for r in relations)) if relations else TO_COMPLETE,
            "measured: certificate roles" if relations else "owner",
        )
    )
    splits = fired("split_leakage")
    answers.append(
        Answer(
            c,
            "Are there recommended data splits, and are they free of leakage?",
            (f"split column `{roles['split']}`. " if roles.get("split") else "no split column declared. ")
            + (splits or "Leakage across partitions could not be examined without one."),
            "measured: leakage checks",
        )
    )
    errors = fired("errors")
    answers.append(
        Answer(c, "Are there errors, sources of noise or redundancies?", errors or TO_COMPLETE, _src(errors))
    )
    answers.append(_owner(c, "Is the dataset self-contained, or does it link to external resources?"))
    privacy = fired("personal_data")
    answers.append(
        Answer(
            c,
            "Does it contain data that might be confidential, or that identify people directly or "
            "indirectly?",
            privacy or TO_COMPLETE,
            _src(privacy),
        )
    )
    sensitive = roles.get("sensitive") or []
    subgroups = fired("subgroups")
    answers.append(
        Answer(
            c,
            "Does it identify subpopulations (age, sex...), and how are they distributed?",
            (f"sensitive attributes `{', '.join(sensitive)}`: " + (subgroups or "examined."))
            if sensitive
            else TO_COMPLETE,
            "measured: representativeness checks" if sensitive else "owner",
        )
    )
    k = "Collection process"
    answers += [
        _owner(k, "How was the data of each instance acquired (observed, reported, derived)?"),
        _owner(
            k, "What mechanisms or procedures were used to collect it (devices, software, manual curation)?"
        ),
        _owner(k, "Who was involved in collection, and how were they compensated?"),
    ]
    time_col = roles.get("time")
    answers.append(
        Answer(
            k,
            "Over what timeframe was the data collected?",
            f"dates in `{time_col}`; see the certificate's profile for their range."
            if time_col
            else TO_COMPLETE,
            "measured: certificate roles" if time_col else "owner",
        )
    )
    answers += [
        _owner(k, "Were ethical review processes conducted (e.g. an institutional review board)?"),
        _owner(k, "Were the individuals notified and did they consent? Can consent be revoked?"),
        _owner(k, "Has an analysis of the potential impact on data subjects (e.g. a DPIA) been conducted?"),
    ]
    p = "Preprocessing, cleaning, labelling"
    pq = cert.get("prequalification") or {}
    steps = [str(s.get("action")) for s in list(pq.get("row_steps") or []) + list(pq.get("steps") or [])]
    answers.append(
        Answer(
            p,
            "Was any preprocessing, cleaning or labelling done?",
            (
                f"datacert prequalify applied: {', '.join(steps)} (plan and fingerprints recorded); "
                f"{len(pq.get('removed_rows') or [])} records removed."
            )
            if steps
            else "none by datacert on this table; earlier steps " + TO_COMPLETE + ".",
            "measured: certificate prequalification" if steps else "owner",
        )
    )
    answers.append(
        Answer(
            p,
            "Was the raw data saved in addition to the processed data?",
            "the raw table is identified by its fingerprint "
            f"{((cert.get('lineage') or {}).get('source') or {}).get('fingerprint')}"
            + (f" and the audit log records {len(events)} event(s) of its lineage" if events else "")
            + "; where it is stored is the owner's to state.",
            "measured: lineage",
        )
    )
    answers.append(
        Answer(
            p,
            "Is the software used to preprocess the data available?",
            f"datacert {(cert.get('tool') or {}).get('version')}; the plan replays with `datacert apply`.",
            "measured: certificate tool",
        )
    )
    u = "Uses"
    answers.append(
        Answer(
            u,
            "Is there anything about the composition or preprocessing that might affect future uses?",
            f"verdict {cert.get('verdict')}: " + " ".join(cert.get("reasons") or []),
            "measured: certificate verdict",
        )
    )
    answers += [
        _owner(u, "Has the dataset been used for any tasks already? What other tasks could it be used for?"),
        _owner(u, "Are there tasks for which it should not be used?"),
    ]
    d = "Distribution"
    answers += [
        _owner(
            d, "Will it be distributed to third parties outside the entity that created it? How, and when?"
        ),
        _owner(
            d, "Under which licence or terms of use? Do export controls or regulatory restrictions apply?"
        ),
    ]
    mt = "Maintenance"
    answers += [
        _owner(mt, "Who maintains the dataset, and how can they be contacted?"),
        _owner(
            mt, "Will it be updated (corrections, new records, deletions)? How will updates be communicated?"
        ),
        _owner(mt, "Will older versions remain available? How can others contribute?"),
    ]
    return answers


def _class_text(checks: Mapping[str, Mapping[str, Any]]) -> str:
    counts = next(
        (
            (checks.get(c) or {}).get("evidence", {}).get("class_counts")
            for c in checks_about("class_balance")
            if ((checks.get(c) or {}).get("evidence") or {}).get("class_counts")
        ),
        None,
    )
    return f"; class counts {counts}." if counts else "."


def _src(answer: str) -> str:
    return "measured: certificate findings" if answer else "owner"


def datasheet_markdown(answers: Sequence[Answer], title: str) -> str:
    lines = [
        f"# Datasheet: {title}",
        "",
        'Structure of "Datasheets for Datasets" (Gebru et al., CACM 2021). Answers marked *measured* are '
        f"filled from the certificate; the others are {TO_COMPLETE}.",
        "",
    ]
    section = None
    for a in answers:
        if a.section != section:
            section = a.section
            lines += [f"## {section}", ""]
        tag = f"*{a.source}*" if a.measured else f"**{TO_COMPLETE}**"
        lines += [f"**{a.question}**", "", f"{a.answer if a.measured else ''} {tag}".strip(), ""]
    return "\n".join(lines)
