"""What each queue kind puts in front of annotators: order, context, pre-annotations,
blind verification, instructions and the data-manager view (against the real server)."""

from __future__ import annotations

import pandas as pd
import pytest

from dataqa.errors import InvalidSettingError, MissingColumnError, UnknownNameError
from dataqa.labelstudio import label_config, push_queue
from dataqa.labelstudio.project_setup import VIEW_TITLE
from dataqa.labelstudio.tasks import context_line, priority_order

from ._helpers import CLASSES, push

DOT = " \u00b7 "


def _items() -> pd.DataFrame:
    # scores out of order, one missing, one tie (ties keep the input order)
    return pd.DataFrame({
        "id": ["a", "b", "c", "d", "e"],
        "text": ["see you at lunch", "PRIVATE! call 0871 now", "free prize", "ok thanks",
                 "win cash"],
        "label": ["ham", "ham", "spam", "ham", "spam"],
        "prediction": ["ham", "spam", "spam", "spam", "ham"],
        "probability": [0.8, 0.91, 0.6, 0.55, 0.51],
        "score": [0.1, 0.69, 0.3, None, 0.3],
    })


def _task(client, task_id):
    return client.request("GET", f"/api/tasks/{task_id}")


# ---------------------------------------------------------------- no server

def test_priority_order_is_descending_score_with_missing_last_and_stable_ties():
    assert priority_order(_items()).tolist() == [1, 2, 4, 0, 3]
    assert priority_order(_items().drop(columns="score")).tolist() == [0, 1, 2, 3, 4]


def test_context_lines_per_kind():
    kw = dict(given="ham", suggested="spam", probability=0.9123, score=0.687)
    assert context_line("review", **kw) == (
        f"Given label: ham{DOT}model suggests: spam (probability 0.91){DOT}issue score 0.69")
    assert context_line("review", given="ham", suggested="spam", probability=None,
                        score=0.687) == f"Given label: ham{DOT}model suggests: spam{DOT}issue score 0.69"
    assert context_line("active", **kw) == f"Model suggests: spam (probability 0.91){DOT}priority 0.69"
    assert context_line("spot_check", **kw) == f"Weak label: spam{DOT}priority 0.69"
    assert context_line("verify", **kw) == "Choose the class from the item alone."
    assert context_line("active", given=None, suggested=None, probability=None,
                        score=None) == ""
    # two decimals would read 0.9953 as a certain 1.00
    assert context_line("active", given=None, suggested="spam", probability=0.99999,
                        score=0.9953) == f"Model suggests: spam (probability 0.99999){DOT}priority 0.995"
    assert context_line("review", given="ham", suggested=None, probability=None,
                        score=0.0004) == f"Given label: ham{DOT}issue score 0.0004"
    assert context_line("review", given="ham", suggested=None, probability=None,
                        score=1.0) == f"Given label: ham{DOT}issue score 1.00"
    assert context_line("active", given=None, suggested="spam", probability=0.9999999,
                        score=1e-9) == (f"Model suggests: spam (probability >0.999999){DOT}"
                                        f"priority <0.000001")


def test_config_shows_the_context_header_between_item_and_choices():
    cfg = label_config(CLASSES)
    assert cfg.index('<Text name="text"') < cfg.index('<Header value="$context"') \
        < cfg.index("<Choices")
    assert "$context" not in label_config(CLASSES, context=False)


def test_bad_pretick_and_probability_are_refused_before_any_request(ledger):
    bogus = dict(url="http://127.0.0.1:9", api_key="k", ledger=ledger, class_names=CLASSES,
                 project="p-x")
    items = _items()
    with pytest.raises(UnknownNameError, match="known pretick.*given, none, suggested"):
        push_queue(items, queue="review", pretick="model", **bogus)
    with pytest.raises(InvalidSettingError, match="pretick='given' would show a label in the "
                                                  "blind 'verify' queue"):
        push_queue(items, queue="verify", pretick="given", **bogus)
    with pytest.raises(MissingColumnError, match="'label' is not in the table"):
        push_queue(items.drop(columns="label"), queue="active", pretick="given", **bogus)
    with pytest.raises(InvalidSettingError, match=r"column 'probability' row 1 is 1\.5; it "
                                                  r"must be the model's probability"):
        push_queue(items.assign(probability=[0.5, 1.5, 0.5, 0.5, 0.5]), queue="active",
                   **bogus)
    with pytest.raises(InvalidSettingError, match="text column is named 'context'"):
        push_queue(items.rename(columns={"text": "context"}), queue="active",
                   column="context", **bogus)
    assert ledger.summary()["items"] == 0


# ---------------------------------------------------------------- real server

def test_tasks_are_created_by_descending_priority_and_new_items_keep_their_order(
        ls_server, ls_client, ledger, project_name):
    rep = push(_items(), ls_server, ledger, project_name)
    by_id = sorted(rep.task_ids, key=rep.task_ids.get)
    assert by_id == ["b", "c", "e", "a", "d"]
    assert [_task(ls_client, rep.task_ids[i])["data"].get("priority") for i in by_id] == \
        [0.69, 0.3, 0.3, 0.1, None]
    # the labeling stream of the project (no view selected) serves the highest first
    nxt = ls_client.request("GET", f"/api/projects/{rep.project_id}/next")
    assert nxt["data"]["dataqa_id"] == "b"
    # a re-push adding items creates only the new ones, highest first, after the old
    more = pd.DataFrame({"id": ["x", "y", "z"], "text": ["one", "two", "three"],
                         "score": [0.2, 0.95, 0.5]})
    again = push(pd.concat([_items(), more]), ls_server, ledger, project_name)
    assert sorted(again.created) == ["x", "y", "z"] and again.n_skipped == 5
    new = sorted(again.created, key=again.task_ids.get)
    assert new == ["y", "z", "x"] and min(again.task_ids[i] for i in new) > max(rep.task_ids.values())


def test_active_prediction_score_is_the_model_probability(ls_server, ls_client, ledger,
                                                           project_name):
    rep = push(_items(), ls_server, ledger, project_name, model_name="tfidf-logreg")
    task = _task(ls_client, rep.task_ids["b"])
    (pred,) = task["predictions"]
    assert pred["result"][0]["value"]["choices"] == ["spam"]
    assert pred["score"] == pytest.approx(0.91)
    assert pred["model_version"] == "model-tfidf-logreg"
    assert task["data"]["context"] == f"Model suggests: spam (probability 0.91){DOT}priority 0.69"
    assert "given_label" not in task["data"]
    # without a probability column the prediction has no score at all
    rep = push(_items().drop(columns="probability"), ls_server, ledger, project_name + " np")
    (pred,) = _task(ls_client, rep.task_ids["b"])["predictions"]
    assert pred.get("score") is None and pred["model_version"] == "model-classifier"
    # a spot check's pre-annotation is the weak label
    rep = push(_items(), ls_server, ledger, project_name + " weak", queue="spot_check")
    (pred,) = _task(ls_client, rep.task_ids["b"])["predictions"]
    assert pred["model_version"] == "weak-label"


def test_verify_tasks_show_no_label_anywhere(ls_server, ls_client, ledger, project_name):
    rep = push(_items(), ls_server, ledger, project_name, queue="verify")
    assert rep.created == ["a", "b", "c", "d", "e"]  # the input order, not by score
    for iid, tid in rep.task_ids.items():
        task = _task(ls_client, tid)
        assert task["predictions"] == []
        # no priority either: the issue score would say which items the model suspects
        assert set(task["data"]) == {"text", "dataqa_id", "context"}
        assert "score" not in task["meta"]
        assert task["data"]["context"] == "Choose the class from the item alone."
        for value in list(task["data"].values()) + list(task["meta"].values()):
            assert str(value) not in CLASSES, (iid, value)
    assert ledger.item_data(["b"]) == {"b": {"text": _items().loc[1, "text"]}}


def test_project_gets_description_instructions_and_a_priority_view(ls_server, ls_client,
                                                                    ledger, project_name):
    rep = push(_items(), ls_server, ledger, project_name, queue="review")
    proj = ls_client.get_project(rep.project_id)
    assert proj["description"].startswith("dataqa review queue 'review': Label-issue review")
    assert proj["show_instruction"] is True
    text = proj["expert_instruction"]
    assert "review (review queue, 5 items)" in text and "Nothing is pre-selected" in text
    views = ls_client.request("GET", "/api/dm/views", params={"project": rep.project_id})
    (view,) = views
    data = view["data"]
    assert data["title"] == VIEW_TITLE and data["ordering"] == ["-tasks:data.priority"]
    assert data["columnsDisplayType"] == {"tasks:data.priority": "Number"}
    hidden = set(data["hiddenColumns"]["explore"])
    for col in ("tasks:data.text", "tasks:data.priority", "tasks:data.given_label",
                "tasks:data.suggested_label"):
        assert col not in hidden
    assert {"tasks:predictions_results", "tasks:data.context"} <= hidden
    # the view orders the data manager's task list by priority, as a number
    listed = ls_client.request("GET", "/api/tasks", params={
        "project": rep.project_id, "view": view["id"], "fields": "all"})
    assert [t["data"]["dataqa_id"] for t in listed["tasks"]] == ["b", "c", "e", "a", "d"]
    # an item pushed later with a higher priority has a higher task id, yet the labeling
    # stream of the view ("Label All Tasks" from that tab) serves it first
    later = pd.DataFrame({"id": ["n"], "text": ["URGENT! you won"], "label": ["ham"],
                          "score": [0.99]})
    added = push(later, ls_server, ledger, project_name, queue="review")
    assert added.task_ids["n"] > max(rep.task_ids.values())
    nxt = ls_client.request("GET", f"/api/projects/{rep.project_id}/next",
                            params={"view": view["id"]})
    assert nxt["data"]["dataqa_id"] == "n"

    # a second queue kind in the same project: one view still, instructions for both
    push(_items().assign(id=lambda d: "v" + d["id"]), ls_server, ledger, project_name,
         queue="verify")
    assert len(ls_client.request("GET", "/api/dm/views", params={"project": rep.project_id})) == 1
    text = ls_client.get_project(rep.project_id)["expert_instruction"]
    assert "review (review queue, 6 items)" in text and "verify (verify queue, 5 items)" in text


def test_out_of_scope_class_is_explained(ls_server, ls_client, ledger, project_name):
    rep = push_queue(_items().drop(columns=["label", "prediction"]), project=project_name,
                     class_names=["ham", "spam", "out_of_scope"], ledger=ledger,
                     queue="active", url=ls_server.url, api_key=ls_server.api_key)
    text = ls_client.get_project(rep.project_id)["expert_instruction"]
    assert "\u201cout_of_scope\u201d means the item belongs to none of the other classes" in text


def test_build_tasks_pretick_variants():
    from dataqa.labelstudio.tasks import build_tasks

    items = _items()
    common = dict(class_names=CLASSES, queue="q", data_kind="text", column="text",
                  data_columns=["text"], to_name="text")

    def preds(kind, pretick, version="v"):
        tasks = build_tasks(items, kind=kind, pretick=pretick, model_version=version, **common)
        return [t.get("predictions", [None])[0] for t in tasks]

    # review + suggested: the model's class with its probability
    p = preds("review", "suggested")[1]
    assert p["result"][0]["value"]["choices"] == ["spam"] and p["score"] == 0.91
    # review + given: the given label, no score
    p = preds("review", "given")[1]
    assert p["result"][0]["value"]["choices"] == ["ham"] and "score" not in p
    # explicit none: nothing, whatever the kind
    assert preds("active", "none") == [None] * 5
    # default of each kind
    assert preds("review", None) == [None] * 5 and preds("verify", None) == [None] * 5
    assert [p["result"][0]["value"]["choices"][0] for p in preds("active", None)] == \
        ["ham", "spam", "spam", "spam", "ham"]


def test_verify_tasks_carry_no_score_and_keep_the_input_order():
    from dataqa.labelstudio.tasks import build_tasks

    tasks = build_tasks(_items(), class_names=CLASSES, kind="verify", queue="v",
                        data_kind="text", column="text", data_columns=["text"], to_name="text",
                        model_version="")
    assert [sorted(t["data"]) for t in tasks] == [["context", "dataqa_id", "text"]] * 5
    assert [t["meta"] for t in tasks] == [{"dataqa_queue": "v", "dataqa_kind": "verify"}] * 5
    active = build_tasks(_items(), class_names=CLASSES, kind="active", queue="a",
                         data_kind="text", column="text", data_columns=["text"],
                         to_name="text", model_version="m")
    assert [t["data"].get("priority") for t in active] == [0.1, 0.69, 0.3, None, 0.3]


def test_local_image_paths_are_quoted_in_their_url(tmp_path):
    """A file name with '&', '#' or '+' was another file (or none) in the query string
    Label Studio reads (404 in the browser); spaces and non-ASCII letters are quoted too."""
    from dataqa.labelstudio.tasks import build_tasks

    names = ["set1/a&b.png", "set1/c#1.png", "set1/x+y.png", "set 2/name with space.png",
             "set1/üñí.png"]
    items = pd.DataFrame({"id": [f"i{k}" for k in range(5)],
                          "image": [str(tmp_path / n) for n in names]})
    tasks = build_tasks(items, class_names=CLASSES, kind="verify", queue="v",
                        data_kind="image", column="image", data_columns=["image"],
                        to_name="image", model_version="", local_files_root=tmp_path)
    assert [t["data"]["image"] for t in tasks] == [
        "/data/local-files/?d=set1/a%26b.png", "/data/local-files/?d=set1/c%231.png",
        "/data/local-files/?d=set1/x%2By.png",
        "/data/local-files/?d=set%202/name%20with%20space.png",
        "/data/local-files/?d=set1/%C3%BC%C3%B1%C3%AD.png"]
    # a file in the root itself: no Label Studio storage may be the root
    with pytest.raises(InvalidSettingError, match=r"lies in local_files_root .* itself; "
                                                  r"Label Studio serves a local file only "
                                                  r"from a subfolder"):
        build_tasks(items.assign(image=str(tmp_path / "cat.png")), class_names=CLASSES,
                    kind="verify", queue="v", data_kind="image", column="image",
                    data_columns=["image"], to_name="image", model_version="",
                    local_files_root=tmp_path)


class _RaceServer:
    """A scripted server for :class:`TaskImporter`: tasks of item ``x`` made by another
    push (id 11) and by this one (id 12), with or without the import naming its tasks."""

    def __init__(self, answer):
        self.answer, self.tasks, self.deleted = answer, [], []

    def import_tasks(self, project_id, tasks):
        self.tasks = [{"id": 11, "data": {"dataqa_id": "x"}},
                      {"id": 12, "data": {"dataqa_id": "x"}},
                      {"id": 13, "data": {"dataqa_id": "y"}}]
        return self.answer

    def list_tasks(self, project_id, **kw):
        return [t for t in self.tasks if t["id"] > (kw.get("min_id") or 0)]

    def request(self, method, path, **kw):
        return {"id": int(path.rsplit("/", 1)[1])}

    def delete_tasks(self, ids):
        self.deleted.extend(ids)
        self.tasks = [t for t in self.tasks if t["id"] not in ids]


class _Ledger:
    def __init__(self):
        self.recorded = {}

    def record_tasks(self, queue, mapping, *, project):
        self.recorded.update(mapping)


@pytest.mark.parametrize("answer, created, skipped", [
    ({"task_count": 2, "task_ids": [12, 13]}, ["y"], ["x"]),  # the kept task is the other's
    ({"task_count": 2}, ["x", "y"], []),  # no ids: both reports count x (documented)
    ({"task_count": 2, "task_ids": [12]}, ["x", "y"], []),  # ids of part: as without
])
def test_raced_items_count_once_where_the_import_names_its_tasks(answer, created, skipped):
    from dataqa.labelstudio.importing import TaskImporter
    from dataqa.labelstudio.reports import PushReport

    server, ledger = _RaceServer(answer), _Ledger()
    report = PushReport(project="p", project_id=1, queue="active")
    imp = TaskImporter(server, ledger, 1, "p", "active", report, max_id=10)
    imp.push(["x", "y"], [{"data": {"dataqa_id": "x"}}, {"data": {"dataqa_id": "y"}}])
    imp.settle_races()
    assert (sorted(report.created), sorted(report.skipped)) == (created, skipped)
    assert report.raced == ["x"] and server.deleted == [12]
    assert ledger.recorded == {"x": 11, "y": 13}  # the task that stayed, whoever made it


class _StorageServer:
    """A scripted server for :func:`ensure_local_storage`: the storages it holds, the
    posts it got, and a refusal for paths under ``refuse``."""

    def __init__(self, held, refuse=None):
        self.held, self.posts, self.refuse = list(held), [], refuse

    def request(self, method, path, *, params=None, json_body=None, timeout=None):
        from dataqa.errors import LabelStudioError

        if method == "GET":
            return [{"path": p} for p in self.held]
        if self.refuse and json_body["path"].startswith(self.refuse):
            raise LabelStudioError("Label Studio at x rejected POST /api/storages/localfiles "
                                   "(HTTP 400): path does not exist")
        self.posts.append(json_body)
        self.held.append(json_body["path"])
        return {"id": len(self.held)}


def test_local_storage_is_added_once_per_top_folder_as_written(tmp_path):
    import os

    from dataqa.errors import LabelStudioProjectError
    from dataqa.labelstudio.project_setup import LOCAL_FILES_URL, ensure_local_storage

    real = tmp_path / "real"
    (real / "set1").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    tasks = [{"data": {"image": f"{LOCAL_FILES_URL}{d}"}} for d in
             ("set1/a%26b.png", "set1/deep/c.png", "pics%202/cat.png")]
    tasks += [{"data": {"image": "https://x/y.png"}}, {"data": {"image": None}}]
    info = {"id": 3, "title": "p"}
    # the root as given (a link): the paths Label Studio compares with its root as given
    server = _StorageServer(held=[str(link / "set1") + "/"])  # (held, with a slash)
    added = ensure_local_storage(server, info, tasks, "image", link)
    assert added == [os.path.abspath(link / "pics 2")]
    assert [p["project"] for p in server.posts] == [3] and not server.posts[0]["use_blob_urls"]
    assert ensure_local_storage(server, info, tasks, "image", link) == []  # once
    assert ensure_local_storage(server, info, tasks, "image", None) == []
    with pytest.raises(LabelStudioProjectError, match=r"project 'p' \(id 3\) needs a Local "
                                                      r"files storage for .*pics 2.*refused.*"
                                                      r"no task was sent"):
        ensure_local_storage(_StorageServer([], refuse=str(tmp_path)), info, tasks, "image",
                             link)
