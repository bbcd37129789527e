"""pull_project / pull_annotations against a real Label Studio server."""

from __future__ import annotations

import pandas as pd
import pytest

from dataqa.labelstudio import (
    PullResult,
    config_classes,
    consensus_labels,
    pull_annotations,
    pull_project,
)

from ._helpers import CLASSES, choice, make_items, push

# ---------------------------------------------------------------- pull

def test_pull_round_trip(ls_server, ls_client, ledger, project_name):
    rep = push(make_items(12), ls_server, ledger, project_name)
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
    # ann1 says ham and ann2 spam on items 0 and 2: counted, and said
    assert report.disagreements == ["item-0", "item-2"]
    assert "2 item(s) whose annotators disagree (item-0, item-2): the ledger's label is the " \
        "majority" in str(report)
    assert report.to_dict()["n_disagreements"] == 2
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
    assert rep3.disagreements == ["item-2"]  # both now say spam on item-0
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



def test_pull_project_returns_the_annotations_with_their_report(ls_server, ls_client, ledger,
                                                                 project_name):
    rep = push(make_items(4), ls_server, ledger, project_name)
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


def test_pull_with_another_ledger_says_nothing_came_from_it(ls_server, ls_client, ledger,
                                                            project_name, tmp_path):
    from typer.testing import CliRunner

    from dataqa.cli import app
    from dataqa.ledger import Ledger

    rep = push(make_items(4), ls_server, ledger, project_name)
    ann = ls_client.create_user("ann-other@example.org")
    for k in range(2):
        ls_client.create_annotation(rep.task_ids[f"item-{k}"], choice("spam"), completed_by=ann)
    with Ledger(tmp_path / "other.db"):
        pass
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    res = CliRunner().invoke(app, ["ls", "pull", "--ledger", str(tmp_path / "other.db"),
                                   "--project", project_name], env=env)
    out = " ".join(res.output.split())
    assert res.exit_code == 1, res.output  # the wrong ledger: a script must not go on
    assert "0 annotations" in out and "2 annotated tasks of items not in this ledger" in out
    assert (f"error: none of the 2 annotated tasks of project {project_name!r} came from "
            f"this ledger, so nothing was stored; pull with the ledger that pushed them "
            f"(--ledger)") in out
    # with the ledger that pushed them: stored, no warning
    res = CliRunner().invoke(app, ["ls", "pull", "--ledger", str(ledger.path), "--project",
                                   project_name], env=env)
    assert res.exit_code == 0 and "warning" not in res.output and "2 annotations" in res.output


def test_pull_into_a_ledger_that_holds_the_items_but_never_pushed_warns(
        ls_server, ls_client, ledger, project_name, tmp_path):
    # another ledger with the same items: its pull stored the answers and said "0 tasks
    # not from this ledger", and its label of the item changed without a word
    from typer.testing import CliRunner

    from dataqa.cli import app
    from dataqa.ledger import Ledger

    rep = push(make_items(3), ls_server, ledger, project_name)
    ann = ls_client.create_user("ann-stray@example.org")
    ls_client.create_annotation(rep.task_ids["item-1"], choice("spam"), completed_by=ann)
    with Ledger(tmp_path / "mine.db") as mine:
        mine.add_items(["item-0", "item-1", "item-2"])
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    res = CliRunner().invoke(app, ["ls", "pull", "--ledger", str(tmp_path / "mine.db"),
                                   "--project", project_name], env=env)
    out = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert "1 annotations (1 new" in out and "0 annotated tasks of items not in" in out
    assert (f"warning: this ledger never pushed to project {project_name!r} (id "
            f"{rep.project_id}): another ledger or a person made its tasks. The 1 new or "
            f"changed answer(s) on items this ledger holds were stored as its labels") in out
    with Ledger(tmp_path / "mine.db") as mine:
        assert mine.latest_labels()[["id", "label"]].values.tolist() == [["item-1", 1]]
    again = pull_annotations(project=project_name, ledger=tmp_path / "mine.db",
                             url=ls_server.url, api_key=ls_server.api_key)
    assert again.attrs["report"].pushed_by_this_ledger is False
    assert again.attrs["report"].to_dict()["pushed_by_this_ledger"] is False
    # the ledger that pushed: no warning
    res = CliRunner().invoke(app, ["ls", "pull", "--ledger", str(ledger.path), "--project",
                                   project_name], env=env)
    assert res.exit_code == 0 and "warning" not in res.output, res.output
    assert pull_annotations(project=project_name, ledger=ledger, url=ls_server.url,
                            api_key=ls_server.api_key).attrs["report"].pushed_by_this_ledger
    # renamed in Label Studio since the push: still the project this ledger pushed to
    ls_client.request("PATCH", f"/api/projects/{rep.project_id}",
                      json_body={"title": project_name + " renamed"})
    assert pull_annotations(project=project_name + " renamed", ledger=ledger, url=ls_server.url,
                            api_key=ls_server.api_key).attrs["report"].pushed_by_this_ledger


def test_an_answer_withdrawn_in_label_studio_stops_counting(ls_server, ls_client, ledger,
                                                              project_name):
    from dataqa.ledger import Ledger

    rep = push(make_items(4), ls_server, ledger, project_name)
    ann1 = ls_client.create_user("w1@example.org")
    ann2 = ls_client.create_user("w2@example.org")
    tid = rep.task_ids
    ls_client.create_annotation(tid["item-1"], choice("ham"), completed_by=ann1)
    second = ls_client.create_annotation(tid["item-1"], choice("spam"), completed_by=ann2)
    third = ls_client.create_annotation(tid["item-2"], choice("spam"), completed_by=ann1)
    kw = {"project": project_name, "ledger": ledger, "url": ls_server.url,
          "api_key": ls_server.api_key}
    pull_annotations(**kw)
    ham, spam = 0, 1  # class indices, as pulled labels are stored
    with Ledger(ledger.path) as led:  # 1-1 between the annotators: the newest, spam
        assert led.latest_labels().set_index("id").loc["item-1", "label"] == spam
    ls_client.request("PATCH", f"/api/annotations/{second['id']}",
                      json_body={"result": [], "was_cancelled": True})  # made a skip
    with pytest.warns(UserWarning, match=f"1 answer\\(s\\) an earlier pull of project "
                                         f"'{project_name}' recorded are no longer answers "
                                         f"there .* for items 'item-1': they no longer count"):
        df = pull_annotations(**kw)
    assert df[df["id"] == "item-1"]["annotator"].tolist() == ["w1@example.org"]
    assert df.attrs["report"].n_withdrawn == 1
    with Ledger(ledger.path) as led:  # the skip withdrew the spam vote: ham now
        assert led.latest_labels().set_index("id").loc["item-1", "label"] == ham
        history = led.labels(withdrawn=True)
        assert history["withdrawn_at"].notna().sum() == 1
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the task is not exported again while nothing
        # changes on it, and a full pull does not warn about it again
        pull_annotations(**kw)
        assert pull_annotations(**kw, full=True).attrs["report"].n_withdrawn == 0
    # the annotator answers again on the same annotation: it counts again
    ls_client.request("PATCH", f"/api/annotations/{second['id']}",
                      json_body={"result": choice("spam"), "was_cancelled": False})
    df = pull_annotations(**kw)
    assert sorted(df[df["id"] == "item-1"]["annotator"]) == ["w1@example.org",
                                                              "w2@example.org"]
    with Ledger(ledger.path) as led:
        assert led.latest_labels().set_index("id").loc["item-1", "label"] == spam
    # a deleted task is not listed as changed: only a full pull finds its answer gone
    ls_client.delete_tasks([tid["item-2"]])
    assert third["id"] in set(pull_annotations(**kw)["annotation_id"])
    with pytest.warns(UserWarning, match="for items 'item-2': they no longer count"):
        df = pull_annotations(**kw, full=True)
    assert third["id"] not in set(df["annotation_id"])
    assert df.attrs["report"].tasks_deleted == ["item-2"]  # forgotten: a push makes it again
    assert "item-2" not in ledger.task_ids(project=project_name)
    again = push(make_items(4), ls_server, ledger, project_name)
    assert again.n_created == 1 and "item-2" in ledger.task_ids(project=project_name)
    with Ledger(ledger.path) as led:
        assert "item-2" not in set(led.latest_labels()["id"])


def test_an_interrupted_pull_writes_nothing_and_says_so(ls_server, ls_client, ledger,
                                                        project_name, monkeypatch):
    from dataqa.ledger import Ledger

    rep = push(make_items(3), ls_server, ledger, project_name)
    ls_client.create_annotation(rep.task_ids["item-0"], choice("spam"))
    kw = {"project": project_name, "ledger": ledger.path, "url": ls_server.url,
          "api_key": ls_server.api_key}

    def stop(self, key, value):  # Ctrl-C after the answers were written, before the state
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(Ledger, "set_state", stop)
        with pytest.raises(KeyboardInterrupt) as info:
            pull_annotations(**kw)
    assert info.value.dataqa_note == (
        f"the pull of project {project_name!r} stopped before it finished; a pull writes all "
        f"its answers or none, so run it again: nothing is stored twice.")
    with Ledger(ledger.path) as led:
        assert led.labels(source="human", withdrawn=True).empty
    df = pull_annotations(**kw)
    assert df["status"].tolist() == ["new"] and df["id"].tolist() == ["item-0"]


def test_only_answers_this_title_stored_are_withdrawn_and_a_renamed_class_keeps_counting(
        ls_server, ls_client, ledger, project_name):
    import warnings

    from dataqa.labelstudio import label_config
    from dataqa.ledger import Ledger

    rep = push(make_items(3), ls_server, ledger, project_name)
    tid = rep.task_ids
    ls_client.create_annotation(tid["item-0"], choice("spam"))
    ls_client.create_annotation(tid["item-1"], choice("ham"))
    kw = {"project": project_name, "ledger": ledger, "url": ls_server.url,
          "api_key": ls_server.api_key}
    pull_annotations(**kw)
    pid = ls_client.find_project(project_name)["id"]
    # a row with this project's id and a task id this pull reads, stored by a pull of
    # another server's project (fresh servers number projects and tasks from 1 again)
    ledger.upsert_external_labels([{"item_id": "item-2", "label": 1, "source": "human",
                                    "external_id": f"labelstudio:{pid}:{tid['item-0']}:99999",
                                    "annotator": "other@server"}])
    # the project's classes renamed in Label Studio: spam is no class of it now
    ls_client.request("PATCH", f"/api/projects/{pid}",
                      json_body={"label_config": label_config(["ham", "Spam"])})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is withdrawn, so no warning
        df = pull_annotations(**kw, full=True)
    report = df.attrs["report"]
    assert report.n_withdrawn == 0 and report.n_invalid == 1
    assert 99999 not in set(df["annotation_id"])
    ls_client.create_annotation(tid["item-2"], choice("ham"))  # an incremental pull
    df = pull_annotations(**kw)  # reads the other tasks' answers back from the ledger:
    assert 99999 not in set(df["annotation_id"])  # those this title stored only
    # item-0's stored answer still counts (its class renamed since), so it is read back
    assert sorted(df["id"]) == ["item-0", "item-1", "item-2"]
    with Ledger(ledger.path) as led:
        assert set(led.latest_labels(source="human")["id"]) == {"item-0", "item-1", "item-2"}
        assert led.labels(withdrawn=True)["withdrawn_at"].isna().all()
    # the title's state kept by another server: its answers are not looked at
    state = ledger.get_state(f"labelstudio/{project_name}/pulled")
    ledger.set_state(f"labelstudio/{project_name}/pulled", {
        **state, "url": "http://elsewhere", "created_at": "2020-01-01T00:00:00Z"})
    ls_client.delete_tasks([tid["item-1"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pull_annotations(**kw, full=True).attrs["report"].n_withdrawn == 0
    # the state is this server's again (that pull rewrote it): a task deleted now has
    # its stored answer withdrawn, its class renamed or not, and the other row stays
    ls_client.delete_tasks([tid["item-0"]])
    with pytest.warns(UserWarning, match="for items 'item-0': they no longer count"):
        assert pull_annotations(**kw, full=True).attrs["report"].n_withdrawn == 1
    with Ledger(ledger.path) as led:
        counting = led.labels(source="human")
    # item-1's task was deleted while the state was another server's: not looked at
    assert sorted(counting["id"]) == ["item-1", "item-2", "item-2"]
    assert f"labelstudio:{pid}:{tid['item-0']}:99999" in set(counting["external_id"])


def test_a_pull_state_from_before_the_answer_lists_still_withdraws(ls_server, ls_client,
                                                                   ledger, project_name):
    # a ledger pulled by an older dataqa: its state has neither the answers stored per
    # task nor the server's address; the next full pull still finds what was deleted
    rep = push(make_items(3), ls_server, ledger, project_name)
    tid = rep.task_ids
    first = ls_client.create_annotation(tid["item-0"], choice("spam"))
    ls_client.create_annotation(tid["item-1"], choice("ham"))
    kw = {"project": project_name, "ledger": ledger, "url": ls_server.url,
          "api_key": ls_server.api_key}
    pull_annotations(**kw)
    key = f"labelstudio/{project_name}/pulled"
    state = ledger.get_state(key)
    old = {"project_id": state["project_id"], "watermark": state["watermark"],
           "tasks": {t: {k: v for k, v in e.items() if k != "a"}
                     for t, e in state["tasks"].items()}}
    ledger.set_state(key, old)
    ls_client.request("DELETE", f"/api/annotations/{first['id']}")
    with pytest.warns(UserWarning, match="for items 'item-0': they no longer count"):
        assert pull_annotations(**kw, full=True).attrs["report"].n_withdrawn == 1
    assert sorted(ledger.latest_labels(source="human")["id"]) == ["item-1"]


def test_task_lists_follow_the_servers_total_past_a_short_page():
    from dataqa.labelstudio import LabelStudioClient

    client = LabelStudioClient("http://127.0.0.1:9", "key")
    pages = {1: list(range(100)), 2: list(range(100, 150))}  # the server serves 100 a page
    asked = []

    def request(method, path, params=None, **kw):
        asked.append(params["page"])
        return {"tasks": [{"id": i} for i in pages.get(params["page"], [])], "total": 150}
    client.request = request
    assert [t["id"] for t in client.list_tasks(1, fields=("id",))] == list(range(150))
    assert asked == [1, 2]
