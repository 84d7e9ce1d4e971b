"""`python -m datacert.cli` and `python -m datacert` start as the `datacert` script does.

The script (`datacert._entry:main`) installs its SIGINT/SIGTERM handlers before the engine loads,
so a signal during the second or more of imports ends the run with one sentence. Running the
package as a module must do the same: it imports `datacert.cli` first, which therefore must not
load the commands (and the engine behind them) on import.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

ENGINE_MODULES = ("datacert.cli._check", "datacert.assay", "sklearn", "polars")


def test_importing_the_cli_package_loads_no_command_and_no_engine():
    script = (
        "import json, sys\n"
        "import datacert.cli\n"
        f"print(json.dumps([m for m in {ENGINE_MODULES!r} if m in sys.modules]))\n"
        "from datacert.cli import app\n"
        "print(json.dumps(sorted(c.name or c.callback.__name__ for c in app.registered_commands)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded_on_import, commands = (json.loads(line) for line in proc.stdout.splitlines())
    assert loaded_on_import == []
    assert "check" in commands  # asking for the app registers every command


@pytest.mark.parametrize("module", ["datacert.cli", "datacert"])
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_running_the_package_as_a_module_installs_the_handlers_before_the_engine(module, signum, code):
    # run `python -m MODULE check --demo` in-process with runpy; the signal is sent the moment the
    # entry's handlers are installed, and the hook notes whether the engine was loaded by then
    script = (
        "import os, runpy, sys\n"
        "import datacert._entry as entry\n"
        "install = entry.install_startup_handlers\n"
        "def install_then_signal():\n"
        "    install()\n"
        f"    early = [m for m in {ENGINE_MODULES!r} if m in sys.modules]\n"
        "    if early:\n"
        "        sys.stderr.write(f'engine loaded before the handlers: {early}\\n')\n"
        f"    os.kill(os.getpid(), {int(signum)})\n"
        "entry.install_startup_handlers = install_then_signal\n"
        f"sys.argv = [{module!r}, 'check', '--demo']\n"
        f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
        "raise SystemExit('the signal was not handled')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    name = signal.Signals(signum).name
    assert proc.stderr.decode().splitlines() == [f"datacert: stopped by {name}; no output was written."]
    assert proc.returncode == code
