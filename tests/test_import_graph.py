"""What importing datacert loads: libraries a run does not use are not imported by the modules.

Every `check` process pays its imports in CPU time; these tests run a fresh interpreter, since the
test process itself has imported everything long before.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

WATCHED = ("pandas", "sklearn", "scipy.stats", "ftfy", "phonenumbers", "datacert.text.phi")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {WATCHED!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_assay_module_imports_no_model_library():
    assert _loaded_after("import datacert.assay") == set()


def test_the_check_modules_leave_text_and_phone_libraries_to_the_values_that_need_them():
    loaded = _loaded_after("from datacert.checks import load_all_checks\nload_all_checks()")
    assert not loaded & {"ftfy", "phonenumbers", "datacert.text.phi"}


def test_a_table_without_text_or_phone_numbers_never_loads_them():
    code = (
        "import polars as pl\nfrom datacert.assay import certify, load_dataset\n"
        "frame = pl.DataFrame({'a': [1, 2, 3, 4] * 10, 'b': ['x', 'y', 'z', 'x'] * 10})\n"
        "certify(load_dataset(frame), only=['encoding_errors', 'format_violation', 'direct_identifier'])"
    )
    assert not _loaded_after(code) & {"ftfy", "phonenumbers", "datacert.text.phi"}


def test_the_text_package_exports_resolve_on_first_use():
    import importlib

    import datacert.text as text

    # a submodule named like an export, imported before the export is asked for
    tokenize_module = importlib.import_module("datacert.text.tokenize")
    for name, (module, attribute) in text._LAZY.items():
        assert getattr(text, name) is getattr(importlib.import_module(f"datacert.text.{module}"), attribute)
    # `normalize` and `tokenize` stay the functions, as when the package imported every module
    assert text.tokenize is tokenize_module.tokenize and callable(text.normalize)
    assert text.LABELS is importlib.import_module("datacert.text.phi").LABELS and "ADRESSE" in text.LABELS
    assert set(text.__all__) == {"LABELS", *text._LAZY} and set(text.__all__) <= set(dir(text))
    with pytest.raises(AttributeError):
        text.no_such_name  # noqa: B018
