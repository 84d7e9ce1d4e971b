"""The `datacert` script: signal handlers first, then the command line.

Loading the engine takes a second or more; a SIGINT or SIGTERM in that time would otherwise end
the process with a traceback or silently. Nothing has been written yet, so the handler only says
so and exits; each command then installs its own handlers, which clean up its outputs.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _stopped_while_starting(signum: int, frame: Any) -> None:
    sys.stderr.write(f"datacert: stopped by {signal.Signals(signum).name}; no output was written.\n")
    sys.stderr.flush()
    os._exit(_EXIT[signal.Signals(signum)])


def install_startup_handlers() -> None:
    """Answer SIGINT and SIGTERM with one sentence until a command installs its own handlers."""
    for signum in _EXIT:
        signal.signal(signum, _stopped_while_starting)


def main() -> None:
    install_startup_handlers()
    from datacert.cli import main as run

    run()
