"""The ``dataqa`` console script: starts the command line, and turns a Ctrl-C that comes
while it is still starting (importing its libraries takes a moment) into exit code 130
and one line, as :func:`dataqa._cli_utils.handle_errors` does once a command runs. A
Ctrl-C that comes after a command has finished does not turn its success into a failure:
the command's outputs are complete, so the exit code stays 0, with a line saying so."""

from __future__ import annotations

import sys

_STARTING = "interrupted while starting: nothing was read or written"
_FINISHED = "Ctrl-C came after the command had finished: its output is complete"


def main() -> None:
    """Console-script entry point (see :func:`dataqa.cli.main`)."""
    try:
        from dataqa._cli_utils import RUN_PHASE
        from dataqa.cli import main as run
    except KeyboardInterrupt:
        _stop(_STARTING)
    RUN_PHASE["phase"] = "starting"
    try:
        run()
    except KeyboardInterrupt:  # outside the command line's own handling
        _interrupted()
        _stop("interrupted")
    except SystemExit as exc:
        if exc.code == 130:  # the command line's exit code for a Ctrl-C
            _interrupted()
        raise


def _interrupted() -> None:
    """Say what a Ctrl-C that ended the command line interrupted, when no command did."""
    from dataqa._cli_utils import RUN_PHASE

    phase = RUN_PHASE["phase"]
    if phase == "starting":
        _stop(_STARTING)
    if phase == "finished":
        _say(_FINISHED)
        raise SystemExit(0)
    # "running": the command said what it interrupted (handle_errors)


def _say(message: str) -> None:
    if sys.stderr is not None:
        try:
            sys.stderr.write(message + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):  # stderr closed or gone: the exit code says it
            pass


def _stop(message: str) -> None:
    _say(message)
    raise SystemExit(130)
