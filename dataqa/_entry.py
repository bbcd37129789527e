"""The ``dataqa`` console script: starts the command line, and turns a Ctrl-C that comes
while it is still starting (importing its libraries takes a moment) into exit code 130
and one line, as :func:`dataqa._cli_utils.handle_errors` does once a command runs."""

from __future__ import annotations

import sys

_STARTING = "interrupted while starting: nothing was read or written"


def main() -> None:
    """Console-script entry point (see :func:`dataqa.cli.main`)."""
    try:
        from dataqa.cli import main as run
    except KeyboardInterrupt:
        _stop(_STARTING)
    try:
        run()
    except KeyboardInterrupt:  # between start and command (parsing the arguments)
        _stop(_STARTING)


def _stop(message: str) -> None:
    if sys.stderr is not None:
        try:
            sys.stderr.write(message + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):  # stderr closed or gone: the exit code says it
            pass
    raise SystemExit(130)
