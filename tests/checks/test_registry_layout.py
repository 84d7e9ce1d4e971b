"""The checks' layout is an index of them: scoring reads dimensions from it without importing checks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from datacert.checks import Check, CheckResult, Needs, Remedy, check_dimensions, load_all_checks, register


def test_the_layout_gives_every_registered_check_and_its_dimension():
    registered = {check_id: cls.dimension for check_id, cls in load_all_checks().items()}
    assert check_dimensions() == registered


def test_a_short_list_imports_only_the_named_checks_and_scoring_validates_without_the_others():
    probe = (
        "import sys\n"
        "from datacert.checks import load_all_checks\n"
        "from datacert.scoring import load_scoring_profile\n"
        "wanted = ['missing_values', 'duplicate_rows']\n"
        "assert list(load_all_checks(wanted)) == sorted(wanted)\n"
        "load_scoring_profile()\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('datacert.checks.') and m.count('.') == 3)\n"
        "print(' '.join(m for m in loaded if not m.rsplit('.', 1)[1].startswith('_')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == [
        "datacert.checks.completeness.missing_values",
        "datacert.checks.uniqueness.duplicate_rows",
    ]


def _misplaced(check_id: str, dimension: str) -> type[Check]:
    class Misplaced(Check):
        """A check whose identity disagrees with the module it lives in."""

        id = check_id
        needs = Needs()
        remedy = Remedy(action="none", order=99)

        def run(self, data, profile, params):
            return CheckResult.quiet({})

    Misplaced.dimension = dimension
    Misplaced.__module__ = "datacert.checks.completeness.missing_values"
    return Misplaced


@pytest.mark.parametrize(
    ("check_id", "dimension"), [("other_name", "completeness"), ("missing_values", "privacy")]
)
def test_register_refuses_a_check_whose_id_or_dimension_disagrees_with_its_place(check_id, dimension):
    with pytest.raises(ValueError, match="must have id 'missing_values' and dimension 'completeness'"):
        register(_misplaced(check_id, dimension))
