"""Adding a check is one module: a new check class dropped into `datacert.checks` needs nothing else.

The probe writes a throwaway check module into a temporary folder that joins the `datacert.checks`
package path, exactly as a new file under src/datacert/checks/ would, and then asks every consumer
of the registry: the catalogue, the governance topics of the audit, the remedies, the figures, the
scoring, the profile schema and pre-qualification. None of them is told about it.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap

import numpy as np
import polars as pl
import pytest

import datacert
import datacert.checks as checks_package
from datacert.audit.art10 import build_matrix
from datacert.audit.datasheet import build_datasheet
from datacert.checks import REGISTRY, catalogue, checks_about, load_all_checks
from datacert.cli._catalogue import render_catalogue
from datacert.scoring import load_scoring_profile

PROBE_ID = "placeholder_number_probe"
PLACEHOLDER = 12345.0

PROBE_MODULE = f'''
"""A throwaway check: a numeric column that holds a placeholder number in place of measurements."""

import numpy as np

from datacert.checks import Check, CheckResult, Figure, Needs, Param, Remedy, register


@register
class PlaceholderNumberProbe(Check):
    """Find numeric columns that hold the placeholder {PLACEHOLDER:g} in place of measurements."""

    id = "{PROBE_ID}"
    dimension = "plausibility"
    kahn = "plausibility.atemporal"
    needs = Needs(min_rows=10)
    params = (Param("placeholder", {PLACEHOLDER}, "the number that stands for no measurement"),)
    remedy = Remedy(action="drop_placeholder_columns", order=12, automatic=True, step="drop_columns")
    figure = Figure(priority=5)
    governance = ("errors",)

    def run(self, data, profile, params):
        found = []
        for column in data.numeric_feature_columns():
            values = data.frame.get_column(column).cast(float).to_numpy()
            rows = np.flatnonzero(values == params["placeholder"])
            if rows.size:
                message = f"{{column}} holds {{params['placeholder']:g}} in {{rows.size}} records"
                found.append(self.finding("warning", message, columns=[column], rows=rows))
        return CheckResult.fired(found, {{"columns_tested": len(data.numeric_feature_columns())}})

    def correction(self, findings, data, plan):
        plan.drop([c for f in findings for c in f.columns], self.id)
        return True
'''


@pytest.fixture
def probe_check(tmp_path):
    """The probe module on the `datacert.checks` path for one test, then gone again."""
    (tmp_path / "placeholder_number_probe.py").write_text(textwrap.dedent(PROBE_MODULE), encoding="utf-8")
    checks_package.__path__.append(str(tmp_path))
    try:
        load_all_checks()
        yield REGISTRY[PROBE_ID]
    finally:
        checks_package.__path__.remove(str(tmp_path))
        REGISTRY.pop(PROBE_ID, None)
        sys.modules.pop(f"datacert.checks.{PROBE_ID}", None)
        importlib.invalidate_caches()


def _table(n: int = 200) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    sbp = rng.normal(130, 15, n).round(0)
    sbp[[4, 40, 140]] = PLACEHOLDER
    return pl.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "sbp_mmhg": sbp,
            "bmi": rng.normal(26, 4, n).round(1),
            "y": rng.integers(0, 2, n),
        }
    )


def test_a_new_check_module_reaches_every_consumer_of_the_registry(probe_check):
    entry = {e["check"]: e for e in catalogue()}[PROBE_ID]
    assert (entry["dimension"], entry["action"], entry["order"], entry["automatic"]) == (
        "plausibility",
        "drop_placeholder_columns",
        12,
        True,
    )
    assert entry["governance"] == ["errors"] and entry["params"] == {"placeholder": PLACEHOLDER}
    assert PROBE_ID in render_catalogue(catalogue(), "csv")
    assert PROBE_ID in checks_about("errors")

    cert = datacert.check(_table(), target="y")
    (finding,) = [f for f in cert.findings if f.check == PROBE_ID]
    assert finding.columns == ("sbp_mmhg",) and finding.rows == (4, 40, 140)
    (remedy,) = [r for r in cert.remedies if r["check"] == PROBE_ID]
    assert (remedy["action"], remedy["automatic"]) == ("drop_placeholder_columns", True)
    drawn = json.dumps(cert.to_dict().get("figures", {}))
    assert PROBE_ID in drawn and "sbp_mmhg" in drawn  # the report draws the flagged distribution
    assert cert.to_dict()["scores"]["plausibility"] < 100  # scored by the profile's default indicator

    plain = json.loads(cert.to_json())
    (row,) = [r for r in build_matrix(plain) if r.article == "10(2)(h)"]
    assert any(PROBE_ID in line for line in row.findings)
    assert any(PROBE_ID in a.answer for a in build_datasheet(plain))

    result = datacert.prequalify(_table(), target="y")
    assert "sbp_mmhg" not in result.clean.columns  # its correction hook answered its finding
    assert not [u for u in result.plan.get("unfixed", []) if u["check"] == PROBE_ID]


def test_a_policy_and_a_profile_may_name_the_new_check(probe_check):
    gate = {
        "id": "no_placeholders",
        "kind": "blocking",
        "checks": [PROBE_ID],
        "when": [{"min_severity": "warning"}],
        "reason": "Placeholder numbers stand in for measurements.",
    }
    profile = load_scoring_profile("default", {"gates": [gate]})
    assert PROBE_ID in {c for g in profile.gates for c in g.checks}
    assert probe_check.resolve_params({"placeholder": -1.0}) == {"placeholder": -1.0}


def test_the_probe_is_gone_after_the_test():
    assert PROBE_ID not in load_all_checks()
