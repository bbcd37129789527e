"""An audit's review queue goes to the real server as a ``review`` queue, once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataqa.audit import audit
from dataqa.labelstudio import push_queue


def test_audit_review_queue_pushes_once_with_both_labels_and_no_pretick(ls_server, ls_client,
                                                                        ledger, project_name):
    rng = np.random.default_rng(0)
    spam = ["win cash now", "free prize claim", "click for money", "cheap pills here"]
    ham = ["see you at lunch", "running late sorry", "thanks for the notes", "call me later"]
    texts = [f"{(spam if k % 2 else ham)[k % 4]} {rng.integers(1000)}" for k in range(80)]
    labels = ["spam" if k % 2 else "ham" for k in range(80)]
    for k in (2, 4, 6, 8):  # four ham messages labeled spam
        labels[k] = "spam"
    df = pd.DataFrame({"id": [f"t{k}" for k in range(80)], "text": texts, "label": labels})
    res = audit(df, label_column="label", text_column="text", id_column="id", cv=3,
                datalab=False, progress=False)
    queue = res.review_queue()
    assert len({"t2", "t4", "t6", "t8"} & set(queue["id"])) >= 3
    report = push_queue(queue, project=project_name, class_names=res.table.class_names,
                        ledger=ledger, queue="review", url=ls_server.url,
                        api_key=ls_server.api_key)
    assert sorted(report.created) == sorted(queue["id"]) and report.failed == []
    again = push_queue(queue, project=project_name, class_names=res.table.class_names,
                       ledger=ledger, queue="review", url=ls_server.url,
                       api_key=ls_server.api_key)
    assert again.created == [] and sorted(again.skipped) == sorted(queue["id"])
    tasks = ledger.task_ids(project=project_name)
    assert set(tasks) == set(queue["id"])
    # highest issue score first; each task shows both labels and nothing is pre-ticked
    by_task = sorted(tasks, key=tasks.get)
    assert by_task == queue.sort_values("score", ascending=False, kind="stable")["id"].tolist()
    first = ls_client.request("GET", f"/api/tasks/{tasks[by_task[0]]}")
    row = queue.set_index("id").loc[by_task[0]]
    assert first["predictions"] == []
    assert (first["data"]["given_label"], first["data"]["suggested_label"]) == (
        row["label"], row["prediction"])
    assert first["data"]["priority"] == pytest.approx(row["score"])
    assert f"model suggests: {row['prediction']} (probability " in first["data"]["context"]


def test_review_queue_of_an_audit_with_class_indices_builds_tasks_by_class_name(tmp_path):
    from dataqa.audit import AuditResult
    from dataqa.labelstudio.tasks import build_tasks

    rng = np.random.default_rng(1)
    spam = ["win cash now", "free prize claim", "click for money", "cheap pills here"]
    ham = ["see you at lunch", "running late sorry", "thanks for the notes", "call me later"]
    texts = [f"{(spam if k % 2 else ham)[k % 4]} {rng.integers(1000)}" for k in range(60)]
    labels = [k % 2 for k in range(60)]  # class indices, as many files hold them
    for k in (2, 4, 6):
        labels[k] = 1
    df = pd.DataFrame({"id": [f"t{k}" for k in range(60)], "text": texts, "label": labels})
    audit(df, label_column="label", text_column="text", id_column="id", cv=3, datalab=False,
          progress=False).save(tmp_path / "a")
    queue = AuditResult.load(tmp_path / "a").review_queue()
    assert len(queue) > 0 and set(queue["label"]) <= {"0", "1"}  # digit strings
    tasks = build_tasks(queue, class_names=["ham", "spam"], kind="review", queue="review",
                        data_kind="text", column="text", data_columns=["text"],
                        model_version="", to_name="text")
    names = {"0": "ham", "1": "spam"}
    assert [t["data"]["given_label"] for t in tasks] == [names[v] for v in queue["label"]]
    assert [t["data"]["suggested_label"] for t in tasks] == [names[v] for v in queue["prediction"]]
