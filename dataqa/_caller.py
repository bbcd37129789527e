"""Warnings that point at the caller's line, not at dataqa's own.

A warning raised deep inside dataqa (reading a file, making ids, a drift check) names
the file and line it was raised from unless its ``stacklevel`` reaches the user's code;
a fixed ``stacklevel`` is right for one call depth only. :func:`caller_stacklevel`
counts the frames up to the first one outside the ``dataqa`` package at the moment of
the warning.
"""

from __future__ import annotations

import os
import sys

__all__ = ["caller_stacklevel"]

#: The folder of the ``dataqa`` package; a frame whose file lies under it is dataqa's own.
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: Files of dataqa's command line: a warning met on the way out through one of them is
#: the command's (``dataqa ...`` prints those as plain ``warning: ...`` lines).
_CLI_FILES = ("cli.py", "_cli_utils.py")


def _is_own(filename: str) -> bool:
    """Whether ``filename`` belongs to the ``dataqa`` package."""
    return os.path.abspath(filename).startswith(_PACKAGE_DIR)


def _is_cli(filename: str) -> bool:
    return os.path.basename(filename) in _CLI_FILES


def caller_stacklevel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` call in the function that calls this one,
    such that the warning names the first frame outside the ``dataqa`` package: the
    user's script, notebook cell or test.

    When the way out passes through a file of dataqa's command line (``cli.py``,
    ``_cli_utils.py``), the warning names that frame instead, so ``dataqa ...`` keeps
    printing its warnings as its own. When every frame is dataqa's, the outermost.

    Use it as ``warnings.warn(message, UserWarning, stacklevel=caller_stacklevel())``:
    the count is taken at the warning, so it stays right however deep the call.

    Returns
    -------
    int
        1 names the function that calls this one, 2 its caller, and so on.
    """
    frame = sys._getframe(1)  # the function that warns: level 1
    level = 1
    while frame.f_back is not None:
        name = frame.f_code.co_filename
        if not _is_own(name) or _is_cli(name):
            break
        frame = frame.f_back
        level += 1
    return level
