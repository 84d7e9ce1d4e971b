"""The package boundaries hold: no package reaches into another package's private modules."""

import ast
from pathlib import Path

import datacert

SOURCE = Path(datacert.__file__).resolve().parent


def _imported_modules(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def _private_reach_ins(path: Path, text: str | None = None) -> list[str]:
    """Imports of `datacert.<package>._<module>` from a file outside `<package>`."""
    own = path.relative_to(SOURCE).parts[0].removesuffix(".py")
    source = path.read_text(encoding="utf-8") if text is None else text
    found = []
    for name in _imported_modules(ast.parse(source)):
        parts = name.split(".")
        if parts[0] != "datacert" or len(parts) < 3:
            continue
        if parts[1] != own and any(part.startswith("_") for part in parts[2:]):
            found.append(f"{path.relative_to(SOURCE)} imports {name}")
    return found


def test_no_package_imports_another_packages_private_module():
    problems = [p for path in sorted(SOURCE.rglob("*.py")) for p in _private_reach_ins(path)]
    assert not problems, "private reach-ins:\n" + "\n".join(problems)


def test_the_reach_in_detector_sees_one():
    probe = SOURCE / "synth" / "utility.py"
    reach_in = "from datacert.checks._reference_model import reference_fit\n"
    assert _private_reach_ins(probe, reach_in) == [
        "synth/utility.py imports datacert.checks._reference_model"
    ]
    own_package = SOURCE / "checks" / "reference_model.py"
    assert not _private_reach_ins(own_package, reach_in)  # a package may use its own private modules


def _check_id_literals(path: Path, ids: set[str], text: str | None = None) -> list[str]:
    """Whole string constants of a module that equal a registered check id (docstrings excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    relative = str(path.relative_to(SOURCE))
    return [
        f"{relative}:{node.lineno} names the check {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in ids
        and id(node) not in docstrings
    ]


def test_no_check_id_is_written_outside_the_checks():
    """A check's identity lives in its class: no module outside `checks/` selects a check by its id.

    Code asks the check classes or the registry instead (governance topics, remedies, figures,
    correction hooks). The scoring profiles' YAML name checks as a user's policy does; they are
    data, validated against the registry by their JSON Schema.
    """
    from datacert.checks import load_all_checks

    ids = set(load_all_checks())
    outside = [p for p in sorted(SOURCE.rglob("*.py")) if p.relative_to(SOURCE).parts[0] != "checks"]
    problems = [p for path in outside for p in _check_id_literals(path, ids)]
    assert not problems, "check ids written outside checks/:\n" + "\n".join(problems)


def test_the_check_id_detector_sees_one():
    probe = SOURCE / "audit" / "art10.py"
    selecting = '"""Mentions distribution_shift in prose."""\nshift = view.checks.get("distribution_shift")\n'
    assert _check_id_literals(probe, {"distribution_shift"}, selecting) == [
        "audit/art10.py:2 names the check 'distribution_shift'"
    ]
