"""push_queue / pull_annotations against a real Label Studio server."""

from __future__ import annotations

import logging
from collections import Counter

import pandas as pd
import pytest

from dataqa.errors import (
    DuplicateIdError,
    InvalidSettingError,
    LabelStudioAuthError,
    LabelStudioConnectionError,
    LabelStudioProjectError,
    MissingColumnError,
    PushInterrupted,
    UnknownNameError,
)
from dataqa.labelstudio import (
    LabelStudioClient,
    PullResult,
    config_classes,
    consensus_labels,
    pull_annotations,
    pull_project,
    push_queue,
    queue_name,
)
from dataqa.labelstudio.server import free_port

from ._helpers import CLASSES, choice, make_items


def _server_ids(client, project_id) -> Counter:
    return Counter(t["data"]["dataqa_id"] for t in client.list_tasks(project_id))


def _push(items, server, ledger, project, **kw):
    kw.setdefault("queue", "active")
    return push_queue(items, project=project, class_names=CLASSES, ledger=ledger,
                      url=server.url, api_key=server.api_key, **kw)


# ---------------------------------------------------------------- validation (no server)

def test_push_validates_items_before_any_request(ledger):
    items = make_items(5)
    bogus = dict(url="http://127.0.0.1:9", api_key="k", ledger=ledger, class_names=CLASSES,
                 project="p-x")
    with pytest.raises(DuplicateIdError, match="item-1"):
        push_queue(pd.concat([items, items.iloc[[1]]]), queue="active", **bogus)
    with pytest.raises(UnknownNameError, match="known queue kinds are: active, review, spot_check"):
        push_queue(items, queue="later", **bogus)
    with pytest.raises(MissingColumnError, match="'label' is not in the table"):
        push_queue(items, queue="review", **bogus)
    with pytest.raises(InvalidSettingError, match=r"column 'prediction' has 1 value.*row 2: 7"):
        push_queue(items.assign(prediction=[0, 1, 7, 0, 1]), queue="active", **bogus)
    with pytest.raises(MissingColumnError, match="'id' is not in the table"):
        push_queue(items.drop(columns="id"), queue="active", **bogus)
    assert ledger.summary()["items"] == 0


# ---------------------------------------------------------------- push

def test_push_creates_tasks_once_and_repush_creates_nothing(ls_server, ls_client, ledger,
                                                             project_name):
    items = make_items(1200)
    rep = _push(items, ls_server, ledger, project_name, chunk_size=500)
    assert (rep.n_created, rep.n_skipped, rep.n_failed) == (1200, 0, 0)
    counts = _server_ids(ls_client, rep.project_id)
    assert len(counts) == 1200 and set(counts.values()) == {1}
    # the ledger knows every task id, and they are the server's
    recorded = ledger.task_ids(project=project_name)
    assert recorded == rep.task_ids and len(recorded) == 1200
    assert ledger.pending_items(queue_name(project_name, "active")) == []
    assert ledger.item_data(["item-3"]) == {"item-3": {"text": items.loc[3, "text"]}}

    # pre-annotations carry the class, model version and score
    task = ls_client.request("GET", f"/api/tasks/{rep.task_ids['item-3']}")
    pred = task["predictions"][0]
    assert pred["model_version"] == "dataqa-active"
    assert pred["score"] == pytest.approx(float(items.loc[3, "score"]))
    assert pred["result"][0]["value"]["choices"] == [CLASSES[int(items.loc[3, "prediction"])]]
    assert task["data"]["text"] == items.loc[3, "text"]
    assert task["meta"]["dataqa_queue"] == "active"

    again = _push(items, ls_server, ledger, project_name, chunk_size=500)
    assert (again.n_created, again.n_skipped, again.n_failed) == (0, 1200, 0)
    more = _push(make_items(1250), ls_server, ledger, project_name, chunk_size=500)
    assert (more.n_created, more.n_skipped) == (50, 1200)
    counts = _server_ids(ls_client, rep.project_id)
    assert len(counts) == 1250 and set(counts.values()) == {1}


class _FlakyClient(LabelStudioClient):
    """Delivers ``ok`` imports, then one more that the server gets but the caller does not
    hear about (the connection drops after sending), then refuses."""

    def __init__(self, *a, ok: int, **kw):
        super().__init__(*a, **kw)
        self.ok = ok
        self.calls = 0

    def import_tasks(self, project_id, tasks):
        self.calls += 1
        if self.calls <= self.ok:
            return super().import_tasks(project_id, tasks)
        if self.calls == self.ok + 1:
            super().import_tasks(project_id, tasks)
        raise LabelStudioConnectionError("cannot reach Label Studio (simulated drop)")


def test_interrupted_push_resumes_with_each_id_exactly_once(ls_server, ls_client, ledger,
                                                            project_name):
    items = make_items(500)
    flaky = _FlakyClient(ls_server.url, ls_server.api_key, ok=2)
    with pytest.raises(LabelStudioConnectionError, match="creating 200 of 500 tasks") as info:
        push_queue(items, project=project_name, class_names=CLASSES, ledger=ledger,
                   queue="active", client=flaky, chunk_size=100)
    partial = info.value.report
    assert isinstance(info.value, PushInterrupted)
    assert partial.n_created == 200 and partial.n_failed == 300
    # the third chunk reached the server but was never recorded
    assert len(ledger.task_ids(project=project_name)) == 200
    assert sum(_server_ids(ls_client, partial.project_id).values()) == 300

    rep = _push(items, ls_server, ledger, project_name, chunk_size=100)
    assert (rep.n_created, rep.n_skipped, rep.n_failed) == (200, 300, 0)
    counts = _server_ids(ls_client, rep.project_id)
    assert set(counts) == set(items["id"]) and set(counts.values()) == {1}
    assert len(ledger.task_ids(project=project_name)) == 500


def test_tasks_deleted_on_the_server_are_pushed_again(ls_server, ls_client, ledger,
                                                      project_name):
    rep = _push(make_items(20), ls_server, ledger, project_name)
    ls_client.delete_tasks([rep.task_ids["item-0"], rep.task_ids["item-1"]])
    again = _push(make_items(20), ls_server, ledger, project_name)
    assert sorted(again.created) == ["item-0", "item-1"] and again.n_skipped == 18
    assert set(_server_ids(ls_client, rep.project_id).values()) == {1}


def test_review_queue_preannotates_the_given_label(ls_server, ls_client, ledger, project_name):
    items = make_items(6).assign(label=[0, 1, 0, 1, 0, 1], note=list("abcdef"))
    rep = _push(items, ls_server, ledger, project_name, queue="review", meta_columns=["note"])
    task = ls_client.request("GET", f"/api/tasks/{rep.task_ids['item-1']}")
    assert task["predictions"][0]["result"][0]["value"]["choices"] == ["spam"]
    assert task["meta"]["suggested_label"] == CLASSES[int(items.loc[1, "prediction"])]
    assert task["meta"]["score"] == pytest.approx(float(items.loc[1, "score"]))
    assert task["meta"]["note"] == "b" and task["meta"]["dataqa_kind"] == "review"
    assert ledger.queues().set_index("name").loc[queue_name(project_name, "review"), "kind"] \
        == "review"


def test_table_and_image_items(ls_server, ls_client, ledger, project_name):
    table = pd.DataFrame({"id": ["r1", "r2"], "age": [31, 45], "income": [1200.5, None],
                          "prediction": ["spam", "ham"]})
    rep = _push(table, ls_server, ledger, project_name + " table", queue="spot_check")
    proj = ls_client.get_project(rep.project_id)
    assert '<Table name="table" value="$table"/>' in proj["label_config"]
    task = ls_client.request("GET", f"/api/tasks/{rep.task_ids['r2']}")
    assert task["data"]["table"] == {"age": 45, "income": None}
    assert task["predictions"][0]["result"][0]["value"]["choices"] == ["ham"]

    images = pd.DataFrame({"id": ["m1"], "image": ["https://example.org/cat.png"]})
    rep = _push(images, ls_server, ledger, project_name + " image", queue="active")
    assert "<Image" in ls_client.get_project(rep.project_id)["label_config"]
    with pytest.raises(InvalidSettingError, match="local_files_root"):
        _push(pd.DataFrame({"id": ["m2"], "image": ["pics/cat.png"]}), ls_server, ledger,
              project_name + " image", queue="active")


def test_project_with_other_classes_is_refused_and_ledger_unchanged(ls_server, ledger,
                                                                    project_name):
    _push(make_items(3), ls_server, ledger, project_name)
    before = ledger.summary()
    with pytest.raises(LabelStudioProjectError, match=r"has classes \['ham', 'spam'\]"):
        push_queue(make_items(3, prefix="other"), project=project_name,
                   class_names=["neg", "pos"], ledger=ledger, queue="active",
                   url=ls_server.url, api_key=ls_server.api_key)
    assert ledger.summary() == before


# ---------------------------------------------------------------- connection errors

def test_wrong_token_and_server_down_leave_the_ledger_unchanged(ls_server, ledger, tmp_path):
    with pytest.raises(LabelStudioAuthError, match="refused the API key") as info:
        push_queue(make_items(3), project="p-auth", class_names=CLASSES, ledger=ledger,
                   queue="active", url=ls_server.url, api_key="not-the-key-12345")
    assert "not-the-key-12345" not in str(info.value)
    port = free_port()
    with pytest.raises(LabelStudioConnectionError, match=f"cannot reach Label Studio at "
                                                         f"http://127.0.0.1:{port}"):
        push_queue(make_items(3), project="p-down", class_names=CLASSES, ledger=ledger,
                   queue="active", url=f"http://127.0.0.1:{port}", api_key="k")
    with pytest.raises(LabelStudioConnectionError, match="start the server"):
        pull_annotations(project="p-down", ledger=ledger, url=f"http://127.0.0.1:{port}",
                         api_key="k")
    assert ledger.summary() == {"items": 0, "labels": 0, "labeled_items": 0, "rounds": 0,
                                "queues": 0, "tasks": 0}


def test_missing_key_and_missing_project(ls_server, ledger, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    with pytest.raises(LabelStudioAuthError, match="LABEL_STUDIO_API_KEY"):
        pull_annotations(project="x", ledger=ledger, url=ls_server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.api_key)
    monkeypatch.setenv("LABEL_STUDIO_URL", ls_server.url)
    with pytest.raises(LabelStudioProjectError, match="has no project 'no such project'"):
        pull_annotations(project="no such project", ledger=ledger)
    assert ledger.summary()["labels"] == 0


# ---------------------------------------------------------------- pull

def test_pull_round_trip(ls_server, ls_client, ledger, project_name):
    rep = _push(make_items(12), ls_server, ledger, project_name)
    ann1 = ls_client.create_user("ann1@example.org")
    ann2 = ls_client.create_user("ann2@example.org")
    tid = rep.task_ids
    posted = {}
    for k in range(6):  # ann1 labels items 0..5, ann2 items 0..2 (overlap)
        a = ls_client.create_annotation(tid[f"item-{k}"], choice(CLASSES[k % 2]),
                                        completed_by=ann1, lead_time=2.0 + k)
        posted[(f"item-{k}", "ann1@example.org")] = a["id"]
    for k in range(3):
        ls_client.create_annotation(tid[f"item-{k}"], choice("spam"), completed_by=ann2,
                                    lead_time=1.5)
    ls_client.create_annotation(tid["item-7"], [], completed_by=ann2, was_cancelled=True)
    ls_client.create_annotation(tid["item-8"], [], completed_by=ann1)

    df = pull_annotations(project=project_name, ledger=ledger, url=ls_server.url,
                          api_key=ls_server.api_key)
    report = df.attrs["report"]
    assert len(df) == 9 and (report.n_new, report.n_updated, report.n_unchanged) == (9, 0, 0)
    assert report.skipped["id"].tolist() == ["item-7"]
    assert report.skipped["annotator"].tolist() == ["ann2@example.org"]
    assert report.empty["id"].tolist() == ["item-8"]
    mine = df[df["annotator"] == "ann1@example.org"].set_index("id")
    assert mine["label"].to_dict() == {f"item-{k}": k % 2 for k in range(6)}
    assert mine.loc["item-4", "lead_time"] == pytest.approx(6.0)
    assert set(df["status"]) == {"new"}
    human = ledger.labels(source="human")
    assert len(human) == 9 and human["external_id"].is_unique
    assert set(human["annotator"]) == {"ann1@example.org", "ann2@example.org"}

    again = pull_annotations(project=project_name, ledger=ledger, url=ls_server.url,
                             api_key=ls_server.api_key)
    assert (again.attrs["report"].n_new, again.attrs["report"].n_updated) == (0, 0)
    assert set(again["status"]) == {"unchanged"}
    assert len(ledger.labels(source="human")) == 9

    # an annotator changes item-0 from ham to spam in the UI
    ls_client.update_annotation(posted[("item-0", "ann1@example.org")], choice("spam"))
    changed = pull_annotations(project=project_name, ledger=ledger, url=ls_server.url,
                               api_key=ls_server.api_key)
    rep3 = changed.attrs["report"]
    assert (rep3.n_new, rep3.n_updated, rep3.n_unchanged) == (0, 1, 8)
    row = changed[changed["status"] == "updated"].iloc[0]
    assert (row["id"], row["annotator"], row["label"]) == ("item-0", "ann1@example.org", 1)
    human = ledger.labels(source="human")
    assert len(human) == 9
    latest = ledger.latest_labels(source="human").set_index("id")
    assert latest.loc["item-0", "label"] == 1

    # a new annotation is found by the incremental pull; a full pull agrees with it
    ls_client.create_annotation(tid["item-9"], choice("ham"), completed_by=ann2)
    inc = pull_annotations(project=project_name, ledger=ledger, url=ls_server.url,
                           api_key=ls_server.api_key)
    assert (inc.attrs["report"].n_new, inc.attrs["report"].n_unchanged) == (1, 9)
    assert inc.attrs["report"].skipped["id"].tolist() == ["item-7"]
    whole = pull_annotations(project=project_name, ledger=ledger, url=ls_server.url,
                             api_key=ls_server.api_key, full=True)
    cols = ["id", "label", "annotator", "task_id", "annotation_id"]
    pd.testing.assert_frame_equal(inc[cols], whole[cols])
    assert len(ledger.labels(source="human")) == 10

    cons = consensus_labels(changed, class_names=config_classes(
        ls_client.get_project(rep.project_id)["label_config"]))
    items = cons.items.set_index("id")
    assert items.loc["item-1", "agreement"] == pytest.approx(1.0)  # both said spam
    assert items.loc["item-2", "agreement"] == pytest.approx(0.5)  # ham vs spam
    assert "item-2" in cons.needs_review


def test_api_key_never_in_logs_reprs_or_ledger(ls_server, tmp_path, caplog, project_name):
    from dataqa.ledger import Ledger

    key = ls_server.api_key
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "secret-check.db"
    with Ledger(path) as led:
        rep = _push(make_items(30), ls_server, led, project_name)
        client = LabelStudioClient(ls_server.url, key)
        client.create_annotation(rep.task_ids["item-0"], choice("ham"))
        df = pull_annotations(project=project_name, ledger=led, client=client)
        texts = [repr(client), repr(ls_server), str(rep), repr(rep), str(df.attrs["report"]),
                 df.to_csv()]
        with pytest.raises(LabelStudioProjectError) as info:
            pull_annotations(project="missing project", ledger=led, client=client)
        texts.append(str(info.value))
    assert "GET /api/tasks" in caplog.text  # the requests were logged ...
    for text in [caplog.text, *texts]:
        assert key not in text  # ... without the key
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(path.name))
    assert project_name.encode() in blob and key.encode() not in blob


def test_pull_project_returns_the_annotations_with_their_report(ls_server, ls_client, ledger,
                                                                 project_name):
    rep = _push(make_items(4), ls_server, ledger, project_name)
    ls_client.create_annotation(rep.task_ids["item-1"], choice("spam"))
    ls_client.create_annotation(rep.task_ids["item-2"], [], was_cancelled=True)
    result = pull_project(project=project_name, ledger=ledger, url=ls_server.url,
                          api_key=ls_server.api_key)
    assert isinstance(result, PullResult)
    assert result.annotations["id"].tolist() == ["item-1"]
    assert result.annotations["label_name"].tolist() == ["spam"]
    assert (result.report.n_new, result.report.n_skipped) == (1, 1)
    assert "report" not in result.annotations.attrs  # the report travels in the result
    assert str(result) == str(result.report)
    df = result.to_frame()
    assert df.attrs["report"] is result.report
    pd.testing.assert_frame_equal(df, result.annotations)
    again = pull_project(project=project_name, ledger=ledger, url=ls_server.url,
                         api_key=ls_server.api_key)
    assert (again.report.n_new, again.report.n_unchanged) == (0, 1)
