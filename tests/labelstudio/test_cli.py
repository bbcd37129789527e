"""``dataqa ls push`` / ``dataqa ls pull`` against the real server."""

from __future__ import annotations

import pytest
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
    # the same by the project's id: its title, classes and queue are the ledger's
    from dataqa.labelstudio.ledger_state import project_state
    from dataqa.ledger import Ledger

    with Ledger(ledger) as led:
        project_id = project_state(led, project_name)["project_id"]
    by_id = [*args[:5], str(project_id), *args[6:8]]
    res = runner.invoke(app, by_id, env=env)
    assert res.exit_code == 0, res.output
    assert "0 created, 40 already there" in res.output
    res = runner.invoke(app, [*args[:5], str(project_id + 999), *args[6:8]], env=env)
    assert res.exit_code == 2
    assert (f"no class names recorded for project '{project_id + 999}' (this ledger pushed to "
            f"{project_name!r} (id {project_id} at {ls_server.url})); pass --classes") in " ".join(
                res.output.split())

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
    # the task deleted in Label Studio: only --full reads every task, and finds it gone
    ls_client.delete_tasks([tid["item-5"]])
    pull = ["ls", "pull", "--ledger", str(ledger), "--project", project_name]
    res = runner.invoke(app, pull, env=env)
    assert res.exit_code == 0 and "1 annotations (0 new, 0 updated, 1 unchanged)" in res.output
    with pytest.warns(UserWarning, match="for items 'item-5': they no longer count"):
        res = runner.invoke(app, [*pull, "--full"], env=env)
    out = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert "0 annotations" in out and ("1 answer(s) of an earlier pull withdrawn in Label "
                                       "Studio: they no longer count") in out
    with Ledger(ledger) as led:
        assert led.latest_labels(source="human").empty

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


def test_cli_push_to_a_title_too_short_touches_no_file(tmp_path):
    src = tmp_path / "batch.csv"
    make_items(3).to_csv(src, index=False)
    res = CliRunner().invoke(_app(), ["ls", "push", "--ledger", str(tmp_path / "l.db"),
                                      "--project", "p2", "--queue", "active", "--from",
                                      str(src), "--classes", "ham,spam",
                                      "--url", "http://127.0.0.1:9"],
                             env={"LABEL_STUDIO_API_KEY": "k"})
    assert res.exit_code == 2
    assert ("project title 'p2' is too short; Label Studio needs 3 characters or more."
            in " ".join(res.output.split()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.csv"]  # no ledger, no lock


def test_cli_push_names_an_issue_tables_column_as_the_file_does(tmp_path):
    src = tmp_path / "issues.csv"
    src.write_text("id,given_label,suggested_label,label_issue_score,text\n"
                   "r1,ham,spam,0.9,a b\nr2,eggs,ham,0.8,c d\nr3,spam,bacon,0.7,e f\n")
    args = ["ls", "push", "--ledger", str(tmp_path / "l.db"), "--project", "abc review",
            "--queue", "review", "--from", str(src), "--classes", "ham,spam",
            "--url", "http://127.0.0.1:9"]
    res = CliRunner().invoke(_app(), args, env={"LABEL_STUDIO_API_KEY": "k"})
    out = " ".join(res.output.split())
    assert res.exit_code == 2
    assert ("column 'given_label' has 1 value(s) that are neither a class index 0..1 nor a "
            "class name (data row 2 (id 'r2'): 'eggs')") in out
    src.write_text(src.read_text().replace("eggs", "ham"))
    res = CliRunner().invoke(_app(), args, env={"LABEL_STUDIO_API_KEY": "k"})
    assert "column 'suggested_label' has 1 value(s)" in " ".join(res.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["issues.csv"]


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


def test_cli_push_reads_the_audits_issue_table_and_file_options(ls_server, ls_client, tmp_path,
                                                                project_name):
    import pandas as pd

    items = make_items(6)
    issues = pd.DataFrame({"item": items["id"], "text": items["text"],
                           "given_label": ["ham", "spam", "ham", "spam", "ham", "spam"],
                           "suggested_label": ["spam", "spam", "ham", "ham", "ham", "spam"],
                           "label_issue_score": [0.9, 0.1, 0.2, 0.8, 0.3, 0.4]})
    src = tmp_path / "issues.csv"
    issues.to_csv(src, index=False, sep="\t")  # tab-separated, named .csv
    ledger = tmp_path / "l.db"
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    runner, app = CliRunner(), _app()
    args = ["ls", "push", "--ledger", str(ledger), "--project", project_name, "--queue",
            "review", "--from", str(src), "--classes", "ham,spam"]
    res = runner.invoke(app, args, env=env)
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "which looks like fields separated by tabs: pass --sep tab (or --format tsv)" in text
    res = runner.invoke(app, args + ["--sep", "tab"], env=env)
    text = " ".join(res.output.split())
    assert res.exit_code == 2 and "pass the column holding the item ids with --id-column NAME" in text
    res = runner.invoke(app, args + ["--sep", "tab", "--id-column", "item"], env=env)
    assert res.exit_code == 0, res.output
    assert "6 created, 0 already there, 0 failed" in res.output and "note:" not in res.output
    pid = ls_client.find_project(project_name)["id"]
    tasks = ls_client.list_tasks(pid)
    # the audit's names were read as label / prediction / score: highest score first
    assert [t["data"]["dataqa_id"] for t in tasks] == [
        "item-0", "item-3", "item-5", "item-4", "item-2", "item-1"]
    first = tasks[0]["data"]
    assert (first["given_label"], first["suggested_label"], first["priority"]) == ("ham", "spam", 0.9)
    assert first["context"] == "Given label: ham \u00b7 model suggests: spam \u00b7 issue score 0.90"
    # no given label under either name: the advice says which names work
    issues.drop(columns=["given_label"]).to_csv(src, index=False)
    res = runner.invoke(app, args + ["--id-column", "item"], env=env)
    text = " ".join(res.output.split())
    assert res.exit_code == 2
    assert ("a review queue needs the given label in a column named 'label' (or 'given_label', "
            "as `dataqa audit` writes it); the table has: id, text, suggested_label, "
            "label_issue_score. Rename that column to 'label'") in text


def test_cli_push_from_json_lines_keeps_ids_and_texts_as_written(ls_server, ls_client,
                                                                tmp_path, project_name):
    # ids 0042/0043 were pushed as 42/43 (their answers then made new items 42 and 43),
    # an id "NA" was "missing", texts "None"/"N/A" were not sent, a label "" was refused
    import json

    from dataqa.ledger import Ledger

    rows = [{"id": "0042", "text": "None", "label": "ham", "score": 0.9},
            {"id": "0043", "text": "win cash", "label": "", "score": 0.8},
            {"id": "NA", "text": "N/A", "label": "spam", "score": 0.7}]
    src = tmp_path / "batch.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    csv = tmp_path / "batch.csv"
    csv.write_text("id,text,label,score\n0044,null,,0.5\nnull,NA,NA,0.4\n", encoding="utf-8")
    ledger = tmp_path / "l.db"
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    runner, app = CliRunner(), _app()
    for path, n in ((src, 3), (csv, 2)):
        res = runner.invoke(app, ["ls", "push", "--ledger", str(ledger), "--project",
                                  project_name, "--queue", "review", "--from", str(path),
                                  "--classes", "ham,spam"], env=env)
        assert res.exit_code == 0, res.output
        assert f"{n} created, 0 already there, 0 failed" in res.output
    pid = ls_client.find_project(project_name)["id"]
    data = {t["data"]["dataqa_id"]: t["data"] for t in ls_client.list_tasks(pid)}
    assert {k: v["text"] for k, v in data.items()} == {
        "0042": "None", "0043": "win cash", "NA": "N/A", "0044": "null", "null": "NA"}
    assert data["0043"].get("given_label") in (None, "")  # "" is no label
    assert data["NA"]["given_label"] == "spam"
    with Ledger(ledger) as led:
        assert sorted(led.items()["id"]) == sorted(["0042", "0043", "NA", "0044", "null"])


def test_cli_push_notes_what_a_bare_queue_lacks(ls_server, tmp_path, project_name):
    src = tmp_path / "batch.csv"
    make_items(3)[["id", "text"]].to_csv(src, index=False)
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    res = CliRunner().invoke(_app(), ["ls", "push", "--ledger", str(tmp_path / "l.db"),
                                      "--project", project_name, "--queue", "active",
                                      "--from", str(src), "--classes", "ham,spam"], env=env)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("note: the items have no 'prediction' column (the model's guess), so nothing is "
            "pre-selected and the line above the choices names no label.") in text
    assert ("note: the items have no 'score' column, so the tasks have no priority: they are "
            "created in the table's order.") in text
    # pushed again: nothing is created, so nothing lacks anything
    again = CliRunner().invoke(_app(), ["ls", "push", "--ledger", str(tmp_path / "l.db"),
                                        "--project", project_name, "--queue", "active",
                                        "--from", str(src), "--classes", "ham,spam"], env=env)
    assert again.exit_code == 0, again.output
    assert "0 created, 3 already there" in again.output and "note:" not in again.output


def test_cli_errors_name_the_cli_options(tmp_path, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    src = tmp_path / "batch.csv"
    make_items(3).to_csv(src, index=False)
    res = CliRunner().invoke(_app(), ["ls", "push", "--ledger", str(tmp_path / "l.db"),
                                      "--project", "proj", "--queue", "active", "--from",
                                      str(src), "--classes", "ham,spam"])
    text = " ".join(res.output.split())
    assert res.exit_code == 2
    assert "no Label Studio API key: set the environment variable LABEL_STUDIO_API_KEY" in text
    assert ("the api_key file that `make labelstudio` (python -m dataqa.labelstudio.server) "
            "printed: export LABEL_STUDIO_API_KEY=$(cat build/labelstudio/api_key)") in text
    assert "pass api_key=" not in text
    assert not (tmp_path / "l.db").exists()
    res = CliRunner().invoke(_app(), ["ls", "push", "--ledger", str(tmp_path / "l.db"),
                                      "--project", "p", "--queue", "active", "--sep", "tab"])
    assert res.exit_code == 2 and "pass --from FILE with them" in " ".join(res.output.split())


def test_cli_push_of_an_issue_table_whole_or_flagged_only(ls_server, ls_client, tmp_path,
                                                          project_name):
    import pandas as pd

    items = make_items(6)
    issues = pd.DataFrame({"id": items["id"], "text": items["text"],
                           "given_label": ["ham", "spam", "ham", "spam", "ham", "spam"],
                           "suggested_label": ["spam", "spam", "ham", "ham", "ham", "spam"],
                           "label_issue_score": [0.9, 0.1, 0.2, 0.8, 0.3, 0.4],
                           "is_label_issue": [True, False, False, True, False, False]})
    src = tmp_path / "issues.csv"
    issues.to_csv(src, index=False)
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    runner, app = CliRunner(), _app()
    base = ["ls", "push", "--from", str(src), "--queue", "review", "--classes", "ham,spam"]
    res = runner.invoke(app, [*base, "--ledger", str(tmp_path / "a.db"), "--project",
                              project_name, "--only-flagged"], env=env)
    assert res.exit_code == 0, res.output
    assert "2 created" in res.output and "issue table" not in res.output
    pid = ls_client.find_project(project_name)["id"]
    assert sorted(t["data"]["dataqa_id"] for t in ls_client.list_tasks(pid)) == [
        "item-0", "item-3"]
    res = runner.invoke(app, [*base, "--ledger", str(tmp_path / "b.db"), "--project",
                              project_name + " all"], env=env)
    assert res.exit_code == 0, res.output
    assert "6 created" in res.output
    assert (f"note: --from {str(src)!r} is an audit's issue table: all 6 items were pushed, 2 "
            f"of them flagged; --only-flagged pushes those alone") in " ".join(res.output.split())
    # a refused push says nothing of what is pushed
    res = runner.invoke(app, [*base[:-2], "--classes", "spam,ham", "--ledger",
                              str(tmp_path / "b.db"), "--project", project_name + " all"],
                        env=env)
    assert res.exit_code == 2 and "has classes" in res.output, res.output
    assert "issue table" not in res.output
    # a table without the column cannot be filtered
    issues.drop(columns=["is_label_issue"]).to_csv(tmp_path / "plain.csv", index=False)
    res = runner.invoke(app, ["ls", "push", "--from", str(tmp_path / "plain.csv"), "--queue",
                              "review", "--classes", "ham,spam", "--ledger",
                              str(tmp_path / "c.db"), "--project", project_name + " c",
                              "--only-flagged"], env=env)
    assert res.exit_code == 2 and "--only-flagged needs an is_label_issue column" in res.output


def test_cli_push_to_a_renamed_or_deleted_project(ls_server, ls_client, tmp_path, project_name):
    import pytest

    src = tmp_path / "batch.csv"
    make_items(6).to_csv(src, index=False)
    ledger = tmp_path / "l.db"
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    runner, app = CliRunner(), _app()
    args = ["ls", "push", "--ledger", str(ledger), "--project", project_name, "--queue",
            "active", "--from", str(src), "--classes", "ham,spam"]
    assert runner.invoke(app, args, env=env).exit_code == 0
    pid = ls_client.find_project(project_name)["id"]
    renamed = f"{project_name} renamed"
    ls_client.request("PATCH", f"/api/projects/{pid}", json_body={"title": renamed})
    res = runner.invoke(app, args, env=env)
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert (f"this ledger pushed to project '{project_name}' as id {pid}, which Label Studio now "
            f"titles '{renamed}': pass --project '{renamed}' to go on with it") in text
    assert ls_client.find_project(project_name) is None  # no second project was made
    # a project under the old title again (made anew in Label Studio): the push goes there
    fresh = ls_client.create_project(project_name, ls_client.request(
        "GET", f"/api/projects/{pid}")["label_config"])
    res = runner.invoke(app, args, env=env)
    assert res.exit_code == 0 and "6 created" in res.output, res.output
    ls_client.delete_project(int(fresh["id"]))
    from dataqa.ledger import Ledger

    with Ledger(ledger) as led:  # what a push to another server recorded: ids say nothing
        key = f"labelstudio/{project_name}"
        state = led.get_state(key)
        led.set_state(key, {**state, "project_id": pid, "url": "http://elsewhere:9"})
    res = runner.invoke(app, args, env=env)
    assert res.exit_code == 0 and "6 created" in res.output, res.output
    ls_client.delete_project(int(ls_client.find_project(project_name)["id"]))
    with Ledger(ledger) as led:
        led.set_state(key, {**state, "project_id": pid})
    res = runner.invoke(app, [*args[:5], renamed, *args[6:]], env=env)
    assert res.exit_code == 0 and "0 created, 6 already there" in res.output, res.output
    ls_client.delete_project(pid)
    with pytest.warns(UserWarning, match=f"project '{project_name}' \\(id {pid}\\), to which this "
                                         f"ledger pushed before, is gone"):
        res = runner.invoke(app, args, env=env)
    assert res.exit_code == 0 and "6 created" in res.output


@pytest.mark.parametrize("queue", ["review", "active"])
def test_a_push_from_the_ledger_makes_the_tasks_the_first_push_made(
        ls_server, ls_client, tmp_path, project_name, queue):
    # a review queue needs the given label, an active one the prediction: a push from
    # the ledger (no --from) of tasks deleted in Label Studio makes them as they were
    items = make_items(6).assign(label=["ham", "spam"] * 3,
                                 prediction=["spam", "spam", "ham"] * 2,
                                 probability=[0.9, 0.8, 0.7, 0.95, 0.6, 0.55])
    src = tmp_path / "batch.csv"
    items.to_csv(src, index=False)
    ledger = tmp_path / "l.db"
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    runner, app = CliRunner(), _app()
    args = ["ls", "push", "--ledger", str(ledger), "--project", project_name, "--queue", queue]
    res = runner.invoke(app, [*args, "--from", str(src), "--classes", "ham,spam"], env=env)
    assert res.exit_code == 0, res.output
    pid = ls_client.find_project(project_name)["id"]
    first = {t["data"]["dataqa_id"]: t for t in ls_client.list_tasks(pid)}
    gone = ["item-0", "item-3"]
    ls_client.delete_tasks([first[i]["id"] for i in gone])
    res = runner.invoke(app, args, env=env)
    assert res.exit_code == 0, res.output
    assert "2 created, 4 already there" in res.output and "note:" not in res.output
    again = {t["data"]["dataqa_id"]: t for t in ls_client.list_tasks(pid)}
    for i in gone:
        assert again[i]["data"] == first[i]["data"]  # context, priority, given label
        assert again[i]["id"] != first[i]["id"]
    assert "model suggests: spam (probability 0.90)" in again["item-0"]["data"]["context"].lower()


def test_a_push_from_the_ledger_uses_the_columns_of_the_last_push(ls_server, ls_client,
                                                                   tmp_path, project_name):
    from dataqa.labelstudio.ledger_state import queue_columns_key
    from dataqa.ledger import Ledger

    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    runner, app = CliRunner(), _app()
    args = ["ls", "push", "--ledger", str(tmp_path / "l.db"), "--project", project_name,
            "--queue", "active"]
    items = make_items(3).assign(probability=[0.9, 0.8, 0.7])
    for k, frame in enumerate((items, items.drop(columns=["prediction", "probability"]),
                               items.drop(columns=["prediction", "probability", "score"]))):
        frame.to_csv(tmp_path / f"b{k}.csv", index=False)
        res = runner.invoke(app, [*args, "--from", str(tmp_path / f"b{k}.csv"), "--classes",
                                  "ham,spam"], env=env)
        assert res.exit_code == 0, res.output
        with Ledger(tmp_path / "l.db", create=False) as led:
            kept = led.get_state(queue_columns_key(f"{project_name}/active")) or {}
        # the columns the last push had, none left over from an earlier one (a CSV's
        # prediction as written: "1" is a class so named where there is one)
        assert kept.get("item-0") == (None if k == 2 else {
            "prediction": str(items.loc[0, "prediction"]), "probability": 0.9,
            "score": float(items.loc[0, "score"])} if k == 0 else {
            "score": float(items.loc[0, "score"])})
    pid = ls_client.find_project(project_name)["id"]
    (task,) = [t for t in ls_client.list_tasks(pid) if t["data"]["dataqa_id"] == "item-0"]
    ls_client.delete_tasks([task["id"]])
    res = runner.invoke(app, args, env=env)
    assert res.exit_code == 0 and "1 created" in res.output, res.output
    (task,) = [t for t in ls_client.list_tasks(pid) if t["data"]["dataqa_id"] == "item-0"]
    assert "suggests" not in str(task["data"].get("context", ""))  # no old prediction


def test_a_push_from_the_ledger_shows_the_text_a_later_push_added(ls_server, ls_client,
                                                                  tmp_path, project_name):
    # items first pushed without text (an issue table), then with it to another project:
    # that project, deleted and pushed again from the ledger, shows the text
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    runner, app = CliRunner(), _app()
    ledger = str(tmp_path / "l.db")
    (tmp_path / "rows.csv").write_text(
        "id,given_label,label_issue_score,row\nr1,ham,0.9,1\nr2,spam,0.8,2\n")
    (tmp_path / "text.csv").write_text(
        "id,given_label,label_issue_score,text\nr1,ham,0.9,free entry win cash\n"
        "r2,spam,0.8,see you at lunch\n")
    texts = f"{project_name} text"
    for title, src in ((f"{project_name} rows", "rows.csv"), (texts, "text.csv")):
        res = runner.invoke(app, ["ls", "push", "--ledger", ledger, "--project", title,
                                  "--queue", "review", "--from", str(tmp_path / src),
                                  "--classes", "ham,spam"], env=env)
        assert res.exit_code == 0, res.output
    ls_client.delete_project(ls_client.find_project(texts)["id"])
    with pytest.warns(UserWarning, match="is gone from Label Studio"):
        res = runner.invoke(app, ["ls", "push", "--ledger", ledger, "--project", texts,
                                  "--queue", "review"], env=env)
    assert res.exit_code == 0 and "2 created" in res.output, res.output
    assert "reviewers see a table" not in res.output
    tasks = {t["data"]["dataqa_id"]: t["data"]
             for t in ls_client.list_tasks(ls_client.find_project(texts)["id"])}
    assert tasks["r1"]["text"] == "free entry win cash"
    assert tasks["r2"]["text"] == "see you at lunch"
    from dataqa.ledger import Ledger

    with Ledger(ledger, create=False) as led:  # the first values stay; the text is added
        assert led.item_data(["r1"])["r1"] == {"row": 1, "text": "free entry win cash"}


def test_from_a_csv_class_indices_written_as_floats_are_indices(tmp_path):
    # pandas writes a label column with gaps as 1.0, 0.0 and empty cells
    from dataqa.labelstudio.cli import _read_items
    from dataqa.labelstudio.tasks import _class_names

    (tmp_path / "q.csv").write_text("id,text,label\na,hello,1.0\nb,bye,\nc,hi,0.0\n")
    items = _read_items(tmp_path / "q.csv", {}, None)
    assert _class_names(items["label"], ["ham", "spam"], "label") == ["spam", None, "ham"]
    # as text (a JSON file's strings): "1.0" is index 1 unless a class is so named
    text = items["label"].map(lambda v: v if v != v else str(v))
    assert _class_names(text, ["ham", "spam"], "label") == ["spam", None, "ham"]
    assert _class_names(text, ["1.0", "0.0"], "label") == ["1.0", None, "0.0"]


def test_from_a_csv_label_cells_are_read_as_written(tmp_path):
    # --classes 1,0: a CSV's label "1" is the class named "1"; read as the number 1 it
    # became index 1, class "0", and reviewers saw the other class
    import json

    from dataqa.labelstudio.cli import _read_items
    from dataqa.labelstudio.tasks import _class_names

    (tmp_path / "q.csv").write_text(
        "id,text,label,prediction\na,hello,1,0\nb,bye,0,\nc,hi,NA,1\n")
    items = _read_items(tmp_path / "q.csv", {}, None)
    assert items["label"].tolist() == ["1", "0", None]  # NA is still missing
    assert _class_names(items["label"], ["1", "0"], "label") == ["1", "0", None]
    assert _class_names(items["prediction"], ["1", "0"], "prediction") == ["0", None, "1"]
    # classes named otherwise: the digits are still class indices, as the docs say
    assert _class_names(items["label"], ["ham", "spam"], "label") == ["spam", "ham", None]
    # a tab-separated file, and a file without a suffix read with --sep, alike
    (tmp_path / "q.tsv").write_text("id\ttext\tlabel\na\thello\t1\nb\tbye\t0\n")
    (tmp_path / "q.txt").write_text("id;text;label\na;hello;1\nb;bye;0\n")
    for path, opts in ((tmp_path / "q.tsv", {}), (tmp_path / "q.txt", {"sep": ";"})):
        got = _read_items(path, opts, None)["label"]
        assert _class_names(got, ["1", "0"], "label") == ["1", "0"], path
    # a column pandas wrote with gaps (1.0, 0.0, empty) and cells padded by a ", "
    # separator: the classes so named, not indices
    (tmp_path / "gaps.csv").write_text("id,text,label\na,x,1.0\nb,y,\nc,z,0.0\nd,w, 1\n")
    got = _read_items(tmp_path / "gaps.csv", {}, None)["label"]
    assert _class_names(got, ["1", "0"], "label") == ["1", None, "0", "1"]
    assert _class_names(got, ["ham", "spam"], "label") == ["spam", None, "ham", "spam"]
    # a JSON number stays a class index, a JSON string a name
    (tmp_path / "q.jsonl").write_text(
        json.dumps({"id": "a", "text": "x", "label": 1}) + "\n"
        + json.dumps({"id": "b", "text": "y", "label": "1"}) + "\n")
    got = _read_items(tmp_path / "q.jsonl", {}, None)["label"]
    assert _class_names(got, ["1", "0"], "label") == ["0", "1"]
    # an id column named label stays an id (read as written)
    (tmp_path / "ids.csv").write_text("label,text\n007,hello\nNA,bye\n")
    got = _read_items(tmp_path / "ids.csv", {}, "label")
    assert got["id"].tolist() == ["007", "NA"]


def test_cli_push_from_a_csv_with_classes_named_by_digits(ls_server, ls_client, tmp_path,
                                                          project_name):
    # --classes 1,0 with a CSV's labels 1/0: reviewers saw the other class
    src = tmp_path / "q.csv"
    src.write_text("id,text,label,prediction,score\na,win cash,1,0,0.9\nb,hi mum,0,1,0.8\n"
                   "c,see you,NA,,0.7\n", encoding="utf-8")
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    res = CliRunner().invoke(_app(), ["ls", "push", "--ledger", str(tmp_path / "l.db"),
                                      "--project", project_name, "--queue", "review",
                                      "--from", str(src), "--classes", "1,0"], env=env)
    assert res.exit_code == 0, res.output
    pid = ls_client.find_project(project_name)["id"]
    data = {t["data"]["dataqa_id"]: t["data"] for t in ls_client.list_tasks(pid)}
    assert {k: (v.get("given_label"), v.get("suggested_label")) for k, v in data.items()} \
        == {"a": ("1", "0"), "b": ("0", "1"), "c": (None, None)}
