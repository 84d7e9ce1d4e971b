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
