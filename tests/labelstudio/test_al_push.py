"""``dataqa al next --push`` sends the active-learning batch to the real server."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from dataqa.cli import app

from ._helpers import choice


def _pool(n=60):
    spam = ["win cash now", "free prize claim today", "click this link for money"]
    ham = ["see you at lunch", "running late, sorry", "thanks for the notes"]
    rows = []
    for k in range(n):
        text = (spam if k % 2 else ham)[k % 3] + f" #{k}"
        label = ("spam" if k % 2 else "ham") if k < 16 else None
        rows.append({"id": f"m{k}", "text": text, "label": label})
    return pd.DataFrame(rows)


def _started_ledger(tmp_path, ls_server):
    """A ledger set up by `al init` on the pool: its path, the server's env, a runner."""
    data = tmp_path / "pool.csv"
    _pool().to_csv(data, index=False)
    led = str(tmp_path / "al.db")
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    runner = CliRunner()
    res = runner.invoke(app, ["al", "init", str(data), "--ledger", led, "--label-column", "label",
                              "--text-column", "text", "--id-column", "id"], env=env)
    assert res.exit_code == 0, res.output
    return led, env, runner


def test_al_next_push_creates_active_tasks_once(ls_server, ls_client, tmp_path, project_name):
    led, env, runner = _started_ledger(tmp_path, ls_server)
    args = ["al", "next", "--ledger", led, "--batch", "5", "--strategy", "uncertainty",
            "--push", "--project", project_name]
    res = runner.invoke(app, args, env=env)
    assert res.exit_code == 0, res.output
    assert "5 created, 0 already there, 0 failed" in res.output
    assert ls_server.api_key not in res.output
    # the open round is shown again; pushing it again creates nothing
    res = runner.invoke(app, args, env=env)
    assert res.exit_code == 0, res.output
    assert "0 created, 5 already there" in res.output

    from dataqa.ledger import Ledger

    with Ledger(led) as check:
        tasks = check.task_ids(project=project_name)
        rounds = check.rounds()
    assert len(rounds) == 1 and len(tasks) == 5
    assert set(tasks) == set(rounds.iloc[0]["batch_ids"])  # the pushed items are the round's batch
    assert set(tasks) <= {f"m{k}" for k in range(16, 60)}  # only unlabeled items are queued
    # an annotation pulled back is recorded as the round's, as `al label` records it
    first = sorted(tasks)[0]
    ls_client.create_annotation(tasks[first], choice("spam"))
    res = runner.invoke(app, ["ls", "pull", "--ledger", led, "--project", project_name],
                        env=env)
    assert res.exit_code == 0, res.output
    with Ledger(led) as check:
        human = check.labels(source="human")
    assert human["id"].tolist() == [first] and human["round"].tolist() == [1]
    # the same item labeled in a review project belongs to no round
    from dataqa.labelstudio import push_queue

    review = f"{project_name} review"
    with Ledger(led) as check:
        text = check.item_data([first])[first]["text"]  # (an id stands for one item)
        push_queue(pd.DataFrame({"id": [first], "text": [text], "label": ["spam"]}),
                   project=review,
                   class_names=["ham", "spam"], ledger=check, queue="review",
                   url=ls_server.url, api_key=ls_server.api_key)
        (review_task,) = check.task_ids(project=review).values()
    ls_client.create_annotation(review_task, choice("ham"))
    res = runner.invoke(app, ["ls", "pull", "--ledger", led, "--project", review], env=env)
    assert res.exit_code == 0, res.output
    with Ledger(led) as check:
        human = check.labels(source="human")
    assert human["label"].tolist() == ["spam", "ham"]
    assert human["round"].iloc[0] == 1 and pd.isna(human["round"].iloc[1])
    # the pre-selected class is the model's, its score the model's probability of that class
    for task_id in tasks.values():
        task = ls_client.request("GET", f"/api/tasks/{task_id}")
        (pred,) = task["predictions"]
        assert pred["model_version"].startswith("model-") and pred["model_version"] != "model-classifier"
        assert 0.5 <= pred["score"] <= 1.0  # two classes: the predicted one has at least 1/2
        assert pred["result"][0]["value"]["choices"][0] in ("ham", "spam")


def test_a_cold_start_batch_is_pushed_with_nothing_preselected(ls_server, ls_client, tmp_path,
                                                              project_name):
    # no label in the pool yet: the first batch has no model, so no prediction to show
    data = tmp_path / "pool.csv"
    _pool().assign(label=None).to_csv(data, index=False)
    led = str(tmp_path / "al.db")
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    runner = CliRunner()
    res = runner.invoke(app, ["al", "init", str(data), "--ledger", led, "--label-column", "label",
                              "--text-column", "text", "--id-column", "id",
                              "--classes", "ham,spam"], env=env)
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["al", "next", "--ledger", led, "--batch", "4", "--push",
                              "--project", project_name], env=env)
    assert res.exit_code == 0, res.output
    assert "4 created, 0 already there, 0 failed" in res.output

    from dataqa.ledger import Ledger

    with Ledger(led) as check:
        tasks = check.task_ids(project=project_name)
    assert len(tasks) == 4
    for task_id in tasks.values():
        task = ls_client.request("GET", f"/api/tasks/{task_id}")
        assert task["predictions"] == []  # nothing pre-selected


def _ledger_beside_a_project_of(tmp_path, ls_server, project_name, classes: str):
    """A ledger started from the pool (classes ham, spam) and the project ``project_name``
    made by another ledger's push with ``classes``."""
    data = tmp_path / "pool.csv"
    _pool().to_csv(data, index=False)
    led = str(tmp_path / "al.db")
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    runner = CliRunner()
    assert runner.invoke(app, ["al", "init", str(data), "--ledger", led, "--label-column",
                               "label", "--text-column", "text", "--id-column", "id"],
                         env=env).exit_code == 0
    other = tmp_path / "other.csv"
    pd.DataFrame({"id": ["x1", "x2"], "text": ["a b", "c d"]}).to_csv(other, index=False)
    res = runner.invoke(app, ["ls", "push", "--ledger", str(tmp_path / "o.db"), "--project",
                              project_name, "--queue", "active", "--from", str(other),
                              "--classes", classes], env=env)
    assert res.exit_code == 0, res.output
    return led, env, runner


def test_al_next_push_to_a_project_of_other_classes_picks_no_round(ls_server, tmp_path,
                                                                   project_name):
    led, env, runner = _ledger_beside_a_project_of(tmp_path, ls_server, project_name, "no,yes")
    args = ["al", "next", "--ledger", led, "--batch", "5", "--strategy", "uncertainty",
            "--push", "--project", project_name]
    res = runner.invoke(app, args, env=env)
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert ("has classes ['no', 'yes'], not ['ham', 'spam']; use a project with the classes "
            "ham,spam; no round was picked.") in text
    res = runner.invoke(app, [*args, "--classes", "no,yes"], env=env)
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert ("the ledger's classes ['ham', 'spam'] are not all among the classes of the push "
            "['no', 'yes']") in text and "no round was picked" in text
    from dataqa.ledger import Ledger

    with Ledger(led) as check:
        assert len(check.rounds()) == 0
    res = runner.invoke(app, [*args[:-1], f"{project_name} two"], env=env)
    assert res.exit_code == 0 and "5 created" in res.output, res.output


def test_al_next_push_to_a_project_with_a_class_added_after_the_ledgers_goes_on(
        ls_server, tmp_path, project_name):
    led, env, runner = _ledger_beside_a_project_of(tmp_path, ls_server, project_name,
                                                   "ham,spam,promo")
    res = runner.invoke(app, ["al", "next", "--ledger", led, "--batch", "5", "--strategy",
                              "uncertainty", "--push", "--project", project_name], env=env)
    assert res.exit_code == 0 and "5 created" in res.output, res.output


def test_a_skip_in_label_studio_skips_the_item_in_the_open_round(ls_server, ls_client,
                                                                  tmp_path, project_name):
    from dataqa.active.labels import LS_SKIPPED_KEY
    from dataqa.active.session import open_round_in
    from dataqa.ledger import Ledger

    led, env, runner = _started_ledger(tmp_path, ls_server)
    res = runner.invoke(app, ["al", "next", "--ledger", led, "--batch", "3", "--strategy",
                              "uncertainty", "--push", "--project", project_name], env=env)
    assert res.exit_code == 0, res.output
    with Ledger(led) as check:
        tasks = check.task_ids(project=project_name)
    first, second, third = sorted(tasks)
    ls_client.create_annotation(tasks[first], choice("spam"))
    skip = ls_client.create_annotation(tasks[second], [], was_cancelled=True)  # Skip
    pull = ["ls", "pull", "--ledger", led, "--project", project_name]
    res = runner.invoke(app, pull, env=env)
    out = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert (f"1 item(s) skipped in Label Studio ({second}) are skipped in active-learning "
            f"round 1") in out
    with Ledger(led) as check:
        assert check.get_state(LS_SKIPPED_KEY) == {project_name: {"1": [second]}}
        assert open_round_in(check)["missing"] == [third]
    # pulled again: nothing new to skip, said nothing
    res = runner.invoke(app, pull, env=env)
    assert res.exit_code == 0 and "active-learning round" not in res.output
    # the Skip deleted in Label Studio: the item is no longer skipped here
    ls_client.request("DELETE", f"/api/annotations/{skip['id']}")
    res = runner.invoke(app, pull, env=env)
    assert res.exit_code == 0, res.output
    assert (f"1 item(s) no longer skipped in Label Studio ({second}) are no longer skipped in "
            f"active-learning round 1") in " ".join(res.output.split())
    with Ledger(led) as check:
        assert check.get_state(LS_SKIPPED_KEY) == {project_name: {"1": []}}
        assert sorted(open_round_in(check)["missing"]) == [second, third]
    # both skipped: the round is complete
    for t in (second, third):
        ls_client.create_annotation(tasks[t], [], was_cancelled=True)
    res = runner.invoke(app, pull, env=env)
    assert res.exit_code == 0, res.output
    with Ledger(led) as check:
        assert check.get_state(LS_SKIPPED_KEY) == {project_name: {"1": sorted([second, third])}}
        assert open_round_in(check) is None
    res = runner.invoke(app, ["al", "status", "--ledger", led], env=env)
    assert res.exit_code == 0 and "round 1 is open" not in res.output
