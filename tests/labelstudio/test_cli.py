"""``dataqa ls push`` / ``dataqa ls pull`` against the real server."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from dataqa.labelstudio.cli import register

from ._helpers import choice, make_items


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """root"""

    register(app)
    return app


def test_cli_push_pull_round_trip(ls_server, ls_client, tmp_path, project_name):
    src = tmp_path / "batch.csv"
    make_items(40).to_csv(src, index=False)
    ledger = tmp_path / "l.db"
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    runner = CliRunner()
    app = _app()
    args = ["ls", "push", "--ledger", str(ledger), "--project", project_name, "--queue",
            "active", "--from", str(src), "--classes", "ham,spam", "--chunk-size", "15"]
    res = runner.invoke(app, args, env=env)
    assert res.exit_code == 0, res.output
    assert "40 created, 0 already there, 0 failed" in res.output
    # again, without --from and --classes: the queue's items and the classes come from
    # the ledger
    res = runner.invoke(app, args[:8], env=env)
    assert res.exit_code == 0, res.output
    assert "0 created, 40 already there" in res.output

    from dataqa.ledger import Ledger

    with Ledger(ledger) as led:
        tid = led.task_ids(project=project_name)
    ls_client.create_annotation(tid["item-5"], choice("spam"))
    out = tmp_path / "ann.csv"
    res = runner.invoke(app, ["ls", "pull", "--ledger", str(ledger), "--project", project_name,
                              "--out", str(out)], env=env)
    assert res.exit_code == 0, res.output
    assert "1 annotations (1 new" in res.output
    assert out.read_text().splitlines()[1].startswith("item-5,1,spam,")
    assert ls_server.api_key not in res.output

    res = runner.invoke(app, ["ls", "pull", "--ledger", str(ledger), "--project", "nope nope"],
                        env=env)
    assert res.exit_code == 2 and "has no project 'nope nope'" in res.output


def test_cli_push_needs_classes_for_a_new_project(tmp_path):
    src = tmp_path / "batch.csv"
    make_items(3).to_csv(src, index=False)
    res = CliRunner().invoke(_app(), ["ls", "push", "--ledger", str(tmp_path / "l.db"),
                                      "--project", "fresh", "--queue", "active",
                                      "--from", str(src)],
                             env={"LABEL_STUDIO_API_KEY": "k"})
    assert res.exit_code == 2 and "pass --classes" in res.output


def test_cli_push_pretick(ls_server, ls_client, tmp_path, project_name):
    src = tmp_path / "review.csv"
    make_items(4).assign(label=[0, 1, 1, 0]).to_csv(src, index=False)
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    base = ["ls", "push", "--ledger", str(tmp_path / "l.db"), "--queue", "review",
            "--from", str(src), "--classes", "ham,spam"]
    res = CliRunner().invoke(_app(), base + ["--project", project_name, "--pretick", "given"],
                             env=env)
    assert res.exit_code == 0, res.output

    from dataqa.ledger import Ledger

    with Ledger(tmp_path / "l.db") as led:
        tid = led.task_ids(project=project_name)
    (pred,) = ls_client.request("GET", f"/api/tasks/{tid['item-2']}")["predictions"]
    assert pred["result"][0]["value"]["choices"] == ["spam"]
    assert pred["model_version"] == "given-label"
    res = CliRunner().invoke(_app(), base + ["--project", project_name + " b",
                                             "--pretick", "maybe"], env=env)
    assert res.exit_code == 2 and "known pretick" in res.output and "suggested" in res.output
