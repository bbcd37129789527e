"""Every shell block of the README and of docs/*.md runs.

Each ```bash block is run with ``bash -e`` in a scratch copy of the repository's layout
(``examples/`` copied, ``.venv`` linked, ``../shared/data`` linked to the shared data
folder), blocks of one file in order and in one folder, with the repository's virtual
environment first on ``PATH``. A block must exit 0, and every ``--out`` and ``--ledger``
path it names must exist afterwards.

Exempt, and why:

- blocks whose every command is ``make ...`` (``make demo``, ``make test``,
  ``make labelstudio``): they build the environment these tests run in, or start a
  long-lived server; CI runs ``make test`` itself;
- blocks that only ``export LABEL_STUDIO_...`` from a server started by hand: here the
  ``ls_server`` fixture provides the server and its key.

Blocks that talk to Label Studio (``--push``, ``dataqa ls``) run against the real
``ls_server`` fixture; blocks reading ``../shared/data`` need the shared data folder.
Both skip locally (and fail in CI) when those are missing.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.S | re.M)
SHELL_TAGS = {"bash", "sh", "shell"}


def shell_blocks(path: Path) -> list[str]:
    return [body for tag, body in FENCE.findall(path.read_text()) if tag in SHELL_TAGS]


def _commands(block: str) -> list[str]:
    joined = block.replace("\\\n", " ")
    return [ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def exempt(block: str) -> bool:
    cmds = _commands(block)
    return bool(cmds) and all(c.startswith("make ") or c.startswith("export LABEL_STUDIO_")
                              for c in cmds)


def test_blocks_are_found_and_tagged():
    # a shell command outside a ```bash block would escape these tests
    for path in DOCS:
        for tag, body in FENCE.findall(path.read_text()):
            if tag in SHELL_TAGS or tag in ("python", "text", "json", "toml"):
                continue
            for line in _commands(body):
                assert not re.match(r"(\.venv/bin/)?dataqa\s|make\s", line), (
                    f"{path.name}: shell command in an untagged block: {line!r}; tag it ```bash")
    runnable = {p.name: [b for b in shell_blocks(p) if not exempt(b)] for p in DOCS}
    assert len(runnable["README.md"]) >= 3 and runnable["weak.md"] and runnable["active.md"]


def _out_paths(block: str) -> list[str]:
    found = []
    for cmd in _commands(block):
        words = shlex.split(cmd, comments=True)
        found += [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("--out", "--ledger")]
    return found


@pytest.mark.parametrize("doc", [p for p in DOCS if any(not exempt(b) for b in shell_blocks(p))],
                         ids=lambda p: p.name)
def test_shell_blocks_run(doc, tmp_path, request):
    blocks = [b for b in shell_blocks(doc) if not exempt(b)]
    work = tmp_path / "repo"
    work.mkdir()
    shutil.copytree(REPO / "examples", work / "examples")
    (work / ".venv").symlink_to(Path(sys.prefix))
    env = {**os.environ, "PATH": f"{Path(sys.prefix) / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "COLUMNS": "120"}
    if any("../shared/data" in b for b in blocks):
        home = request.getfixturevalue("data_home")
        (tmp_path / "shared").mkdir()
        (tmp_path / "shared" / "data").symlink_to(home)
    if any("--push" in b or re.search(r"dataqa ls\s", b) for b in blocks):
        server = request.getfixturevalue("ls_server")
        env["LABEL_STUDIO_URL"] = server.url
        env["LABEL_STUDIO_API_KEY"] = server.api_key
    for block in blocks:
        res = subprocess.run(["bash", "-e", "-c", block], cwd=work, env=env,
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, (
            f"{doc.name} block failed (exit {res.returncode}):\n{block}\n"
            f"stdout:\n{res.stdout[-3000:]}\nstderr:\n{res.stderr[-3000:]}")
        assert "Traceback" not in res.stderr, res.stderr
        for out in _out_paths(block):
            assert (work / out).exists(), f"{doc.name}: {out} was not written by\n{block}"


def test_readme_audit_claims_match_a_run_on_comments_csv():
    """The issues.csv columns the README lists, in order, and the range its Python
    snippet prints for examples/data/comments.csv, are what the audit gives."""
    from dataqa.audit import audit

    text = REPO.joinpath("README.md").read_text()
    listed = re.search(r"`audit_out/issues.csv` \(ranked: `([^`]*)`", text)
    assert listed, "README: the issues.csv column list moved"
    result = audit(REPO / "examples/data/comments.csv", label_column="label",
                   text_column="text", id_column="id", progress=False)
    assert [c.strip() for c in " ".join(listed.group(1).split()).split(",")] == list(
        result.issues.columns)
    comment = re.search(r"print\(result.model_error_rate\)  # ([\d.]+% - [\d.]+%) ", text)
    assert comment, "README: the model_error_rate line moved"
    m = result.model_error_rate
    assert comment.group(1) == f"{m.low:.1%} - {m.high:.1%}"
