"""Round trip against the real Label Studio server: a review plan pushed as a blind ``verify``
queue, annotated through the API (several reviewers on some items), pulled, estimated."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dataqa.audit import AuditResult, audit, estimate_error_rate
from dataqa.cli import app

runner = CliRunner()


def _choice(name: str) -> list[dict]:
    return [{"from_name": "label", "to_name": "text", "type": "choices",
             "value": {"choices": [name]}}]


def _data(n=90):
    rng = np.random.default_rng(0)
    spam = ["win cash now", "free prize claim", "click for money", "cheap pills here"]
    ham = ["see you at lunch", "running late sorry", "thanks for the notes", "call me later"]
    texts = [f"{(spam if k % 2 else ham)[k % 4]} {rng.integers(1000)}" for k in range(n)]
    truth = ["spam" if k % 2 else "ham" for k in range(n)]
    given = list(truth)
    for k in (2, 4, 6, 8, 11, 13):  # six wrong labels
        given[k] = "ham" if given[k] == "spam" else "spam"
    df = pd.DataFrame({"id": [f"t{k}" for k in range(n)], "text": texts, "label": given})
    return df, pd.Series(truth, index=df["id"])


def test_verify_queue_round_trip(ls_server, tmp_path):
    from dataqa.labelstudio import LabelStudioClient
    from dataqa.ledger import Ledger

    df, truth = _data()
    res = audit(df, label_column="label", text_column="text", id_column="id", cv=3,
                datalab=False, progress=False)
    out = tmp_path / "audit"
    res.save(out)
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    ledger = tmp_path / "verify.db"
    project = "dataqa verify round trip"
    r = runner.invoke(app, ["review", "plan", str(out), "--budget", "24", "--push",
                            "--project", project, "--ledger", str(ledger)], env=env)
    assert r.exit_code == 0, r.output
    assert (f"then, once the reviewers have answered in Label Studio: dataqa review estimate "
            f"{out} --ledger {ledger} --project 'dataqa verify round trip'"
            in " ".join(r.output.split()))
    plan = pd.read_csv(out / "review_plan.csv", dtype={"id": str})
    assert len(plan) == 24

    with Ledger(ledger) as led:
        task_ids = led.task_ids(project=project)
    assert set(task_ids) == set(plan["id"])
    estimate = ["review", "estimate", str(out), "--ledger", str(ledger), "--project", project]
    r = runner.invoke(app, estimate, env=env)  # nobody has answered yet
    assert r.exit_code == 2
    assert (f"no item of the review plan has a verified label yet (24 planned): no reviewer "
            f"has answered the plan's items in project {project!r} yet: annotate the pushed "
            f"queue, then run") in " ".join(r.output.split())
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        pid = client.find_project(project)["id"]
        tasks = client.list_tasks(pid, fields=("id", "data", "predictions"))
        assert len(tasks) == 24
        for t in tasks:  # blind: the item only, no label, no pre-annotation
            assert not t.get("predictions")
            assert t["data"]["text"] == df.set_index("id").loc[t["data"]["dataqa_id"], "text"]
            shown = json.dumps(t["data"])
            assert "given_label" not in shown and "suggested_label" not in shown
        a1 = client.create_user("verify1@example.org")
        a2 = client.create_user("verify2@example.org")
        a3 = client.create_user("verify3@example.org")
        reviewed = plan["id"].tolist()[:20]  # four planned items are left unreviewed
        for i in reviewed:
            client.create_annotation(task_ids[i], _choice(truth[i]), completed_by=a1)
        for i in reviewed[:5]:  # two more reviewers on five items; one of them disagrees
            client.create_annotation(task_ids[i], _choice(truth[i]), completed_by=a2)
            other = "ham" if truth[i] == "spam" else "spam"
            client.create_annotation(task_ids[i], _choice(other), completed_by=a3)

    other = tmp_path / "other.db"  # a ledger that did not push the plan
    Ledger(other).close()
    r = runner.invoke(app, [*estimate[:3], "--ledger", str(other), *estimate[5:]], env=env)
    assert r.exit_code == 2 and not (out / "verified.json").exists()
    assert (f"none of the 20 annotated tasks of project {project!r} came from ledger "
            f"{str(other)!r}: pass the ledger that pushed the plan (--ledger), then run "
            f"`dataqa review estimate` again. The pull's answers (if any) are stored in the "
            f"ledger; no estimate was written.") in " ".join(r.output.split())
    r = runner.invoke(app, estimate, env=env)
    assert r.exit_code == 0, r.output
    verified = json.loads((out / "verified.json").read_text())
    # consensus (2 of 3) gives the true label on every reviewed item
    expect = estimate_error_rate(AuditResult.load(out), pd.DataFrame(
        {"id": reviewed, "verified_label": truth.loc[reviewed].to_numpy()}))
    assert verified["n_reviewed"] == 20 and verified["n_planned"] == 24
    given = df.set_index("id")["label"]
    assert verified["n_errors"] == int((given.loc[reviewed] != truth.loc[reviewed]).sum())
    assert verified["estimate"] == expect.estimate
    assert (verified["low"], verified["high"]) == (expect.low, expect.high)
    assert "Verified error rate" in (out / "report.html").read_text()
    assert "4 planned items not reviewed yet" in " ".join(r.output.split())

    # ten more items for the plan, pushed to the same project; the earlier tasks stay
    r = runner.invoke(app, ["review", "plan", str(out), "--add", "10", "--push", "--project",
                            project, "--ledger", str(ledger)], env=env)
    assert r.exit_code == 0, r.output
    plan = pd.read_csv(out / "review_plan.csv", dtype={"id": str})
    added = plan["id"].tolist()[24:]
    assert len(plan) == 34 and len(added) == 10
    assert pd.read_csv(out / "review_sheet_2.csv", dtype={"id": str})["id"].tolist() == added
    with Ledger(ledger) as led:
        task_ids = led.task_ids(project=project)
    assert set(task_ids) == set(plan["id"])
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        assert len(client.list_tasks(pid, fields=("id",))) == 34
        for i in added:
            client.create_annotation(task_ids[i], _choice(truth[i]), completed_by=a1)
    r = runner.invoke(app, ["review", "estimate", str(out), "--ledger", str(ledger),
                            "--project", project], env=env)
    assert r.exit_code == 0, r.output
    verified = json.loads((out / "verified.json").read_text())
    reviewed = reviewed + added
    expect = estimate_error_rate(AuditResult.load(out), pd.DataFrame(
        {"id": reviewed, "verified_label": truth.loc[reviewed].to_numpy()}))
    assert verified["n_reviewed"] == 30 and verified["n_planned"] == 34
    assert (verified["estimate"], verified["low"], verified["high"]) == (
        expect.estimate, expect.low, expect.high)


def _audit_dir(tmp_path):
    df, truth = _data()
    res = audit(df, label_column="label", text_column="text", id_column="id", cv=3,
                datalab=False, progress=False)
    out = tmp_path / "audit"
    res.save(out)
    return out, df, truth


def test_plan_push_checks_the_server_before_writing_anything(tmp_path):
    from dataqa.labelstudio.server import free_port

    out, _, _ = _audit_dir(tmp_path)
    url = f"http://127.0.0.1:{free_port()}"
    args = ["review", "plan", str(out), "--budget", "24", "--push", "--project", "p",
            "--ledger", str(tmp_path / "l.db"), "--url", url]
    r = runner.invoke(app, args, env={"LABEL_STUDIO_API_KEY": "k" * 40})
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and f"error: cannot reach Label Studio at {url}" in text
    assert "review plan:" not in text
    assert not (out / "review_plan.csv").exists() and not (out / "review_sheet.csv").exists()
    assert not (tmp_path / "l.db").exists()
    r = runner.invoke(app, args, env={"LABEL_STUDIO_API_KEY": ""})
    assert r.exit_code == 2 and "set the environment variable LABEL_STUDIO_API_KEY" in " ".join(
        r.output.split())
    assert not (out / "review_plan.csv").exists()
    r = runner.invoke(app, ["review", "plan", str(out), "--budget", "24", "--force"])
    assert r.exit_code == 2 and "--force only applies with --push" in r.output


def test_a_second_plan_is_refused_in_the_same_project_and_estimate_uses_this_plan(
        ls_server, tmp_path):
    from dataqa.labelstudio import LabelStudioClient
    from dataqa.ledger import Ledger

    out, df, truth = _audit_dir(tmp_path)
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    ledger = tmp_path / "verify.db"
    project = "dataqa verify two plans"
    push = ["--push", "--project", project, "--ledger", str(ledger)]
    r = runner.invoke(app, ["review", "plan", str(out), "--budget", "24", "--seed", "0", *push],
                      env=env)
    assert r.exit_code == 0, r.output
    first = pd.read_csv(out / "review_plan.csv", dtype={"id": str})["id"].tolist()
    r = runner.invoke(app, ["review", "plan", str(out), "--budget", "30", "--seed", "1", *push],
                      env=env)
    text = " ".join(r.output.split())
    assert r.exit_code == 2, r.output
    assert f"project '{project}' (id " in text and "item(s) that are not in this plan" in text
    assert "Push this plan to a new project" in text and "--force" in text
    assert "Nothing was written." in text and "review plan:" not in text
    # nothing was written: the first plan is still the plan
    assert pd.read_csv(out / "review_plan.csv", dtype={"id": str})["id"].tolist() == first

    r = runner.invoke(app, ["review", "plan", str(out), "--budget", "30", "--seed", "1", *push,
                            "--force"], env=env)
    assert r.exit_code == 0, r.output
    plan_ids = pd.read_csv(out / "review_plan.csv", dtype={"id": str})["id"].tolist()
    second = set(plan_ids)
    only_first = [i for i in first if i not in second]
    assert only_first  # the two plans differ
    assert (f"{len(second & set(first))} already there" in r.output
            and f"{len(second - set(first))} created" in r.output)

    with Ledger(ledger) as led:
        task_ids = led.task_ids(project=project)
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        for i in only_first:  # reviews of the earlier plan's items
            client.create_annotation(task_ids[i], _choice(truth[i]))
        reviewed = plan_ids[:12]
        for i in reviewed:
            client.create_annotation(task_ids[i], _choice(truth[i]))
        bad = client.create_annotation(task_ids[plan_ids[12]], _choice("maybe"))

    r = runner.invoke(app, ["review", "estimate", str(out), "--ledger", str(ledger),
                            "--project", project], env=env)
    text = " ".join(r.output.split())
    assert r.exit_code == 1, r.output  # as `ls pull`: done, but one annotation was refused
    assert (f"{len(only_first)} annotated item(s) of project '{project}' are not in this plan "
            f"and were left out") in text
    assert text.count("chose 'maybe'") == 1
    assert f"refused: annotation {bad['id']} of task {task_ids[plan_ids[12]]}" in text
    verified = json.loads((out / "verified.json").read_text())
    expect = estimate_error_rate(AuditResult.load(out), pd.DataFrame(
        {"id": reviewed, "verified_label": truth.loc[reviewed].to_numpy()}))
    assert verified["n_reviewed"] == 12 and verified["n_planned"] == 30
    assert verified["estimate"] == expect.estimate
    assert (verified["low"], verified["high"]) == (expect.low, expect.high)


def test_reviewers_split_evenly_leave_the_item_out_of_the_estimate(ls_server, tmp_path):
    import pytest

    from dataqa.labelstudio import LabelStudioClient
    from dataqa.ledger import Ledger

    df, truth = _data(60)
    res = audit(df, label_column="label", text_column="text", id_column="id", cv=3,
                datalab=False, progress=False)
    out = tmp_path / "audit"
    res.save(out)
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    ledger, project = tmp_path / "verify.db", "dataqa verify ties"
    r = runner.invoke(app, ["review", "plan", str(out), "--budget", "10", "--push",
                            "--project", project, "--ledger", str(ledger)], env=env)
    assert r.exit_code == 0, r.output
    plan = pd.read_csv(out / "review_plan.csv", dtype={"id": str})["id"].tolist()
    with Ledger(ledger) as led:
        task_ids = led.task_ids(project=project)
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        a1 = client.create_user("ties1@example.org")
        a2 = client.create_user("ties2@example.org")
        for i in plan:
            client.create_annotation(task_ids[i], _choice(truth[i]), completed_by=a1)
        other = "ham" if truth[plan[0]] == "spam" else "spam"
        client.create_annotation(task_ids[plan[0]], _choice(other), completed_by=a2)  # 1-1
        client.create_annotation(task_ids[plan[1]], _choice(truth[plan[1]]), completed_by=a2)
    with pytest.warns(UserWarning, match=f"1 reviewed item\\(s\\) have their reviewers split "
                                         f"evenly \\('{plan[0]}'\\): left out of the estimate"):
        r = runner.invoke(app, ["review", "estimate", str(out), "--ledger", str(ledger),
                                "--project", project], env=env)
    assert r.exit_code == 0, r.output
    verified = json.loads((out / "verified.json").read_text())
    kept = plan[1:]
    expect = estimate_error_rate(AuditResult.load(out), pd.DataFrame(
        {"id": kept, "verified_label": truth.loc[kept].to_numpy()}))
    assert verified["n_reviewed"] == 9 and plan[0] not in verified["reviewed_ids"]
    assert (verified["estimate"], verified["low"], verified["high"]) == (
        expect.estimate, expect.low, expect.high)


def test_ls_push_from_an_audit_folder_sends_its_review_queue_with_text(ls_server, tmp_path):
    from dataqa.labelstudio import LabelStudioClient

    out, df, _ = _audit_dir(tmp_path)
    res = AuditResult.load(out)
    flagged = res.issues.loc[res.issues["is_label_issue"], "id"].astype(str).tolist()
    assert flagged
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    project = "dataqa review from an audit folder"
    r = runner.invoke(app, ["ls", "push", "--ledger", str(tmp_path / "r.db"), "--project",
                            project, "--queue", "review", "--from", str(out),
                            "--only-flagged"], env=env)  # no --classes: the audit's
    assert r.exit_code == 0, r.output
    assert f"{len(flagged)} created" in r.output and "reviewers see a table" not in r.output
    text = df.set_index("id")["text"]
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        info = client.find_project(project)
        tasks = {t["data"]["dataqa_id"]: t["data"] for t in client.list_tasks(info["id"])}
    assert sorted(tasks) == sorted(flagged)
    for i, data in tasks.items():
        assert data["text"] == text[i]
        assert data["given_label"] == df.set_index("id").loc[i, "label"]
    # reading options are for a table file, not an audit's folder
    r = runner.invoke(app, ["ls", "push", "--ledger", str(tmp_path / "r2.db"), "--project",
                            project + " 2", "--queue", "review", "--from", str(out),
                            "--sep", ";"], env=env)
    assert r.exit_code == 2 and "is an audit's folder" in " ".join(r.output.split())
    # without --only-flagged every audited item goes, with a note
    r = runner.invoke(app, ["ls", "push", "--ledger", str(tmp_path / "r2.db"), "--project",
                            project + " all", "--queue", "review", "--from", str(out)], env=env)
    assert r.exit_code == 0, r.output
    assert (f"note: --from {str(out)!r} is an audit: all {len(df)} items were pushed, "
            f"{len(flagged)} of them flagged; --only-flagged pushes those alone"
            in " ".join(r.output.split()))


def test_an_interrupted_plan_push_names_the_command_that_finishes_it(ls_server, tmp_path,
                                                                     monkeypatch):
    from dataqa.errors import LabelStudioConnectionError
    from dataqa.labelstudio import LabelStudioClient, importing

    out, _, truth = _audit_dir(tmp_path)
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    ledger, project = tmp_path / "verify.db", "dataqa verify interrupted"
    push = ["--push", "--project", project, "--ledger", str(ledger)]
    first = ["review", "plan", str(out), "--budget", "24", "--seed", "0", *push]
    from dataqa.labelstudio import push as push_module

    def unreachable(*args, **kwargs):
        raise LabelStudioConnectionError(f"cannot reach Label Studio at {ls_server.url}.")

    # lost before the push recorded anything: the same command again is the way
    with monkeypatch.context() as m:
        m.setattr(push_module, "server_map", unreachable)
        r = runner.invoke(app, first, env=env)
    assert r.exit_code == 2, r.output
    assert ("The plan is written; nothing of it was recorded or sent: run the same command "
            "again (the same --seed draws the same plan; this one is set aside).") in " ".join(
        r.output.split())
    planned = pd.read_csv(out / "review_plan.csv", dtype={"id": str})["id"].tolist()
    r = runner.invoke(app, first, env=env)
    assert r.exit_code == 0 and "24 created, 0 already there" in r.output, r.output
    assert pd.read_csv(out / "review_plan.csv", dtype={"id": str})["id"].tolist() == planned

    def lost(self, chunk_ids, chunk):
        raise LabelStudioConnectionError(f"cannot reach Label Studio at {ls_server.url}.")

    with monkeypatch.context() as m:
        m.setattr(importing.TaskImporter, "push", lost)
        r = runner.invoke(app, ["review", "plan", str(out), "--add", "10", *push], env=env)
    text = " ".join(r.output.split())
    assert r.exit_code == 2, r.output
    finish = f"dataqa ls push --ledger {ledger} --project '{project}' --queue verify"
    assert (f"The plan is written; finish its push with: {finish} (tasks already on the "
            f"server are found, not created twice)." in text
            and "run the same push again" not in text)
    # the same review plan command would add 10 more, not finish this push: the named one does
    r = runner.invoke(app, ["ls", "push", "--ledger", str(ledger), "--project", project,
                            "--queue", "verify"], env=env)
    assert r.exit_code == 0 and "10 created, 24 already there" in r.output, r.output
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        pid = client.find_project(project)["id"]
        assert len(client.list_tasks(pid, fields=("id",))) == 34
    # lost before the push recorded anything in the ledger: the added items are pushed from
    # their sheet (the ledger's queue would send the earlier ones only)
    with monkeypatch.context() as m:
        m.setattr(push_module, "server_map", unreachable)
        r = runner.invoke(app, ["review", "plan", str(out), "--add", "5", "--force", *push],
                          env=env)
    text = " ".join(r.output.split())
    assert r.exit_code == 2, r.output
    sheet = out / "review_sheet_3.csv"
    assert (f"The plan is written; its 5 added items were not recorded or sent: push them "
            f"with dataqa ls push --ledger {ledger} --project '{project}' --queue verify "
            f"--from {sheet} (running `dataqa review plan --add` again would add more "
            f"items).") in text
    r = runner.invoke(app, ["ls", "push", "--ledger", str(ledger), "--project", project,
                            "--queue", "verify", "--from", str(sheet)], env=env)
    assert r.exit_code == 0 and "5 created, 0 already there" in r.output, r.output
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        added = [t for t in client.list_tasks(pid, fields=("id", "data"))
                 if t["data"]["dataqa_id"] in set(pd.read_csv(sheet, dtype=str)["id"])]
        assert len(added) == 5 and all("verified_label" not in t["data"] for t in added)
    # answers whose task is deleted in Label Studio: the warning says so, with the command
    # that sends the task again (it spoke of review sheets, which there are none of)
    from dataqa.ledger import Ledger

    with Ledger(ledger) as led:
        task_ids = led.task_ids(project=project)
    plan = pd.read_csv(out / "review_plan.csv", dtype={"id": str})["id"].tolist()
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        for i in plan[:3]:
            client.create_annotation(task_ids[i], _choice(truth[i]))
    estimate = ["review", "estimate", str(out), "--ledger", str(ledger), "--project", project]
    assert runner.invoke(app, estimate, env=env).exit_code == 0
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        client.request("DELETE", f"/api/tasks/{task_ids[plan[0]]}/")
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(ledger), "--project", project,
                            "--full"], env=env)
    assert r.exit_code == 0, r.output
    with pytest.warns(UserWarning, match=re.escape(
            f"1 item(s) reviewed in the last estimate have no verified label in these "
            f"reviews: 1 have no answer in Label Studio now ('{plan[0]}'): their answers or "
            f"tasks were deleted there; `{finish}` sends a deleted task again, to be "
            f"answered anew. This estimate leaves them out.")):
        r = runner.invoke(app, estimate, env=env)
    assert r.exit_code == 0, r.output


def test_choices_reordered_in_label_studio_count_by_class_name(ls_server, tmp_path):
    # the pulled label is the class's place among the project's choices as they are now:
    # with ham and spam swapped in Label Studio, every verified label was swapped too
    from dataqa.labelstudio import LabelStudioClient
    from dataqa.ledger import Ledger

    df, truth = _data(60)
    res = audit(df, label_column="label", text_column="text", id_column="id", cv=3,
                datalab=False, progress=False)
    out = tmp_path / "audit"
    res.save(out)
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    ledger, project = tmp_path / "verify.db", "dataqa verify reordered"
    r = runner.invoke(app, ["review", "plan", str(out), "--budget", "15", "--push",
                            "--project", project, "--ledger", str(ledger)], env=env)
    assert r.exit_code == 0, r.output
    plan = pd.read_csv(out / "review_plan.csv", dtype={"id": str})["id"].tolist()
    with Ledger(ledger) as led:
        task_ids = led.task_ids(project=project)
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        for i in plan:
            client.create_annotation(task_ids[i], _choice(truth[i]))
        p = client.get_project(project)
        config = p["label_config"]
        ham, spam = '<Choice value="ham"', '<Choice value="spam"'
        assert config.index(ham) < config.index(spam)
        swapped = config.replace(ham, "\0").replace(spam, ham).replace("\0", spam)
        client.request("PATCH", f"/api/projects/{p['id']}/", json_body={"label_config": swapped})
    r = runner.invoke(app, ["review", "estimate", str(out), "--ledger", str(ledger),
                            "--project", project], env=env)
    assert r.exit_code == 0, r.output
    verified = json.loads((out / "verified.json").read_text())
    expect = estimate_error_rate(AuditResult.load(out), pd.DataFrame(
        {"id": plan, "verified_label": truth.loc[plan].to_numpy()}))
    assert verified["n_reviewed"] == len(plan)
    assert (verified["estimate"], verified["low"], verified["high"]) == (
        expect.estimate, expect.low, expect.high)
