"""push_queue against a real Label Studio server (validation needs none)."""

from __future__ import annotations

import pandas as pd
import pytest

from dataqa.errors import (
    DuplicateIdError,
    InvalidSettingError,
    LabelStudioConnectionError,
    LabelStudioProjectError,
    MissingColumnError,
    PushInterrupted,
    UnknownNameError,
)
from dataqa.labelstudio import LabelStudioClient, push_queue, queue_name

from ._helpers import CLASSES, make_items, push, server_ids

# ---------------------------------------------------------------- validation (no server)

def test_push_validates_items_before_any_request(ledger):
    items = make_items(5)
    bogus = dict(url="http://127.0.0.1:9", api_key="k", ledger=ledger, class_names=CLASSES,
                 project="p-x")
    with pytest.raises(DuplicateIdError, match="item-1"):
        push_queue(pd.concat([items, items.iloc[[1]]]), queue="active", **bogus)
    with pytest.raises(UnknownNameError, match="known queue kinds are: active, review, spot_check, verify"):
        push_queue(items, queue="later", **bogus)
    with pytest.raises(MissingColumnError, match=r"a review queue needs the given label in a "
                       r"column named 'label' \(or 'given_label', as `dataqa audit` writes "
                       r"it\); the table has: id, text, prediction, score\. Rename"):
        push_queue(items, queue="review", **bogus)
    with pytest.raises(InvalidSettingError,
                       match=r"column 'prediction' has 1 value.*data row 3 \(id 'item-2'\): 7"):
        push_queue(items.assign(prediction=[0, 1, 7, 0, 1]), queue="active", **bogus)
    with pytest.raises(MissingColumnError, match="'id' is not in the table"):
        push_queue(items.drop(columns="id"), queue="active", **bogus)
    assert ledger.summary()["items"] == 0


def test_ids_that_name_other_content_than_the_ledger_holds_are_named(tmp_path):
    from dataqa.labelstudio.ledger_state import check_item_content
    from dataqa.ledger import Ledger

    path = tmp_path / "l.db"
    check_item_content(str(path), ["a"], [{"text": "x"}])  # no ledger yet: nothing to compare
    with Ledger(path) as led:
        led.add_items(["a", "b", "c"], data=[{"text": "hi  there"}, {"x": 1.0, "y": None},
                                             {"x": 2, "text": "t"}])
        # the same content (white space, 1.0 as 1, missing as missing), a field the
        # earlier push did not show, and a new id: all pass
        check_item_content(led, ["a", "b", "c", "d"],
                           [{"text": "hi there\r\n"}, {"x": 1, "y": float("nan")},
                            {"x": 2, "z": 5}, {"text": "new"}])
        with pytest.raises(DuplicateIdError, match=r"^2 id\(s\) .* \(e.g. id 'b', 'x': '1.0' "
                                                   r"in the ledger, '1.5' now\)"):
            check_item_content(led, ["b", "c"], [{"x": 1.5}, {"x": 3}])
        # a column read as text in one export and numbers in the other, blank as missing,
        # a minus sign written as U+2212, and fields named in skip (image paths): the same
        led.add_items(["e"], data=[{"store": "1", "note": "", "t": "\u22123", "image": "a.png"}])
        check_item_content(led, ["e"], [{"store": 1, "note": None, "t": -3.0,
                                         "image": "/data/a.png"}], skip=["image"])
        with pytest.raises(DuplicateIdError, match="'image': 'a.png' in the ledger"):
            check_item_content(led, ["e"], [{"image": "/data/a.png"}])
    # a path to the ledger is opened and read the same way
    with pytest.raises(DuplicateIdError, match=r"id 'a', 'text': 'hi  there' in the ledger, "
                                               r"'bye' now"):
        check_item_content(str(path), ["a"], [{"text": "bye"}])


# ---------------------------------------------------------------- push

def test_push_creates_tasks_once_and_repush_creates_nothing(ls_server, ls_client, ledger,
                                                             project_name):
    items = make_items(1200)
    rep = push(items, ls_server, ledger, project_name, chunk_size=500)
    assert (rep.n_created, rep.n_skipped, rep.n_failed) == (1200, 0, 0)
    counts = server_ids(ls_client, rep.project_id)
    assert len(counts) == 1200 and set(counts.values()) == {1}
    # the ledger knows every task id, and they are the server's
    recorded = ledger.task_ids(project=project_name)
    assert recorded == rep.task_ids and len(recorded) == 1200
    assert ledger.pending_items(queue_name(project_name, "active")) == []
    assert ledger.item_data(["item-3"]) == {"item-3": {"text": items.loc[3, "text"]}}

    # pre-annotations carry the class and what they are; the acquisition score is the
    # task's priority, never the prediction's score (no probability column: no score)
    task = ls_client.request("GET", f"/api/tasks/{rep.task_ids['item-3']}")
    pred = task["predictions"][0]
    assert pred["model_version"] == "model-classifier"
    assert pred.get("score") is None
    assert task["data"]["priority"] == pytest.approx(float(items.loc[3, "score"]))
    assert pred["result"][0]["value"]["choices"] == [CLASSES[int(items.loc[3, "prediction"])]]
    assert task["data"]["text"] == items.loc[3, "text"]
    assert task["meta"]["dataqa_queue"] == "active"

    again = push(items, ls_server, ledger, project_name, chunk_size=500)
    assert (again.n_created, again.n_skipped, again.n_failed) == (0, 1200, 0)
    more = push(make_items(1250), ls_server, ledger, project_name, chunk_size=500)
    assert (more.n_created, more.n_skipped) == (50, 1200)
    counts = server_ids(ls_client, rep.project_id)
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
    with pytest.raises(LabelStudioConnectionError,
                       match="with 200 of 500 tasks confirmed and recorded") as info:
        push_queue(items, project=project_name, class_names=CLASSES, ledger=ledger,
                   queue="active", client=flaky, chunk_size=100)
    partial = info.value.report
    assert isinstance(info.value, PushInterrupted)
    assert partial.n_created == 200 and partial.n_failed == 300
    # the third chunk reached the server but was never recorded
    assert len(ledger.task_ids(project=project_name)) == 200
    assert sum(server_ids(ls_client, partial.project_id).values()) == 300

    rep = push(items, ls_server, ledger, project_name, chunk_size=100)
    assert (rep.n_created, rep.n_skipped, rep.n_failed) == (200, 300, 0)
    counts = server_ids(ls_client, rep.project_id)
    assert set(counts) == set(items["id"]) and set(counts.values()) == {1}
    assert len(ledger.task_ids(project=project_name)) == 500


class _InterruptedClient(LabelStudioClient):
    """A client whose second import is stopped by Ctrl-C."""

    calls = 0

    def import_tasks(self, project_id, tasks):
        self.calls += 1
        if self.calls == 2:
            raise KeyboardInterrupt
        return super().import_tasks(project_id, tasks)


def test_ctrl_c_during_a_push_says_how_to_resume(ls_server, ls_client, ledger, project_name):
    items = make_items(300)
    client = _InterruptedClient(ls_server.url, ls_server.api_key)
    with pytest.raises(KeyboardInterrupt) as info:
        push_queue(items, project=project_name, class_names=CLASSES, ledger=ledger,
                   queue="active", client=client, chunk_size=100)
    assert info.value.dataqa_note == (
        f"the push to {project_name!r} was interrupted with 100 of 300 tasks confirmed and "
        f"recorded in the ledger (the server may hold more, from the chunk it was sent last); "
        f"run the same command again to create the rest: tasks already on the server are "
        f"found and recorded, not created twice.")
    rep = push(items, ls_server, ledger, project_name, chunk_size=100)
    assert (rep.n_created, rep.n_skipped) == (200, 100)
    assert set(server_ids(ls_client, rep.project_id).values()) == {1}


class _InterruptedEarlyClient(LabelStudioClient):
    """A client stopped by Ctrl-C while it looks for the project (before any task)."""

    def find_project(self, project):
        raise KeyboardInterrupt


def test_ctrl_c_before_the_tasks_go_out_says_so(ls_server, ls_client, ledger, project_name):
    client = _InterruptedEarlyClient(ls_server.url, ls_server.api_key)
    with pytest.raises(KeyboardInterrupt) as info:
        push_queue(make_items(10), project=project_name, class_names=CLASSES, ledger=ledger,
                   queue="active", client=client)
    assert info.value.dataqa_note == (
        f"the push to {project_name!r} was interrupted before it finished; nothing is lost: "
        f"run the same command again (tasks already on the server are found and recorded, "
        f"not created twice).")
    rep = push(make_items(10), ls_server, ledger, project_name)
    assert rep.n_created == 10


def test_tasks_deleted_on_the_server_are_pushed_again(ls_server, ls_client, ledger,
                                                      project_name):
    rep = push(make_items(20), ls_server, ledger, project_name)
    ls_client.delete_tasks([rep.task_ids["item-0"], rep.task_ids["item-1"]])
    again = push(make_items(20), ls_server, ledger, project_name)
    assert sorted(again.created) == ["item-0", "item-1"] and again.n_skipped == 18
    assert set(server_ids(ls_client, rep.project_id).values()) == {1}


def test_an_id_that_names_other_content_than_its_task_is_refused(ls_server, ls_client, ledger,
                                                                  project_name):
    """Per-export row numbers as ids: a later file's '007' is another row than the first
    file's. Its task keeps the first text, so the push is refused, nothing sent."""
    rep = push(make_items(5), ls_server, ledger, project_name)
    later = make_items(7, prefix="item")
    later.loc[2, "text"] = "2 billion views, who is still here?"
    with pytest.raises(DuplicateIdError, match=r"^1 id\(s\) of this push name other content "
                       r"than the ledger holds for them \(e.g. id 'item-2', 'text': 'message "
                       r"2: see you at lunch' in the ledger, '2 billion views, who is still "
                       r"here\?' now\): .* Nothing was sent."):
        push(later, ls_server, ledger, project_name)
    assert len(server_ids(ls_client, rep.project_id)) == 5
    assert ledger.item_data(["item-2"])["item-2"]["text"] == "message 2: see you at lunch"
    # the same texts written with other white space (a CRLF export) are the same items
    spaced = make_items(7).assign(text=lambda d: d["text"].str.replace(" ", "  "))
    again = push(spaced, ls_server, ledger, project_name)
    assert again.n_skipped == 5 and sorted(again.created) == ["item-5", "item-6"]


def test_review_queue_shows_both_labels_and_pretick_given_preannotates(ls_server, ls_client,
                                                                       ledger, project_name):
    items = make_items(6).assign(label=[0, 1, 0, 1, 0, 1], note=list("abcdef"))
    rep = push(items, ls_server, ledger, project_name, queue="review", meta_columns=["note"])
    task = ls_client.request("GET", f"/api/tasks/{rep.task_ids['item-1']}")
    assert task["predictions"] == []  # the reviewer decides
    suggested = CLASSES[int(items.loc[1, "prediction"])]
    assert task["data"]["given_label"] == "spam"
    assert task["data"]["suggested_label"] == suggested
    assert task["data"]["context"] == (
        f"Given label: spam \u00b7 model suggests: {suggested} \u00b7 issue score "
        f"{items.loc[1, 'score']:.2f}")
    assert task["meta"]["suggested_label"] == suggested
    assert task["meta"]["score"] == pytest.approx(float(items.loc[1, "score"]))
    assert task["meta"]["note"] == "b" and task["meta"]["dataqa_kind"] == "review"
    assert ledger.queues().set_index("name").loc[queue_name(project_name, "review"), "kind"] \
        == "review"
    # pretick="given": the given label, said to be the given label, with no score
    rep = push(items, ls_server, ledger, project_name + " given", queue="review",
               pretick="given")
    task = ls_client.request("GET", f"/api/tasks/{rep.task_ids['item-1']}")
    (pred,) = task["predictions"]
    assert pred["result"][0]["value"]["choices"] == ["spam"]
    assert pred["model_version"] == "given-label" and pred.get("score") is None


def test_table_and_image_items(ls_server, ls_client, ledger, project_name):
    table = pd.DataFrame({"id": ["r1", "r2"], "age": [31, 45], "income": [1200.5, None],
                          "prediction": ["spam", "ham"]})
    rep = push(table, ls_server, ledger, project_name + " table", queue="spot_check")
    proj = ls_client.get_project(rep.project_id)
    assert '<Table name="table" value="$table"/>' in proj["label_config"]
    task = ls_client.request("GET", f"/api/tasks/{rep.task_ids['r2']}")
    assert task["data"]["table"] == {"age": 45, "income": None}
    assert task["predictions"][0]["result"][0]["value"]["choices"] == ["ham"]

    images = pd.DataFrame({"id": ["m1"], "image": ["https://example.org/cat.png"]})
    rep = push(images, ls_server, ledger, project_name + " image", queue="active")
    assert "<Image" in ls_client.get_project(rep.project_id)["label_config"]
    with pytest.raises(InvalidSettingError, match="local_files_root"):
        push(pd.DataFrame({"id": ["m2"], "image": ["pics/cat.png"]}), ls_server, ledger,
              project_name + " image", queue="active")


def test_project_with_other_classes_is_refused_and_ledger_unchanged(ls_server, ledger,
                                                                    project_name):
    push(make_items(3), ls_server, ledger, project_name)
    before = ledger.summary()
    with pytest.raises(LabelStudioProjectError, match=r"has classes \['ham', 'spam'\]"):
        push_queue(make_items(3, prefix="other"), project=project_name,
                   class_names=["neg", "pos"], ledger=ledger, queue="active",
                   url=ls_server.url, api_key=ls_server.api_key)
    assert ledger.summary() == before


def test_class_indices_given_as_digit_strings_are_read_as_indices():
    from dataqa.labelstudio.tasks import _class_names

    # AuditResult.review_queue() and CSV files give class indices as text
    got = _class_names(pd.Series(["1", "0", "spam", 1, None]), ["ham", "spam"], "label")
    assert got == ["spam", "ham", "spam", "spam", None]
    # a class name wins over an index: class "1" is the first class here
    assert _class_names(pd.Series(["1", "0"]), ["1", "0"], "label") == ["1", "0"]
    with pytest.raises(InvalidSettingError,
                       match=r"column 'label' has 2 value\(s\) that are neither a class index "
                             r"0..1 nor a class name \(data row 1: '2', data row 2: '-1'\)"):
        _class_names(pd.Series(["2", "-1", "1"]), ["ham", "spam"], "label")
    with pytest.raises(InvalidSettingError, match=r"\(data row 3 \(id 'c'\): 'eggs'\)"):
        _class_names(pd.Series(["ham", "1", "eggs"]), ["ham", "spam"], "label", ["a", "b", "c"])


def test_notes_say_what_the_tasks_lack(tmp_path):
    from dataqa.labelstudio.push import _audit_aliases, _notes, _plan_tasks

    def notes(items, kind):
        plan = _plan_tasks(_audit_aliases(items), class_names=CLASSES, kind=kind, queue=kind,
                           data_kind=None, column=None, data_columns=None, meta_columns=(),
                           model_version=None, local_files_root=None,
                           ledger=tmp_path / "l.db", pretick={"active": "suggested"}.get(
                               kind, "none"))
        return _notes(plan)

    items = make_items(3)
    assert notes(items, "active") == []
    assert notes(items[["id", "text"]], "active") == [
        "the items have no 'prediction' column (the model's guess), so nothing is "
        "pre-selected and the line above the choices names no label.",
        "the items have no 'score' column, so the tasks have no priority: they are created "
        "in the table's order."]
    assert notes(items[["id", "text"]], "verify") == []
    # the audit's issues.csv as it is: no text, so the note says what reviewers see
    issues = pd.DataFrame({"id": ["a", "b"], "given_label": ["ham", "spam"],
                           "suggested_label": ["spam", "spam"], "label_issue_score": [0.8, 0.1],
                           "is_label_issue": [True, False]})
    assert notes(issues, "review") == [
        "the items have no 'text' or 'image' column, so reviewers see a table of "
        "'is_label_issue'; to show the items themselves, add their text "
        "(`dataqa ls push --from AUDIT_DIR` and AuditResult.review_queue() have it)."]
    assert not (tmp_path / "l.db").exists()


def test_a_push_into_a_project_another_ledger_pushed_to_names_its_tasks(ls_server, ledger,
                                                                        tmp_path, project_name,
                                                                        capsys):
    from dataqa.labelstudio.printing import print_push_report
    from dataqa.ledger import Ledger

    first = push(make_items(3, prefix="a"), ls_server, ledger, project_name)
    assert first.foreign == []
    with Ledger(tmp_path / "other.db") as other:
        rep = push(make_items(2, prefix="b"), ls_server, other, project_name)
    assert (rep.n_created, sorted(rep.foreign)) == (2, ["a-0", "a-1", "a-2"])
    assert rep.to_dict()["n_foreign"] == 3
    print_push_report(rep)
    err = " ".join(capsys.readouterr().err.split())
    assert (f"warning: project {project_name!r} already holds 3 task(s) of items this ledger "
            f"does not hold ({', '.join(map(repr, rep.foreign))}), pushed from another "
            f"ledger") in err
    # the first ledger pushing again sees the second's tasks
    assert sorted(push(make_items(3, prefix="a"), ls_server, ledger, project_name).foreign) == [
        "b-0", "b-1"]


class _RacedClient(LabelStudioClient):
    """A client whose first import meets another push of the same items (another ledger):
    tasks of x-1 and x-2 made just before it (older than its own), of x-3 and x-4 just
    after it (newer), the one of x-4 answered at once, the one of x-5 answered between
    the listing of the tasks and their deletion."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.other: dict[str, int] = {}
        self.answered_late = False

    def _answer(self, task_id):
        self.create_annotation(task_id, [{"from_name": "label", "to_name": "text",
                                          "type": "choices", "value": {"choices": ["spam"]}}])

    def list_tasks(self, project_id, **kw):
        out = super().list_tasks(project_id, **kw)
        if "total_annotations" in kw.get("fields", ()) and not self.answered_late:
            self.answered_late = True
            self._answer(self.other["x-5"])
        return out

    def import_tasks(self, project_id, tasks):
        def other(iid):
            self.other[iid] = int(self.create_task(project_id, {"data": {
                "dataqa_id": iid, "text": f"the other push's {iid}"}})["id"])

        first = not self.other
        if first:
            other("x-1")
            other("x-2")
        out = super().import_tasks(project_id, tasks)
        if first:
            other("x-3")
            other("x-4")
            other("x-5")
            self._answer(self.other["x-4"])
        return out


def test_a_push_raced_by_another_ledger_keeps_one_task_per_item(ls_server, ls_client, ledger,
                                                                 project_name):
    # two ledgers pushing the same items at once each created every task (800 for 400)
    raced = _RacedClient(ls_server.url, ls_server.api_key)
    rep = push_queue(make_items(6, prefix="x"), project=project_name, class_names=CLASSES,
                     ledger=ledger, queue="active", client=raced)
    counts = server_ids(ls_client, rep.project_id)
    # the newer tasks of x-4 and x-5 were answered (x-5's after the listing): they stay,
    # and are named
    assert counts == {"x-0": 1, "x-1": 1, "x-2": 1, "x-3": 1, "x-4": 2, "x-5": 2}
    assert rep.raced == ["x-1", "x-2", "x-3", "x-4", "x-5"]
    assert rep.duplicates == ["x-4", "x-5"] and rep.to_dict()["n_raced"] == 5
    # x-1 and x-2 keep the other push's task: this push created 4 tasks, not 6
    assert (rep.n_created, sorted(rep.skipped)) == (4, ["x-1", "x-2"])
    assert sorted(rep.created) == ["x-0", "x-3", "x-4", "x-5"]
    assert ("another push created tasks of 5 of these items at the same moment ('x-1', "
            "'x-2', 'x-3', 'x-4', 'x-5'): one task each was kept") in str(rep)
    recorded = ledger.task_ids(project=rep.project)
    tasks = {t["id"]: t["data"] for t in ls_client.list_tasks(rep.project_id)}
    # the older task of each item is kept and recorded: the other push's for x-1 and x-2
    assert recorded["x-1"] == raced.other["x-1"] and recorded["x-2"] == raced.other["x-2"]
    assert recorded["x-3"] != raced.other["x-3"] and raced.other["x-3"] not in tasks
    assert recorded["x-4"] != raced.other["x-4"] and raced.other["x-4"] in tasks
    assert recorded["x-5"] != raced.other["x-5"] and raced.other["x-5"] in tasks
    assert {tasks[t]["dataqa_id"] for t in recorded.values()} == {f"x-{k}" for k in range(6)}
    again = push(make_items(6, prefix="x"), ls_server, ledger, project_name)
    assert (again.n_created, again.n_skipped, again.raced) == (0, 6, [])


def test_two_ledgers_pushing_the_same_items_at_once_make_one_task_each(ls_server, ls_client,
                                                                        tmp_path, project_name):
    import threading

    from dataqa.labelstudio.config import label_config
    from dataqa.ledger import Ledger

    # the project exists (made by a first push): two ledgers then push the same items
    ls_client.create_project(project_name, label_config(CLASSES, data_kind="text"))
    items = make_items(120, prefix="r")
    reports, errors = {}, []

    def run(name):
        try:
            with Ledger(tmp_path / f"{name}.db") as led:
                reports[name] = push(items, ls_server, led, project_name, chunk_size=10)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    counts = server_ids(ls_client, reports["one"].project_id)
    assert set(counts) == set(items["id"]) and set(counts.values()) == {1}
    on_server = {t["data"]["dataqa_id"]: t["id"] for t in ls_client.list_tasks(
        reports["one"].project_id)}
    # the two reports together count each task once
    assert reports["one"].n_created + reports["two"].n_created == 120
    assert reports["one"].n_skipped + reports["two"].n_skipped == 120
    for name in ("one", "two"):
        assert reports[name].n_failed == 0
        # what a ledger recorded is on the server, or is found again by its next push
        with Ledger(tmp_path / f"{name}.db") as led:
            again = push(items, ls_server, led, project_name)
            assert (again.n_created, again.n_skipped) == (0, 120)
            assert led.task_ids(project=again.project) == on_server


class _BusyServer:
    """A server whose project creation fails (HTTP 500), with or without the project
    showing up afterwards (another push made it at that moment)."""

    url = "http://ls.invalid"

    def __init__(self, made_by_other: bool):
        self.made_by_other, self.asked = made_by_other, 0

    def find_project(self, project):
        self.asked += 1
        if self.made_by_other and self.asked > 1:
            return {"id": 7, "title": project, "label_config": _config()}
        return None

    def create_project(self, title, config, *, description=""):
        raise LabelStudioProjectError(
            f"cannot create project {title!r}: Label Studio at {self.url} rejected POST "
            f"/api/projects (HTTP 500): HTTP 500")


def _config():
    from dataqa.labelstudio.config import label_config

    return label_config(CLASSES, data_kind="text")


def test_a_project_another_push_created_at_that_moment_is_used():
    from dataqa.labelstudio.project_setup import resolve_project

    info = resolve_project(_BusyServer(True), "P race", config=_config(), names=list(CLASSES),
                           kind="active")
    assert (info["id"], info["title"]) == (7, "P race")
    with pytest.raises(LabelStudioProjectError, match=r"\(HTTP 500\): HTTP 500 The server "
                       r"failed \(another push creating a project at the same moment can do "
                       r"that: its log then says 'database is locked'\); run the push again\."):
        resolve_project(_BusyServer(False), "P race", config=_config(), names=list(CLASSES),
                        kind="active")


def test_an_unknown_project_names_the_first_ten_titles_and_how_many_more():
    class _Many(LabelStudioClient):
        def find_project(self, project):
            return None

        def projects(self):
            return [{"id": k, "title": f"p{k:02d}"} for k in range(17)]

    with pytest.raises(LabelStudioProjectError, match=r"has no project 'nope' \(projects: "
                       r"'p00', 'p01', .*'p09' and 7 more\); push a queue first"):
        _Many("http://ls.invalid", "key").get_project("nope")
