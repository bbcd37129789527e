"""What ``dataqa --help`` and each sub-command's ``--help`` load (start-up, issue 9 item 5).

Timing is left to ``benchmarks/cli_startup.py``; these tests check the cause of a slow
start instead: none of the heavy libraries may be imported just to print help.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Libraries that only the work itself needs (each costs 0.2-1.5 s to import).
HEAVY = ("torch", "sklearn", "cleanlab", "snorkel", "scipy", "pandas", "matplotlib", "modAL",
         "pyarrow", "dask", "distributed", "label_studio_sdk", "requests", "datalab",
         "sentence_transformers")

HELP_COMMANDS = [
    [], ["audit"], ["demo"], ["weak"], ["al"], ["al", "init"], ["al", "next"], ["al", "label"],
    ["al", "status"], ["ls"], ["ls", "push"], ["ls", "pull"], ["review"], ["review", "plan"],
    ["review", "estimate"], ["drift"],
]

_PROBE = """
import json, sys
heavy = json.loads(sys.argv[2])
from dataqa.cli import main
sys.argv = ["dataqa", *json.loads(sys.argv[1]), "--help"]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(heavy))
sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "loaded": loaded}) + "\\n")
"""


def probe(args: list[str]) -> tuple[dict, str]:
    """Run ``dataqa ARGS --help`` in a fresh interpreter; its exit code, heavy modules, help."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(HEAVY)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "120"})
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("PROBE ")]
    assert lines, proc.stderr[-2000:]
    return json.loads(lines[-1][len("PROBE "):]), proc.stdout


@pytest.mark.parametrize("args", HELP_COMMANDS, ids=lambda a: " ".join(a) or "top")
def test_help_imports_no_heavy_library(args):
    result, out = probe(args)
    assert result["code"] == 0, out
    assert "Usage:" in out
    assert result["loaded"] == [], f"dataqa {' '.join(args)} --help imported {result['loaded']}"


def test_top_level_help_lists_every_command():
    _, out = probe([])
    for name in ("audit", "demo", "weak", "al", "ls", "review", "drift"):
        assert f" {name} " in out, out


def test_import_dataqa_is_light():
    code = ("import sys, json, dataqa; "
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert json.loads(out) == []


def test_lazy_area_names_still_resolve():
    # the function simulate() and its module dataqa.active.simulate share a name: the
    # package attribute stays the function, as it was when the package imported eagerly
    code = ("import sys, dataqa.active as a, dataqa.audit as au, "
            "dataqa.weak as w, dataqa.ood as o, dataqa.labelstudio as ls, dataqa; "
            "from dataqa.active.simulate import default_model; "
            "m = sys.modules['dataqa.active.simulate']; "
            "print(callable(a.simulate) and a.simulate is m.simulate, "
            "dataqa.simulate is m.simulate, au.audit.__module__, w.apply_lfs.__module__, "
            "o.score_ood.__module__, ls.push_queue.__module__, dataqa.load_table.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout.split()
    assert out == ["True", "True", "dataqa.audit.core", "dataqa.weak.apply", "dataqa.ood.api",
                   "dataqa.labelstudio.push", "dataqa.data"]


def test_dataqa_warnings_print_as_one_plain_line():
    from dataqa.cli import _format_warning

    ours = _format_warning(UserWarning("class(es) '2' (3) have fewer members than cv=5"),
                           UserWarning, "/x/site-packages/dataqa/data.py", 461)
    assert ours == "warning: class(es) '2' (3) have fewer members than cv=5\n"
    theirs = _format_warning(UserWarning("something"), UserWarning,
                             "/x/site-packages/sklearn/base.py", 10)
    assert "sklearn/base.py:10" in theirs and "something" in theirs


def _help_at(args: list[str], columns: int) -> str:
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "dumb"}
    code = ("import sys; from dataqa.cli import main; "
            f"sys.argv = ['dataqa', *{args!r}, '--help']; main()")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env).stdout


@pytest.mark.parametrize("args", [["drift"], ["review", "estimate"], ["ls", "pull"]],
                         ids=" ".join)
def test_help_paragraphs_wrap_to_the_terminal(args):
    # a docstring's line breaks used to reach the screen: "--decimal)" alone on a line
    out = _help_at(args, 80)
    prose = out.split("Usage:", 1)[1].split("╭", 1)[0].splitlines()[1:]
    paragraphs, cur = [], []
    for line in prose:
        if line.strip():
            cur.append(line.strip())
        elif cur:
            paragraphs.append(cur)
            cur = []
    assert len(paragraphs) >= 2, out
    for para in paragraphs[1:]:  # every line but a paragraph's last is filled
        assert all(len(line) > 60 for line in para[:-1]), out


def test_drift_help_options_leave_room_for_their_text():
    # paired flags (--current-no-header/--current-header) made the name column 45 wide,
    # leaving about 20 characters of help per line at 80 columns
    out = _help_at(["drift"], 80)
    rows = [ln for ln in out.splitlines() if ln.startswith("│ --")]
    names = {ln.split()[1] for ln in rows}
    assert {"--current-header", "--current-no-header", "--dayfirst", "--monthfirst"} <= names
    assert max(ln.index("<") for ln in rows if "<" in ln) < 35, out


_INTERRUPT_AT = """
import sys

WHERE = sys.argv[1]

class Interrupt:  # Ctrl-C while a module is being imported
    def find_spec(self, name, path=None, target=None):
        if name == WHERE:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, Interrupt())
sys.argv = ["dataqa", "--help"]
from dataqa._entry import main
main()
"""


@pytest.mark.parametrize("module", ["typer", "dataqa.drift.cli"])
def test_ctrl_c_while_starting_is_one_line_and_exit_code_130(module):
    res = subprocess.run([sys.executable, "-c", _INTERRUPT_AT, module], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 130, res.stderr
    assert res.stderr == "interrupted while starting: nothing was read or written\n"
    assert res.stdout == ""


def test_the_console_script_is_the_entry_that_handles_ctrl_c():
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "dataqa"]
    assert script.value == "dataqa._entry:main"


def test_ctrl_c_before_a_command_runs_is_one_line_and_exit_code_130(monkeypatch, capsys):
    # a Ctrl-C after the imports, before the command line reaches a command
    import dataqa.cli
    from dataqa._entry import main as entry

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(dataqa.cli, "main", interrupted)
    with pytest.raises(SystemExit) as stop:
        entry()
    assert stop.value.code == 130
    assert capsys.readouterr().err == "interrupted while starting: nothing was read or written\n"


def test_version_prints_the_package_version():
    from typer.testing import CliRunner

    import dataqa
    from dataqa.cli import app

    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output == f"dataqa {dataqa.__version__}\n"


def test_installed_metadata_carries_the_version_written_in_the_package():
    # pyproject.toml reads the version from dataqa/__init__.py: one place to change it
    from importlib.metadata import version

    import dataqa

    assert version("dataqa") == dataqa.__version__
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and "\nversion =" not in text.split("[tool.")[0]


def _run_entry(monkeypatch, argv, *, interrupt_after_command: bool):
    """Run the console script in-process on ``argv``, with a probe command added; with
    ``interrupt_after_command``, a Ctrl-C lands after the command returned, as the
    command line exits."""
    import importlib

    import typer.core

    # the click that typer runs on: its own copy in recent versions, click before
    click = getattr(typer.core, "_click", None) or importlib.import_module("click")

    import dataqa.cli
    from dataqa._cli_utils import handle_errors
    from dataqa._entry import main as entry

    @handle_errors
    def probe() -> None:
        print("probe wrote its output")

    monkeypatch.setattr(dataqa.cli.app, "registered_commands",
                        [*dataqa.cli.app.registered_commands])
    dataqa.cli.app.command("probe")(probe)
    if interrupt_after_command:
        def exit_interrupted(self, code=0):
            raise KeyboardInterrupt

        monkeypatch.setattr(click.Context, "exit", exit_interrupted)
    monkeypatch.setattr(sys, "argv", ["dataqa", *argv])
    with pytest.raises(SystemExit) as stop:
        entry()
    return stop.value.code


def test_ctrl_c_after_a_command_finished_keeps_its_success(monkeypatch, capsys):
    code = _run_entry(monkeypatch, ["probe"], interrupt_after_command=True)
    out = capsys.readouterr()
    assert code == 0
    assert out.out == "probe wrote its output\n"
    assert out.err == "Ctrl-C came after the command had finished: its output is complete\n"


def test_ctrl_c_while_a_command_runs_is_told_by_the_command(monkeypatch, capsys):
    import dataqa.cli

    def interrupted():
        raise KeyboardInterrupt

    # the probe is replaced by one that is interrupted while it runs
    monkeypatch.setattr("builtins.print", lambda *a, **k: interrupted())
    code = _run_entry(monkeypatch, ["probe"], interrupt_after_command=False)
    err = capsys.readouterr().err
    assert code == 130 and dataqa.cli is not None
    assert err.strip() == "interrupted", err


def test_ctrl_c_while_a_commands_arguments_are_parsed_says_it_came_while_starting(monkeypatch,
                                                                                   capsys):
    import importlib

    import typer.core

    import dataqa.cli

    click = getattr(typer.core, "_click", None) or importlib.import_module("click")
    original = click.Command.parse_args

    def interrupted(self, ctx, args):
        if self.name == "probe":
            raise KeyboardInterrupt
        return original(self, ctx, args)

    monkeypatch.setattr(click.Command, "parse_args", interrupted)
    code = _run_entry(monkeypatch, ["probe"], interrupt_after_command=False)
    assert code == 130 and dataqa.cli is not None
    assert capsys.readouterr().err == "interrupted while starting: nothing was read or written\n"

    # every command says what it interrupted itself (wrapped by handle_errors)
    def commands(app):
        yield from app.registered_commands
        for group in app.registered_groups:
            yield from commands(group.typer_instance)

    from dataqa._cli_utils import handle_errors

    wrapper = handle_errors(lambda: None).__code__  # the code of handle_errors' wrapper
    assert all(c.callback.__code__ is wrapper for c in commands(dataqa.cli.app))
