"""Outputs: validated before the run, written as a set, through links and streams, never half done."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from datacert.cli import app
from datacert.io import OutputError, OutputSet

runner = CliRunner()


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "in.csv"
    rows = ["id,age,sex,outcome"] + [f"{i},{20 + i % 50},{'MF'[i % 2]},{i % 3 == 0:d}" for i in range(60)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _run(args):
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _no_run(monkeypatch):
    """Make the assay fail loudly: the tests below must stop before it."""
    import datacert.assay

    def boom(*args, **kwargs):
        raise AssertionError("the run started although an output was invalid")

    monkeypatch.setattr(datacert.assay, "certify", boom)


def test_two_outputs_on_one_path_are_refused_before_the_run(table, tmp_path, monkeypatch):
    _no_run(monkeypatch)
    before = _files(tmp_path)
    code, _, err = _run(["check", table, "--json", tmp_path / "x", "--html", tmp_path / "x"])
    assert code == 2 and "--json and --html both name" in err and err.count("\n") == 1
    assert _files(tmp_path) == before


def test_prequalify_out_and_plan_on_one_path_are_refused(table, tmp_path):
    code, _, err = _run(["prequalify", table, "--out", tmp_path / "x", "--plan", tmp_path / "x"])
    assert code == 2 and "--out and --plan both name" in err
    assert not (tmp_path / "x").exists()


def test_a_hard_link_to_the_input_is_the_input(table, tmp_path, monkeypatch):
    _no_run(monkeypatch)
    link = tmp_path / "alias.json"
    os.link(table, link)
    content = table.read_bytes()
    code, _, err = _run(["check", table, "--json", link])
    assert code == 2 and "it is an input file" in err
    assert table.read_bytes() == content


def test_a_symlink_to_the_input_is_the_input(table, tmp_path):
    link = tmp_path / "alias.json"
    link.symlink_to(table)
    code, _, err = _run(["text", "deid", table, "--column", "sex", "--out", link])
    assert code == 2 and "input file" in err


def test_a_folder_a_missing_folder_and_a_file_as_folder_are_refused(table, tmp_path, monkeypatch):
    _no_run(monkeypatch)
    code, _, err = _run(["check", table, "--json", tmp_path])
    assert code == 2 and "it is a folder" in err
    code, _, err = _run(["check", table, "--json", tmp_path / "new" / "c.json"])
    assert code == 2 and "does not exist" in err and "--mkdir" in err
    code, _, err = _run(["check", table, "--json", table / "c.json"])
    assert code == 2 and "is not a folder" in err


def test_mkdir_creates_the_folder(table, tmp_path):
    target = tmp_path / "new" / "deeper" / "c.json"
    code, _, err = _run(["check", table, "--json", target, "--mkdir"])
    assert code in (0, 3, 4), err
    assert target.is_file() and _files(target.parent) == {"c.json"}


def test_an_unwritable_folder_is_refused_before_the_run(table, tmp_path, monkeypatch):
    """Root ignores permission bits, so the refusal of the folder is simulated at the system call."""
    import tempfile

    _no_run(monkeypatch)

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    code, _, err = _run(["check", table, "--json", tmp_path / "c.json"])
    assert code == 2 and err == f"datacert: cannot write --json {tmp_path / 'c.json'}: permission denied.\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused_before_the_run(table, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, _, err = _run(["check", table, "--json", folder / "c.json"])
    finally:
        folder.chmod(0o755)
    assert code == 2 and "permission denied" in err


def test_a_full_disk_is_one_sentence_and_leaves_nothing(table, tmp_path, monkeypatch):
    import datacert.io._output as output

    real_open = open

    def full(path, mode="r", *args, **kwargs):
        if "w" in mode and str(path).endswith(".tmp") and "c.html" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(output, "open", full, raising=False)
    code, _, err = _run(["check", table, "--json", tmp_path / "c.json", "--html", tmp_path / "c.html"])
    assert code == 2 and "the disk is full" in err and err.count("\n") == 1
    assert _files(tmp_path) == {"in.csv"}  # the JSON of the same set was not left behind


def test_dev_full_is_written_through_and_fails_with_one_sentence(table):
    code, _, err = _run(["check", table, "--json", "/dev/full"])
    assert code == 2 and "the disk is full" in err
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_full_device_in_a_set_leaves_no_file_of_the_set(table, tmp_path):
    """Devices are written before any file is renamed into place (a re-probe found the JSON left)."""
    code, _, err = _run(["check", table, "--json", tmp_path / "c.json", "--md", "/dev/full"])
    assert code == 2 and "the disk is full" in err
    assert _files(tmp_path) == {"in.csv"}


def test_a_failure_of_a_later_output_leaves_no_earlier_one(table, tmp_path, monkeypatch):
    import datacert.certificate

    def broken(self, redact=False):
        raise RuntimeError("renderer defect")

    monkeypatch.setattr(datacert.certificate.Certificate, "to_html", broken)
    code, _, err = _run(["check", table, "--json", tmp_path / "c.json", "--html", tmp_path / "c.html"])
    assert code == 1 and "internal error" in err and "Traceback" not in err
    assert _files(tmp_path) == {"in.csv"}


def test_an_existing_symlink_is_written_through(table, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    real = elsewhere / "cert.json"
    real.write_text("old")
    link = tmp_path / "cert.json"
    link.symlink_to(real)
    code, _, err = _run(["check", table, "--json", link])
    assert code in (0, 3, 4), err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("{")
    assert _files(elsewhere) == {"cert.json"}


def test_a_dangling_symlink_creates_its_target(table, tmp_path):
    real = tmp_path / "target.json"
    link = tmp_path / "link.json"
    link.symlink_to(real)
    code, _, err = _run(["check", table, "--json", link])
    assert code in (0, 3, 4), err
    assert link.is_symlink() and real.read_text().startswith("{")


def test_a_fifo_output_is_written_through_not_replaced(table, tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = _run(["check", table, "--json", fifo])
    reader.join(timeout=60)
    assert code in (0, 3, 4), err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert received and received[0].startswith(b"{")


def test_dev_stdout_and_dev_null_stay_streams(table, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "datacert.cli",
            "check",
            str(table),
            "--json",
            "/dev/stdout",
            "--format",
            "md",
        ],
        capture_output=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode in (0, 3, 4), result.stderr
    assert b'"schema_version"' in result.stdout and b"# datacert certificate" in result.stdout
    code, _, err = _run(["check", table, "--json", "/dev/null"])
    assert code in (0, 3, 4), err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_permissions_of_a_replaced_file_are_kept(tmp_path):
    target = tmp_path / "c.json"
    target.write_text("old")
    target.chmod(0o640)
    with OutputSet({"--json": target}) as out:
        out.write("--json", "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_an_exception_inside_the_set_removes_every_temporary_file(tmp_path):
    with pytest.raises(ValueError), OutputSet({"a": tmp_path / "a.txt", "b": tmp_path / "b.txt"}) as out:
        assert len(_files(tmp_path)) == 2  # reserved before the run
        out.write("a", "x")
        raise ValueError("the run failed")
    assert _files(tmp_path) == set()


def test_output_set_refuses_inputs_and_duplicates_by_inode(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("a\n1\n")
    with pytest.raises(OutputError, match="input file"):
        OutputSet({"--out": tmp_path / "." / "in.csv"}, inputs=[src])
    other = tmp_path / "o.txt"
    other.write_text("")
    os.link(other, tmp_path / "o2.txt")
    with pytest.raises(OutputError, match="both name"):
        OutputSet({"--a": other, "--b": tmp_path / "o2.txt"})
    assert _files(tmp_path) == {"in.csv", "o.txt", "o2.txt"}


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_the_run_cleans_up_and_exits(tmp_path, signum, code):
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "datacert.cli", "check", "--demo", "--json", str(out / "c.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 120
    while not any(out.iterdir()) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)  # the temporary file is reserved before the run starts
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code
    lines = err.decode().splitlines()
    assert lines == [f"datacert: stopped by {signal.Signals(signum).name}; no output was written."]
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_the_engine_loads_is_one_sentence(signum, code):
    # the `datacert` script installs its handlers before importing the engine: a signal that
    # arrives during the imports ends the process with one sentence, not a traceback or silence
    script = (
        "import os, signal\n"
        "from datacert._entry import install_startup_handlers\n"
        "install_startup_handlers()\n"
        f"os.kill(os.getpid(), {int(signum)})\n"
        "import datacert.cli\n"
        "raise SystemExit('the signal was not handled')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == code
    name = signal.Signals(signum).name
    assert proc.stderr.decode().splitlines() == [f"datacert: stopped by {name}; no output was written."]
