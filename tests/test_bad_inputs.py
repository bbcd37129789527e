"""Every bad input gets one clear line.

One case per row of the bad-input table: each case runs a command (exit code 2) or an
API call (a ``DataqaError``) and checks the one-line message names what was wrong and
what to do, and that nothing was left behind (no partial output, no ledger change).

A case is a function ``case(tmp_path, request) -> None`` that asserts by itself
(``request.getfixturevalue`` gives it any fixture it needs); the helpers
below do the common part. Cases are grouped by area; each group is a list of
``pytest.param(func, id="rowNN-what")`` and all groups are run by one parametrized test.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataqa.cli import app
from dataqa.errors import DataqaError

runner = CliRunner()


def cli_fails(args: list[str], *expected: str) -> str:
    """Run ``dataqa ARGS``; assert exit code 2, no traceback, one message line holding
    every string of ``expected``; return the output."""
    res = runner.invoke(app, [str(a) for a in args])
    out = res.output
    assert res.exit_code == 2, f"exit {res.exit_code}, output:\n{out}\n{res.exception!r}"
    assert "Traceback" not in out, out
    message = " ".join(out.split())  # rich may wrap the line: compare without the wrapping
    for text in expected:
        assert text in message, f"{text!r} not in message:\n{out}"
    return out


def api_fails(func, *expected: str, error: type[DataqaError] = DataqaError) -> DataqaError:
    """Call ``func()``; assert it raises ``error`` whose message holds every ``expected``."""
    with pytest.raises(error) as info:
        func()
    message = str(info.value)
    assert "\n" not in message.strip(), f"message spans several lines: {message!r}"
    for text in expected:
        assert text in message, f"{text!r} not in message: {message!r}"
    return info.value


def snapshot(path: Path) -> str | None:
    """Content hash of a file (``None`` when missing), to show nothing was changed."""
    path = Path(path)
    if not path.exists():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- area: data and audit (rows 3, 5, 6, 7, 12 audit, 15 audit, 17, 22, 23, 25) ---
CASES_DATA: list = []
# --- end area: data and audit ---

# --- area: active learning and ledger (rows 1, 8, 9, 10, 11, 12 al, 14, 15 al, 16, 19 ledger) ---
CASES_ACTIVE: list = []
# --- end area: active learning and ledger ---

# --- area: weak supervision and ood (rows 4, 13, 18, 19 weak/ood) ---
CASES_WEAK_OOD: list = []
# --- end area: weak supervision and ood ---

# --- area: Label Studio (rows 2, 15 ls, 20, 21, 24) ---
CASES_LABELSTUDIO: list = []
# --- end area: Label Studio ---


ALL_CASES = CASES_DATA + CASES_ACTIVE + CASES_WEAK_OOD + CASES_LABELSTUDIO


@pytest.mark.parametrize("case", ALL_CASES)
def test_bad_input(case, tmp_path, monkeypatch, request):
    monkeypatch.chdir(tmp_path)
    case(tmp_path, request)
