"""Output folders written whole or marked incomplete (:mod:`dataqa.outdir`)."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from dataqa.errors import IncompleteFolderError, InvalidSettingError
from dataqa.outdir import (
    MARK_NAME,
    check_complete,
    write_text_atomic,
    writing_folder,
)


def test_the_mark_stays_when_the_writing_stops_and_goes_when_it_ends(tmp_path):
    out = tmp_path / "o"
    with writing_folder(out, "dataqa thing --out o"):
        mark = json.loads((out / MARK_NAME).read_text())
        assert (mark["command"], mark["pid"], mark["host"]) == (
            "dataqa thing --out o", os.getpid(), socket.gethostname())
        with writing_folder(out, "inner save"):  # nested: the outer mark stays
            pass
        assert (out / MARK_NAME).is_file()
    assert not (out / MARK_NAME).exists()
    check_complete(out)  # nothing to say
    for stop in (KeyboardInterrupt(), OSError(28, "No space left on device")):
        with pytest.raises(type(stop)):
            with writing_folder(out, "dataqa thing --out o"):
                (out / "a.csv").write_text("half")
                raise stop
        assert (out / MARK_NAME).is_file()
        with pytest.raises(IncompleteFolderError,
                           match=r"folder '.*o' is incomplete: `dataqa thing --out o` was "
                                 r"writing it \(started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\) "
                                 r"and did not finish, so its files may be of two runs; run "
                                 r"that again \(it removes INCOMPLETE.json when done\)"):
            check_complete(out)
    # a stopped run's mark does not block the next run, which removes it
    with writing_folder(out, "again"):
        pass
    check_complete(out)


def test_a_folder_another_live_run_writes_is_refused(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / MARK_NAME).write_text(json.dumps({
            "command": "dataqa audit x --out o", "pid": other.pid,
            "host": socket.gethostname(), "started_at": "2026-01-01 00:00:00 UTC"}))
        with pytest.raises(InvalidSettingError, match=r"is being written by another run now "
                                                      r"\(dataqa audit x --out o, process "
                                                      rf"{other.pid}, since 2026-01-01"):
            with writing_folder(out, "dataqa audit y --out o"):
                pass
        with pytest.raises(IncompleteFolderError, match="is being written now"):
            check_complete(out)
        # a command refuses it before any work, naming the mark to delete if none runs
        from dataqa._cli_utils import check_out_dir

        with pytest.raises(InvalidSettingError, match=r"if no run is going, delete "
                                                      r"'.*INCOMPLETE.json'"):
            check_out_dir(out)
    finally:
        other.kill()
        other.wait()
    # once it is gone, its mark is a stopped run's
    with pytest.raises(IncompleteFolderError, match="did not finish"):
        check_complete(out)


def test_write_text_atomic_leaves_nothing_half_written(tmp_path, monkeypatch):
    path = tmp_path / "summary.json"
    path.write_text("old")
    real = os.replace

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_text_atomic(path, "new")
    monkeypatch.setattr(os, "replace", real)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.json"]
    write_text_atomic(path, "new")
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_drift_and_weak_saves_are_marked_too(tmp_path, monkeypatch):
    from dataqa.drift import detect_drift
    from dataqa.drift.result import DriftResult

    ref = pd.DataFrame({"x": range(40), "c": ["a", "b"] * 20})
    cur = pd.DataFrame({"x": range(5, 45), "c": ["a", "b"] * 20})
    res = detect_drift(ref, cur, n_permutations=19)
    res.save(tmp_path / "d")
    assert not (tmp_path / "d" / MARK_NAME).exists()

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(DriftResult, "to_html", stop)
    with pytest.raises(KeyboardInterrupt):
        res.save(tmp_path / "d")
    with pytest.raises(IncompleteFolderError, match="`DriftResult.save` was writing it"):
        check_complete(tmp_path / "d")


def _weak_args(tmp_path) -> list[str]:
    """`dataqa weak` on 30 rows and three keyword LFs, into ``tmp_path / "w"``."""
    data = tmp_path / "t.csv"
    pd.DataFrame({"id": range(30), "text": ["buy now"] * 10 + ["nice song"] * 20}).to_csv(
        data, index=False)
    lfs = tmp_path / "lfs.py"
    lfs.write_text("from labeling_functions.keywords import keyword_lf\n"
                   "lfs = [keyword_lf('buy', 'buy', 1), keyword_lf('song', 'song', 0),\n"
                   "       keyword_lf('now', 'now', 1)]\n")
    return ["weak", str(data), "--lfs", str(lfs), "--cardinality", "2", "--text-column",
            "text", "--id-column", "id", "--out", str(tmp_path / "w"), "-q"]


def test_a_full_disk_is_said_in_one_line_and_the_folder_stays_marked(tmp_path, monkeypatch):
    import errno

    from typer.testing import CliRunner

    from dataqa.cli import app
    from dataqa.weak.pipeline import WeakResult


    def full(self, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(WeakResult, "to_html", full)
    res = CliRunner().invoke(app, _weak_args(tmp_path))
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert (f"error: No space left on device ({str(tmp_path / 'w' / 'report.html')!r}): free "
            f"some space, then run the command again ({str(tmp_path / 'w')!r} keeps "
            f"INCOMPLETE.json until then).") in text
    assert "Traceback" not in text and (tmp_path / "w" / MARK_NAME).is_file()


def test_ls_push_from_a_file_of_a_stopped_run_is_refused_before_any_request(tmp_path,
                                                                            monkeypatch):
    from typer.testing import CliRunner

    from dataqa.cli import app

    folder = tmp_path / "drift_out"
    folder.mkdir()
    (folder / "queue.csv").write_text("id,text\n1,a\n2,b\n")
    (folder / MARK_NAME).write_text(json.dumps({"command": "dataqa drift r.csv c.csv --out x",
                                                "pid": 0, "host": "elsewhere",
                                                "started_at": "2026-01-01 00:00:00 UTC"}))
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "k")
    res = CliRunner().invoke(app, ["ls", "push", "--from", str(folder / "queue.csv"),
                                   "--project", "p", "--classes", "a,b", "--ledger",
                                   str(tmp_path / "l.db"), "--queue", "active", "--url",
                                   "http://127.0.0.1:9"])
    assert res.exit_code == 2, res.output
    assert ("is incomplete: `dataqa drift r.csv c.csv --out x` was writing it (started "
            "2026-01-01 00:00:00 UTC) and did not finish") in " ".join(res.output.split())
    # an audit's folder stopped before its first files: the folder itself is named
    audit_dir = tmp_path / "audit_out"
    audit_dir.mkdir()
    (audit_dir / "issues.csv").write_text("id\n1\n")
    (audit_dir / MARK_NAME).write_text(json.dumps({"command": "dataqa audit d.csv",
                                                   "pid": 0, "host": "elsewhere"}))
    res = CliRunner().invoke(app, ["ls", "push", "--from", str(audit_dir), "--project", "p",
                                   "--classes", "a,b", "--ledger", str(tmp_path / "l.db"), "--queue", "review",
                                   "--url", "http://127.0.0.1:9"])
    assert res.exit_code == 2, res.output
    assert (f"error: --from {str(audit_dir)!r} is incomplete: `dataqa audit d.csv` was "
            f"writing it") in " ".join(res.output.split())


def test_a_full_disk_that_names_no_file_names_the_folder_and_a_bare_permission_error_is_raised(
        tmp_path, monkeypatch):
    import errno

    from typer.testing import CliRunner

    from dataqa.cli import app
    from dataqa.weak.pipeline import WeakResult

    args = _weak_args(tmp_path)

    def full(self, path):  # as write() meets a full disk: no file named
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(WeakResult, "to_html", full)
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert (f"error: No space left on device ({str(tmp_path / 'w')!r}): free some space"
            in " ".join(res.output.split()))

    def bare(self, path):  # a permission error of no place the user chose: a bug's trace
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(WeakResult, "to_html", bare)
    res = CliRunner().invoke(app, args)
    assert isinstance(res.exception, PermissionError) and "error:" not in res.output


def _mark_of(pid: int, command: str) -> str:
    return json.dumps({"command": command, "pid": pid, "host": socket.gethostname(),
                       "started_at": "2026-01-01 00:00:00 UTC", "stage": "main"})


def test_of_two_runs_starting_at_once_into_one_folder_one_writes(tmp_path, monkeypatch):
    import dataqa.outdir as outdir

    out = tmp_path / "o"
    out.mkdir()
    mark = out / MARK_NAME
    # another run holds the folder's lock and writes its mark only after this run has
    # started looking: without the lock both found no mark and both wrote
    other = subprocess.Popen(
        [sys.executable, "-c", (
            "import json, os, socket, sys, time\n"
            "from pathlib import Path\n"
            "from dataqa.outdir import _folder_lock\n"
            f"out = Path({str(out)!r})\n"
            "with _folder_lock(out):\n"
            "    print('locked', flush=True)\n"
            "    time.sleep(1.5)\n"
            "    (out / 'INCOMPLETE.json').write_text(json.dumps({'command': 'dataqa drift "
            "a b --out o', 'pid': os.getpid(), 'host': socket.gethostname(), "
            "'started_at': 'now', 'stage': 'main'}))\n"
            "time.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "locked"
        with pytest.raises(InvalidSettingError, match=rf"another run now \(dataqa drift a b "
                                                      rf"--out o, process {other.pid}"):
            with writing_folder(out, "dataqa audit --out o"):
                pytest.fail("both runs write")
        assert json.loads(mark.read_text())["pid"] == other.pid
    finally:
        other.kill()
        other.wait()
    # a stopped run's mark: replaced in one step, so a stop meanwhile leaves it in place
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    mark.write_text(_mark_of(gone.pid, "dataqa audit old --out o"))
    real_replace = os.replace

    def stopped(src, dst):
        if Path(dst) == mark:
            raise KeyboardInterrupt
        return real_replace(src, dst)

    with monkeypatch.context() as m:
        m.setattr(outdir.os, "replace", stopped)
        with pytest.raises(KeyboardInterrupt):
            with writing_folder(out, "dataqa audit new --out o"):
                pytest.fail("no mark was made")
    assert json.loads(mark.read_text())["command"] == "dataqa audit old --out o"
    assert sorted(p.name for p in out.iterdir()) == [MARK_NAME]
    with writing_folder(out, "dataqa audit new --out o", details={"note2": 1}):
        now = json.loads(mark.read_text())
        assert (now["pid"], now["command"], now["note2"]) == (os.getpid(),
                                                              "dataqa audit new --out o", 1)
        assert sorted(p.name for p in out.iterdir()) == [MARK_NAME]
    assert list(out.iterdir()) == []


def test_a_folder_another_program_keeps_locked_is_refused_in_time(tmp_path, monkeypatch):
    # `flock DIR cmd` holds a lock on the folder for as long as cmd runs: no hang
    import dataqa.outdir as outdir

    out = tmp_path / "o"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import fcntl, os, time\n"
            f"fd = os.open({str(out)!r}, os.O_RDONLY)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(outdir, "LOCK_WAIT", 0.3)
        with pytest.raises(InvalidSettingError, match=r"'.*o' is locked by another process \(a "
                                                      r"lock on the folder itself, held for "
                                                      r"more than 0 s"):
            with writing_folder(out, "dataqa audit --out o"):
                pytest.fail("written while locked")
        assert list(out.iterdir()) == []
    finally:
        holder.kill()
        holder.wait()
    with writing_folder(out, "dataqa audit --out o"):
        pass


def test_temporaries_a_killed_run_left_are_removed_when_old(tmp_path):
    # SIGKILL between writing a temporary file and renaming it leaves it behind: the next
    # run's claim removes such files once they are older than STALE_TEMPORARY
    from dataqa.outdir import STALE_TEMPORARY

    out = tmp_path / "o"
    out.mkdir()
    old = [out / f".{MARK_NAME}.0123456789ab.tmp", out / ".issues.csv.abcdef012345.tmp"]
    young = out / ".issues.csv.fedcba987654.tmp"  # (a run starting beside this one)
    mine = [out / ".notes.tmp", out / "x.0123456789ab.tmp", out / ".a.0123456789AB.tmp",
            out / "issues.csv"]
    for f in [*old, young, *mine]:
        f.write_text("x")
    past = time.time() - STALE_TEMPORARY - 5
    for f in [*old, *mine]:
        os.utime(f, (past, past))
    with writing_folder(out, "again"):
        pass
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in [young, *mine])
