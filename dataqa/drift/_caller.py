"""Warnings that point at the caller's line, not at dataqa's own.

A warning raised deep inside :func:`~dataqa.drift.detect_drift` names the file and line
it was raised from (``dataqa/drift/detect.py:123``) unless its ``stacklevel`` reaches the
user's code; a fixed ``stacklevel`` is right for one call depth only.
:func:`caller_stacklevel` counts the frames up to the first one outside the ``dataqa``
package at the moment of the warning, and :class:`WarningsAtCaller` does the same for the
warnings of other dataqa modules (reading files, making ids) that drift calls.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["WarningsAtCaller", "caller_stacklevel"]

#: The folder of the ``dataqa`` package; a frame whose file lies under it is dataqa's own.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
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


class WarningsAtCaller:
    """A context manager that moves the warnings raised inside it to the caller's line.

    For calls from drift into other dataqa modules (reading a table, making ids, checking
    labels), whose ``warnings.warn`` calls pass a fixed ``stacklevel``: the warnings are
    held while the block runs and raised again when it ends (also when it raises), each
    naming the frame :func:`caller_stacklevel` finds; a warning that names a file outside
    dataqa (another library's) is raised again as it was. The caller's warning filters
    decide, as for any warning, whether each is shown, ignored or raised as an error.

    Keep the block short (one call): its warnings are shown when it ends. Like
    :class:`warnings.catch_warnings`, which it uses, it changes the process's warning
    state while it runs, so threads that warn at the same time may see it.
    """

    def __enter__(self) -> WarningsAtCaller:
        self._catcher = warnings.catch_warnings(record=True)
        self._caught = self._catcher.__enter__()
        warnings.simplefilter("always")  # every one is held; the caller's filters decide
        return self

    def __exit__(self, *exc_info) -> bool:
        self._catcher.__exit__(*exc_info)
        for w in self._caught:
            if _is_own(w.filename) and not _is_cli(w.filename):
                warnings.warn(w.message, stacklevel=caller_stacklevel())
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno,
                                       source=w.source)
        return False
