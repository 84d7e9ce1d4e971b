"""The assay behind `datacert check`: read -> dataset -> profile -> checks -> scores -> verdict ->
certificate.
"""

from __future__ import annotations

import platform
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from datacert._threads import one_thread
from datacert.artifacts import Artifacts
from datacert.certificate import Certificate
from datacert.checks import CheckOutcome, check_threads, prefetch_checks, run_checks, wait_for_prefetch
from datacert.dataset import Dataset, build_dataset
from datacert.figures import figure_data, start_figures
from datacert.findings import sort_findings
from datacert.io import LoadedTable, from_object, read_table
from datacert.policy import Policy, load_policy
from datacert.profile import Profile, compute_profile
from datacert.reference_population import load_reference
from datacert.remedies import build_remedies
from datacert.roles import Roles
from datacert.scoring import assess

MAX_LISTED_LINES = 100  # line numbers the certificate lists for a repair (the first ones)


def load_dataset(
    data: Any,
    roles: Roles | None = None,
    reference: Any = None,
    schema: Any = None,
    *,
    prefetch: bool = False,
) -> Dataset:
    """A Dataset from a file path or a dataframe object, with roles given and inferred.

    `reference` (a file path or a mapping) gives the intended population's subgroup proportions.
    `schema` (a Table Schema file path, mapping or DeclaredSchema) declares types and constraints.
    `prefetch=True`, for a run that checks the table next, imports the check modules and their
    libraries on a background thread while the table is read (`prefetch_checks`).
    """
    if prefetch:
        prefetch_checks()
    try:
        schema = _declared_schema(schema)
        if reference is not None:
            reference = load_reference(reference, (roles or Roles()).sensitive)
        table: LoadedTable = read_table(data) if isinstance(data, (str, Path)) else from_object(data)
        return build_dataset(table, roles, reference=reference, declared_schema=schema)
    except BaseException:
        if prefetch:
            wait_for_prefetch()  # the process may be about to exit: let the import finish first
        raise


def _declared_schema(schema: Any) -> Any:
    from datacert.declared_schema import DeclaredSchema, load_table_schema, parse_table_schema

    if schema is None or isinstance(schema, DeclaredSchema):
        return schema
    if isinstance(schema, Mapping):
        return parse_table_schema(schema)
    return load_table_schema(schema)


def profile_summary(dataset: Dataset, profile: Profile) -> dict[str, Any]:
    """The profile facts for the certificate, with text-quality facts for each free-text column."""
    summary = profile.summary()
    if dataset.roles.text:
        from datacert.text.quality import text_quality_facts

        groups = dataset.frame.get_column(dataset.roles.group) if dataset.roles.group else None
        summary["text"] = {
            c: text_quality_facts(dataset.frame.get_column(c), groups) for c in dataset.roles.text
        }
    return summary


def certify(
    dataset: Dataset,
    policy: Policy | None = None,
    progress: Callable[[str], None] | None = None,
    only: Iterable[str] | None = None,
    profile: Profile | None = None,
    campaign: Mapping[str, int] | None = None,
    figures: bool = True,
    run: Callable[..., list[CheckOutcome]] = run_checks,
) -> Certificate:
    """Profile, check, score and decide on a prepared Dataset; measure what that cost in energy.

    `campaign` ({"configs", "folds", "seeds"}) is the training campaign the energy at stake is
    scaled to when the verdict is not release (default: datacert.audit.energy.DEFAULT_CAMPAIGN).
    `figures=False` leaves out the report's plot data (for certificates only compared, never drawn).
    `run` runs the checks (`run_checks`'s signature): the Dask engine hands in its workers' outcomes.
    """
    from datacert.audit.energy import measure, with_energy
    from datacert.audit.lineage import with_lineage

    with warnings.catch_warnings(record=True) as caught, measure() as assay_energy:
        # numpy/scipy/sklearn warnings (overflow on inf strings, degenerate fits) belong in the
        # certificate's run section, not on the user's terminal
        warnings.simplefilter("always")
        certificate = _assay(dataset, policy, progress, only, profile, figures, run)
    certificate = with_energy(with_lineage(certificate), dataset, assay_energy, campaign)
    certificate.run["warnings"] = summarize_warnings(caught)
    return certificate


def summarize_warnings(caught: Iterable[warnings.WarningMessage]) -> list[str]:
    """Each distinct library warning once, with its count: `RuntimeWarning: overflow ... (x24)`."""
    counts: dict[str, int] = {}
    for w in caught:
        text = " ".join(str(w.message).split())
        key = f"{w.category.__name__}: {text[:300]}"
        counts[key] = counts.get(key, 0) + 1
    return [k if n == 1 else f"{k} (x{n})" for k, n in sorted(counts.items())]


def _assay(
    dataset: Dataset,
    policy: Policy | None,
    progress: Callable[[str], None] | None,
    only: Iterable[str] | None,
    profile: Profile | None,
    figures: bool = True,
    run: Callable[..., list[CheckOutcome]] = run_checks,
) -> Certificate:
    started = datetime.now(UTC)
    clock = time.perf_counter()
    policy = policy or Policy()
    # the certificate names the table by its fingerprint; read first, while the run holds least
    # (on a tall table the pass costs about 50 MB that would otherwise stack on the last checks')
    dataset.fingerprint  # noqa: B018 (cached on the dataset)
    if progress:
        progress("profile")
    profile = profile or compute_profile(dataset.frame, dict(dataset.semantic_types))
    profiled = time.perf_counter() - clock
    with one_thread():  # the same numbers on any machine and load, and no spinning BLAS threads
        # checks side by side: the findings-free figures fill the idle moments of either core
        beside = figures and run is run_checks and check_threads(dataset) > 1
        early = start_figures(dataset) if beside else None
        outcomes = run(dataset, profile, policy.check_params, only=only, progress=progress)
        if early is not None:
            early.join()  # a failure there is raised again by figure_data, on this thread
        findings = sort_findings([f for o in outcomes for f in o.findings])
        assessment = assess(dataset, outcomes, findings, policy.scoring)
        scores, verdict, reasons = assessment.scores, assessment.verdict, assessment.reasons
        checked = time.perf_counter()
        figures_data = figure_data(dataset, profile, findings) if figures else {}
        figured = time.perf_counter() - checked
    dataset_facts = {
        "path": Path(dataset.path).name if dataset.path else None,
        "fingerprint": dataset.fingerprint,
        "format": dataset.format,
        "rows": dataset.n_rows,
        "columns": dataset.n_columns,
        "roles": dataset.roles.to_dict(),
        "inferred": dict(dataset.inferred),
        "semantic_types": {c: str(t) for c, t in dataset.semantic_types.items()},
        "source": {
            k: v[:MAX_LISTED_LINES] if k == "encoding_repaired_lines" else v
            for k, v in dataset.source_facts.items()
            if k
            in (
                "encoding",
                "encoding_repaired_lines",
                "delimiter",
                "decimal_comma",
                "sheet",
                "header_row",
                "notes",
            )
        },
    }
    return Certificate(
        dataset=dataset_facts,
        verdict=str(verdict),
        reasons=reasons,
        scores=scores,
        findings=findings,
        remedies=build_remedies(findings, assessment.gate_of),
        checks=[o.to_dict() for o in outcomes],
        profile=profile_summary(dataset, profile),
        options={"policy": policy.name},
        extra=assessment.extra,
        figures=figures_data,
        run={
            "started": started.isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - clock, 3),
            "profile_seconds": round(profiled, 3),
            "figures_seconds": round(figured, 3),
            "check_seconds": {o.check: round(o.seconds, 4) for o in outcomes},
            **({"check_threads": check_threads(dataset)} if run is run_checks else {}),  # checks at once
            # shared results (reference fit, design...), also inside the time of their first reader
            "artifact_seconds": {k: round(v, 4) for k, v in sorted(Artifacts.of(dataset).seconds.items())},
            "host": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "node": platform.node(),
            },
        },
    )


def check(
    data: Any,
    *,
    target: str | None = None,
    id: str | None = None,
    group: str | None = None,
    time: str | None = None,
    split: str | None = None,
    sensitive: Iterable[str] | str | None = None,
    text: Iterable[str] | str | None = None,
    duration: str | None = None,
    policy: str | Path | Mapping[str, Any] | Policy | None = None,
    reference: str | Path | Mapping[str, Any] | None = None,
    schema: str | Path | Mapping[str, Any] | None = None,
    profile: str | None = None,
) -> Certificate:
    """Check a file or a dataframe and return its Certificate (`.verdict`, `.findings`, `.scores`).

    `duration` names the follow-up time of a time-to-event outcome (the target is then the event);
    `profile` names a built-in scoring profile (default, diagnostic_classifier, omics_biomarker,
    regression_prognosis); a policy's scoring entries extend it.
    """
    roles = Roles.build(
        target=target,
        id=id,
        group=group,
        time=time,
        split=split,
        sensitive=sensitive,
        text=text,
        duration=duration,
    )
    dataset = load_dataset(data, roles, reference=reference, schema=schema, prefetch=True)
    return certify(dataset, load_policy(policy, profile=profile))
