"""Fuzzing the readers and the command line with mutated real files.

    python -m benchmarks.fuzz --minutes 30 [--seed 0]

Seeds are small real tables (scikit-learn's breast cancer data, the demo cohort with French
notes) written as CSV, semicolon CSV with decimal commas, TSV, Parquet, Excel and JSON Lines.
Each input is a seed with a few mutations (truncation, bit flips, NULs, quotes, delimiters,
newlines, re-encoding, huge fields, random bytes). Every input must give exit code 0, 2, 3 or 4,
never 1, never a traceback nor a Rust panic report; on exit 2 nothing may be written; the input
must be unchanged.
The test suite runs the same properties with hypothesis on a bounded number of inputs
(tests/test_fuzz.py); this command runs them for as long as asked and writes
benchmarks/results/fuzz.json, keeping each failing input under benchmarks/results/fuzz-failures/.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"

# -- seeds -----------------------------------------------------------------------------------------


def seed_files() -> dict[str, bytes]:
    """Small real tables in every supported format, as bytes (name -> content); built once."""
    import polars as pl
    from sklearn.datasets import load_breast_cancer

    from datacert.demo import demo_frame

    bunch = load_breast_cancer(as_frame=True)
    cancer = pl.from_pandas(bunch.frame.iloc[:40, [0, 1, 2, 3, 4, 5, 20, 30]].reset_index(drop=True))
    cancer = cancer.rename({c: c.replace(" ", "_") for c in cancer.columns})
    demo = demo_frame().head(30)
    seeds: dict[str, bytes] = {}
    seeds["cancer.csv"] = cancer.write_csv().encode()
    semicolon = cancer.with_columns(
        pl.col(pl.Float64).round(3).cast(pl.String).str.replace(".", ",", literal=True)
    )
    seeds["cancer_fr.csv"] = semicolon.write_csv(separator=";").encode("cp1252")
    seeds["cancer.tsv"] = cancer.write_csv(separator="\t").encode()
    seeds["demo.csv"] = demo.write_csv().encode()
    for name, frame in (("cancer", cancer), ("demo", demo)):
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        seeds[f"{name}.parquet"] = buffer.getvalue()
        buffer = io.BytesIO()
        frame.write_ndjson(buffer)
        seeds[f"{name}.jsonl"] = buffer.getvalue()
    buffer = io.BytesIO()
    cancer.write_excel(buffer)
    seeds["cancer.xlsx"] = buffer.getvalue()
    return seeds


TARGETS = {"cancer": "target", "demo": "readmission_30d"}

# -- mutations (each: bytes, two numbers in [0, 1) -> bytes) ------------------------------------


def _at(data: bytes, where: float) -> int:
    return min(len(data), int(where * (len(data) + 1)))


def truncate(data: bytes, where: float, _: float) -> bytes:
    return data[: _at(data, where)]


def flip_bit(data: bytes, where: float, bit: float) -> bytes:
    if not data:
        return data
    i = min(len(data) - 1, _at(data, where))
    return data[:i] + bytes([data[i] ^ (1 << int(bit * 8) % 8)]) + data[i + 1 :]


def _insert(piece: bytes) -> Callable[[bytes, float, float], bytes]:
    def insert(data: bytes, where: float, _: float) -> bytes:
        i = _at(data, where)
        return data[:i] + piece + data[i:]

    insert.__name__ = f"insert_{piece!r}"
    return insert


def delete_span(data: bytes, where: float, size: float) -> bytes:
    i = _at(data, where)
    return data[:i] + data[i + 1 + int(size * 64) :]


def duplicate_line(data: bytes, where: float, _: float) -> bytes:
    lines = data.split(b"\n")
    i = min(len(lines) - 1, int(where * len(lines)))
    return b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])


def random_bytes(data: bytes, where: float, size: float) -> bytes:
    rng = np.random.default_rng(int(where * 2**31))
    chunk = rng.integers(0, 256, size=1 + int(size * 256), dtype=np.uint8).tobytes()
    i = _at(data, where)
    return data[:i] + chunk + data[i:]


def huge_field(data: bytes, where: float, size: float) -> bytes:
    """A field past the standard library's 128 KiB limit, quoted or not."""
    i = _at(data, where)
    field = b"x" * (140_000 + int(size * 100_000))
    if size > 0.5:
        field = b'"' + field + b'"'
    return data[:i] + field + data[i:]


def reencode(data: bytes, where: float, kind: float) -> bytes:
    """Part of the file re-encoded: CP-1252 lines inside UTF-8, or the whole file as UTF-16."""
    text = data.decode("utf-8", errors="replace")
    i = int(where * len(text))
    encoding = ["cp1252", "latin-1", "utf-16", "utf-8-sig"][int(kind * 4) % 4]
    if encoding in ("utf-16", "utf-8-sig"):
        return text.encode(encoding)
    return text[:i].encode("utf-8") + text[i:].encode(encoding, errors="replace")


def accents(data: bytes, where: float, _: float) -> bytes:
    return _insert('é,"Mme LEFÈVRE"\r\n'.encode())(data, where, 0.0)


MUTATIONS: list[Callable[[bytes, float, float], bytes]] = [
    truncate,
    flip_bit,
    _insert(b"\x00"),
    _insert(b'"'),
    _insert(b"5'11\""),
    _insert(b","),
    _insert(b";"),
    _insert(b"\t"),
    _insert(b"\n"),
    _insert(b"\r"),
    _insert(b"inf,nan,-inf,1e999"),
    _insert(b"\x1b]8;;http://x\x07<script>"),
    delete_span,
    duplicate_line,
    random_bytes,
    huge_field,
    reencode,
    accents,
]


def mutate(seed: bytes, steps: list[tuple[int, float, float]]) -> bytes:
    data = seed
    for index, a, b in steps:
        data = MUTATIONS[index % len(MUTATIONS)](data, a, b)
    return data


# -- the properties --------------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # "reader" or "cli"
    exit_code: int
    problem: str | None  # None when every property held


def run_reader(path: Path) -> Outcome:
    """read_table either returns a table or raises InputError: nothing else."""
    from datacert.io import InputError, read_table

    try:
        read_table(path)
    except InputError as exc:
        message = str(exc)
        if "\n" in message:
            return Outcome("reader", 2, f"InputError message spans lines: {message[:200]!r}")
        return Outcome("reader", 2, None)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        return Outcome("reader", 1, f"{type(exc).__name__}: {str(exc)[:300]}")
    return Outcome("reader", 0, None)


def run_cli(path: Path, out_dir: Path, target: str | None) -> Outcome:
    """`datacert check` in-process: exit 0/2/3/4, one line on exit 2, no traceback, nothing written."""
    from typer.testing import CliRunner

    from datacert.cli import app

    before = hashlib.sha256(path.read_bytes()).hexdigest()
    args = ["check", str(path), "--json", str(out_dir / "c.json"), "--md", str(out_dir / "c.md")]
    if target:
        args += ["--target", target]
    native = tempfile.TemporaryFile()  # what bypasses sys.stderr (a Rust panic report) lands here
    saved = os.dup(2)
    os.dup2(native.fileno(), 2)
    try:
        result = CliRunner().invoke(app, args)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    native.seek(0)
    native_text = native.read().decode("utf-8", errors="replace")
    native.close()
    code = result.exit_code
    problem = None
    text = result.stdout + result.stderr + native_text
    if code not in (0, 2, 3, 4):
        problem = f"exit {code}: {result.stderr.strip()[:300] or repr(result.exception)}"
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        problem = f"exception escaped: {type(result.exception).__name__}: {result.exception}"
    elif "Traceback" in text:
        problem = "a traceback was printed"
    elif "panicked at" in text:
        problem = f"a Rust panic report reached standard error: {native_text[:300]!r}"
    elif code == 2 and (any(out_dir.iterdir()) or result.stderr.count("\n") != 1):
        problem = f"exit 2 but outputs were written or the message is not one line: {result.stderr[:300]!r}"
    elif code != 2 and not (out_dir / "c.json").is_file():
        problem = f"exit {code} without the certificate"
    if hashlib.sha256(path.read_bytes()).hexdigest() != before:
        problem = "the input file was modified"
    for leftover in out_dir.iterdir():
        leftover.unlink()
    return Outcome("cli", code, problem)


# -- the long run ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to fuzz")
    parser.add_argument("--seed", type=int, default=0, help="random seed (runs are reproducible)")
    parser.add_argument("--cli-share", type=float, default=0.35, help="share of inputs run through the CLI")
    args = parser.parse_args()

    import warnings

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(args.seed)
    seeds = seed_files()
    names = sorted(seeds)
    deadline = time.monotonic() + args.minutes * 60
    counts: Counter[str] = Counter()
    failures: list[dict[str, object]] = []
    failure_dir = RESULTS / "fuzz-failures"
    work = Path(tempfile.mkdtemp(prefix="datacert-fuzz-"))
    started = time.time()
    try:
        while time.monotonic() < deadline:
            name = names[int(rng.integers(len(names)))]
            steps = [
                (int(rng.integers(len(MUTATIONS))), float(rng.random()), float(rng.random()))
                for _ in range(int(rng.integers(1, 4)))
            ]
            data = mutate(seeds[name], steps)
            path = work / name
            path.write_bytes(data)
            out_dir = work / "out"
            out_dir.mkdir(exist_ok=True)
            if rng.random() < args.cli_share:
                target = TARGETS[name.split(".")[0].split("_")[0]] if rng.random() < 0.7 else None
                outcome = run_cli(path, out_dir, target)
            else:
                outcome = run_reader(path)
            counts[f"{outcome.kind}_inputs"] += 1
            counts[f"{outcome.kind}_exit_{outcome.exit_code}"] += 1
            if outcome.problem:
                failure_dir.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256(data).hexdigest()[:16]
                kept = failure_dir / f"{digest}-{name}"
                kept.write_bytes(data)
                failures.append(
                    {
                        "input": str(kept.relative_to(RESULTS)),
                        "seed_file": name,
                        "steps": steps,
                        **vars(outcome),
                    }
                )
                print(f"FAILURE {kept.name}: {outcome.problem}", flush=True)
            total = counts["reader_inputs"] + counts["cli_inputs"]
            if total % 100 == 0:
                print(f"{total} inputs, {len(failures)} failures", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "minutes": round((time.time() - started) / 60, 2),
        "seed": args.seed,
        "inputs": counts["reader_inputs"] + counts["cli_inputs"],
        "counts": dict(sorted(counts.items())),
        "failures": failures,
        "mutations": [m.__name__ for m in MUTATIONS],
        "seed_files": names,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fuzz.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "failures"}, indent=2))
    print(f"{len(failures)} failures; report in {RESULTS / 'fuzz.json'}")


if __name__ == "__main__":
    main()
