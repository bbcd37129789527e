"""Labels pulled from Label Studio keep the ledger's classes (names stay names)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dataqa.active.labels import ledger_classes
from dataqa.cli import app
from dataqa.ledger import Ledger

from ._helpers import choice

runner = CliRunner()


def _pool(tmp_path: Path) -> Path:
    rows = [(f"p{k}", f"{'win cash prize now' if k % 2 else 'see you at lunch today'} {k}",
             ("spam" if k % 2 else "ham") if k < 10 else "") for k in range(30)]
    path = tmp_path / "pool.csv"
    pd.DataFrame(rows, columns=["id", "text", "label"]).to_csv(path, index=False)
    return path


def _pushed_round(ls_server, tmp_path: Path, project_name: str, monkeypatch, batch: int) -> Path:
    """A ledger with named classes whose first round (``batch`` items) is pushed."""
    monkeypatch.setenv("LABEL_STUDIO_URL", ls_server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.api_key)
    led = tmp_path / "round.ledger"
    r = runner.invoke(app, ["al", "init", str(_pool(tmp_path)), "--ledger", str(led),
                            "--label-column", "label", "--text-column", "text",
                            "--id-column", "id"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["al", "next", "--ledger", str(led), "--batch", str(batch),
                            "--strategy", "uncertainty", "--push", "--project", project_name])
    assert r.exit_code == 0, r.output
    return led


def test_pull_into_a_ledger_with_named_classes(ls_server, ls_client, tmp_path, project_name,
                                               monkeypatch):
    led = _pushed_round(ls_server, tmp_path, project_name, monkeypatch, 4)
    project = ls_client.find_project(project_name)
    tasks = {t["data"]["dataqa_id"]: t["id"] for t in ls_client.list_tasks(project["id"])}
    answers = dict(zip(sorted(tasks), ["spam", "ham", "spam", "ham"], strict=True))
    for item, name in answers.items():
        ls_client.create_annotation(tasks[item], choice(name))
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name])
    assert r.exit_code == 0, r.output
    with Ledger(led) as db:
        human = db.latest_labels(source="human").set_index("id")["label"].to_dict()
    assert human == answers  # the names, not the positions of the project's choices
    with Ledger(led) as db:
        assert ledger_classes(db) == (["ham", "spam"], "str")
    # pulling again changes nothing, and the next round trains on two classes
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name])
    assert r.exit_code == 0 and "0 new" in r.output, r.output
    r = runner.invoke(app, ["al", "next", "--ledger", str(led), "--batch", "3",
                            "--strategy", "uncertainty", "--out", str(tmp_path / "b2.csv")])
    assert r.exit_code == 0, r.output


def test_label_codec_by_the_ledgers_class_type():
    from dataqa.labelstudio.pull import _LabelCodec

    named = _LabelCodec(["ham", "spam"], "str")
    assert [named.store(k) for k in (0, 1)] == ["ham", "spam"]
    assert [named.index(v) for v in ("ham", "spam")] == [0, 1]
    # numbered classes: the number itself, whatever the order of the project's choices
    numbered = _LabelCodec([str(k) for k in range(12)], "int")
    assert numbered.store(11) == 11 and numbered.index(11) == 11
    shuffled = _LabelCodec(["10", "2", "0"], "int")
    assert [shuffled.store(k) for k in range(3)] == [10, 2, 0]
    assert [shuffled.index(v) for v in (10, 2, 0)] == [0, 1, 2]
    # a stored name the project no longer has keeps its name (it was read as a number)
    gone = _LabelCodec(["ham", "spam"], "str")
    k = gone.index("promo")
    assert gone.names[k] == "promo" and gone.index("spam") == 1
    # numbered classes shown under names, or no class known yet: the position
    for codec in (_LabelCodec(["ham", "spam"], "int"), _LabelCodec(["ham", "spam"], None)):
        assert [codec.store(k) for k in (0, 1)] == [0, 1]
        assert [codec.index(v) for v in (0, 1)] == [0, 1]


def test_pull_names_a_class_added_in_label_studio(ls_server, ls_client, tmp_path, project_name,
                                                  monkeypatch):
    """A class added to the project in Label Studio is stored, and the pull says so."""
    led = _pushed_round(ls_server, tmp_path, project_name, monkeypatch, 3)
    project = ls_client.find_project(project_name)
    config = project["label_config"]
    assert 'value="spam"' in config and 'value="promo"' not in config
    ls_client.request("PATCH", f"/api/projects/{project['id']}/", json_body={
        "label_config": config.replace('<Choice value="spam"', '<Choice value="promo"/>'
                                                               '<Choice value="spam"', 1)})
    tasks = sorted((t["data"]["dataqa_id"], t["id"]) for t in ls_client.list_tasks(project["id"]))
    for (_, task), name in zip(tasks, ["promo", "ham", "spam"], strict=True):
        ls_client.create_annotation(task, choice(name))
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name])
    assert r.exit_code == 0, r.output
    assert "new class 'promo', not in the ledger before this pull: stored, the next round " \
           "trains on it" in " ".join(r.output.split())
    with Ledger(led) as db:
        assert ledger_classes(db) == (["ham", "promo", "spam"], "str")
        assert db.latest_labels(source="human").set_index("id")["label"][tasks[0][0]] == "promo"
    # pulled again: the class is the ledger's now, nothing is announced
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name])
    assert r.exit_code == 0 and "new class" not in r.output, r.output


def test_a_push_only_ledger_announces_no_class_of_its_project(ls_server, ls_client, tmp_path,
                                                              project_name, monkeypatch):
    """A ledger that only pushed a queue (no `al init`) has the project's classes: a class
    labeled for the first time in a later pull is no new class."""
    from ._helpers import make_items

    monkeypatch.setenv("LABEL_STUDIO_URL", ls_server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.api_key)
    make_items(4).assign(label=["ham", "spam", "ham", "spam"]).to_csv(tmp_path / "q.csv",
                                                                       index=False)
    led = tmp_path / "push.ledger"
    r = runner.invoke(app, ["ls", "push", "--ledger", str(led), "--project", project_name,
                            "--queue", "review", "--from", str(tmp_path / "q.csv"),
                            "--classes", "ham,spam"])
    assert r.exit_code == 0, r.output
    project = ls_client.find_project(project_name)
    tasks = sorted((t["data"]["dataqa_id"], t["id"]) for t in ls_client.list_tasks(project["id"]))
    ls_client.create_annotation(tasks[0][1], choice("spam"))
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name])
    assert r.exit_code == 0 and "new class" not in r.output, r.output
    ls_client.create_annotation(tasks[1][1], choice("ham"))
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name])
    assert r.exit_code == 0 and "1 new" in r.output, r.output
    assert "new class" not in r.output, r.output


def _push_only_ledger(ls_server, tmp_path: Path, project_name: str, monkeypatch, n: int = 4):
    """A ledger that pushed ``n`` items with no given label (labels stored by position)."""
    from ._helpers import make_items

    monkeypatch.setenv("LABEL_STUDIO_URL", ls_server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.api_key)
    make_items(n).drop(columns=["prediction"]).to_csv(tmp_path / "q.csv", index=False)
    led = tmp_path / "push.ledger"
    r = runner.invoke(app, ["ls", "push", "--ledger", str(led), "--project", project_name,
                            "--queue", "active", "--from", str(tmp_path / "q.csv"),
                            "--classes", "ham,spam"])
    assert r.exit_code == 0, r.output
    return led


def _pull_naming(led: Path, project_name: str, new_class: str) -> dict:
    """Pull, check that the pull names ``new_class``, and return the ledger's labels."""
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name])
    assert r.exit_code == 0, r.output
    assert (f"new class {new_class!r}, not in the ledger before this pull"
            in " ".join(r.output.split()))
    with Ledger(led) as db:
        return db.latest_labels(source="human").set_index("id")["label"].to_dict()


def _set_choices(ls_client, project: dict, names: list[str]) -> None:
    config = project["label_config"]
    head, rest = config.split("<Choice ", 1)
    tail = rest[rest.rindex("/>") + 2:]
    ls_client.request("PATCH", f"/api/projects/{project['id']}/", json_body={
        "label_config": head + "".join(f'<Choice value="{n}"/>' for n in names) + tail})


def test_choices_reordered_or_a_class_put_between_keep_every_stored_label(
        ls_server, ls_client, tmp_path, project_name, monkeypatch):
    """Labels stored by position keep the positions of the classes as pushed, whatever
    the order of the project's choices later."""
    led = _push_only_ledger(ls_server, tmp_path, project_name, monkeypatch)
    project = ls_client.find_project(project_name)
    tasks = {t["data"]["dataqa_id"]: t["id"] for t in ls_client.list_tasks(project["id"])}
    ls_client.create_annotation(tasks["item-0"], choice("spam"))
    ls_client.create_annotation(tasks["item-1"], choice("ham"))
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name])
    assert r.exit_code == 0, r.output
    _set_choices(ls_client, project, ["spam", "ham"])  # reordered in Label Studio
    ls_client.create_annotation(tasks["item-2"], choice("spam"))
    out = tmp_path / "pulled.csv"
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name,
                            "--out", str(out)])
    assert r.exit_code == 0 and "new class" not in r.output, r.output
    with Ledger(led) as db:
        human = db.latest_labels(source="human").set_index("id")["label"].to_dict()
    assert human == {"item-0": 1, "item-1": 0, "item-2": 1}  # positions in ham, spam
    pulled = pd.read_csv(out).set_index("id")
    assert pulled["label_name"].to_dict() == {"item-0": "spam", "item-1": "ham",
                                              "item-2": "spam"}
    assert pulled.loc["item-0", "status"] == "unchanged"
    # the project's order now: label is the position among its choices
    assert pulled["label"].to_dict() == {"item-0": 0, "item-1": 1, "item-2": 0}
    # a class put between the two: stored after the known ones, and named
    _set_choices(ls_client, project, ["spam", "promo", "ham"])
    ls_client.create_annotation(tasks["item-3"], choice("promo"))
    human = _pull_naming(led, project_name, "promo")
    assert human == {"item-0": 1, "item-1": 0, "item-2": 1, "item-3": 2}
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name,
                            "--full"])
    assert r.exit_code == 0 and "new class" not in r.output and "0 new" in r.output, r.output
    # a push from the ledger is refused, saying which order to restore
    r = runner.invoke(app, ["ls", "push", "--ledger", str(led), "--project", project_name,
                            "--queue", "active"])
    assert r.exit_code == 2, r.output
    assert ("has classes ['spam', 'promo', 'ham'], not ['ham', 'spam']; use another project "
            "or the same class names in the same order. If the choices were edited in Label "
            "Studio, put them back in the order ['ham', 'spam', 'promo'] there") in " ".join(
        r.output.split())
    _set_choices(ls_client, project, ["ham", "spam", "promo"])
    r = runner.invoke(app, ["ls", "push", "--ledger", str(led), "--project", project_name,
                            "--queue", "active"])
    assert r.exit_code == 0, r.output
    with Ledger(led) as db:
        human = db.latest_labels(source="human").set_index("id")["label"].to_dict()
    assert human == {"item-0": 1, "item-1": 0, "item-2": 1, "item-3": 2}
    # a push in another order than the stored one is refused (the project reordered to it)
    _set_choices(ls_client, project, ["spam", "ham", "promo"])
    r = runner.invoke(app, ["ls", "push", "--ledger", str(led), "--project", project_name,
                            "--queue", "active", "--classes", "spam,ham,promo"])
    assert r.exit_code == 2, r.output
    assert ("the ledger's answers of project " in r.output and "push with the classes in the "
            "order ['ham', 'spam', 'promo'] (--classes ham,spam,promo)") in " ".join(
        r.output.split())


def test_a_class_added_after_the_others_is_named_and_the_next_push_goes_on(
        ls_server, ls_client, tmp_path, project_name, monkeypatch):
    led = _push_only_ledger(ls_server, tmp_path, project_name, monkeypatch)
    project = ls_client.find_project(project_name)
    tasks = {t["data"]["dataqa_id"]: t["id"] for t in ls_client.list_tasks(project["id"])}
    _set_choices(ls_client, project, ["ham", "spam", "promo"])
    ls_client.create_annotation(tasks["item-0"], choice("promo"))
    ls_client.create_annotation(tasks["item-1"], choice("spam"))
    human = _pull_naming(led, project_name, "promo")
    assert human == {"item-0": 2, "item-1": 1}
    # the next push from the ledger takes the project's classes as they are now
    r = runner.invoke(app, ["ls", "push", "--ledger", str(led), "--project", project_name,
                            "--queue", "active"])
    assert r.exit_code == 0, r.output


def test_classes_named_by_digits_are_stored_alike_on_every_pull(ls_server, ls_client, tmp_path,
                                                                project_name):
    """Ratings "1", "2", "3" in a ledger that only pushed: the first pull stores an answer
    by its position, and so does every later one (the positions it stored do not make the
    ledger's classes numbers, which would store "3" as 3 next time)."""
    from dataqa.labelstudio import pull_project, push_queue

    led = tmp_path / "ratings.ledger"
    items = pd.DataFrame({"id": ["r1", "r2", "r3"], "text": ["good", "bad", "fine"]})
    push_queue(items, project=project_name, class_names=["1", "2", "3"], ledger=led,
               queue="active", url=ls_server.url, api_key=ls_server.api_key)
    project = ls_client.find_project(project_name)
    tasks = {t["data"]["dataqa_id"]: t["id"] for t in ls_client.list_tasks(project["id"])}
    kw = {"project": project_name, "ledger": led, "url": ls_server.url,
          "api_key": ls_server.api_key}
    ls_client.create_annotation(tasks["r1"], choice("3"))
    first = pull_project(**kw).annotations.set_index("id")
    assert first.loc["r1", ["label", "label_name"]].tolist() == [2, "3"]
    ls_client.create_annotation(tasks["r2"], choice("3"))
    ls_client.create_annotation(tasks["r3"], choice("1"))
    second = pull_project(**kw).annotations.set_index("id")
    assert second["label"].to_dict() == {"r1": 2, "r2": 2, "r3": 0}
    assert second["label_name"].to_dict() == {"r1": "3", "r2": "3", "r3": "1"}
    assert second["status"].to_dict() == {"r1": "unchanged", "r2": "new", "r3": "new"}
    with Ledger(led) as db:
        assert db.latest_labels(source="human").set_index("id")["label"].to_dict() == \
            {"r1": 2, "r2": 2, "r3": 0}
    third = pull_project(**kw, full=True).annotations.set_index("id")
    assert third["label"].to_dict() == {"r1": 2, "r2": 2, "r3": 0}
    assert set(third["status"]) == {"unchanged"}
    # a pull state written before the kind was kept: those pulls' way goes on, with a
    # warning to pull once with --full, which stores every answer one way
    from dataqa.labelstudio.ledger_state import pulled_state_key

    with Ledger(led) as db:
        state = db.get_state(pulled_state_key(project_name))
        del state["label_kind"]
        db.set_state(pulled_state_key(project_name), state)
    with pytest.warns(UserWarning, match=r"has classes named by numbers \('1', '2', '3'\).*"
                                         r"pull it once with --full"):
        pull_project(**kw)
    with Ledger(led) as db:
        state = db.get_state(pulled_state_key(project_name))
        del state["label_kind"]
        db.set_state(pulled_state_key(project_name), state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = pull_project(**kw, full=True).annotations.set_index("id")
        assert full["label_name"].to_dict() == {"r1": "3", "r2": "3", "r3": "1"}
        again = pull_project(**kw).annotations.set_index("id")
    assert again["label_name"].to_dict() == {"r1": "3", "r2": "3", "r3": "1"}
    with Ledger(led) as db:  # one way now: the numbers, as those pulls stored them
        assert db.latest_labels(source="human").set_index("id")["label"].to_dict() == \
            {"r1": 3, "r2": 3, "r3": 1}


def test_an_answer_refused_before_a_class_was_added_is_stored_by_the_next_pull(
        ls_server, ls_client, tmp_path, project_name, monkeypatch):
    # the class added in Label Studio touches no task, so an incremental pull read only
    # changed tasks and kept refusing the answer; only --full stored it
    led = _pushed_round(ls_server, tmp_path, project_name, monkeypatch, 2)
    project = ls_client.find_project(project_name)
    tasks = sorted((t["data"]["dataqa_id"], t["id"]) for t in ls_client.list_tasks(project["id"]))
    ls_client.create_annotation(tasks[0][1], choice("ham"))
    ls_client.create_annotation(tasks[1][1], choice("promo"))  # not a class yet
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name])
    assert r.exit_code == 1 and "refused" in r.output, r.output
    config = project["label_config"]
    ls_client.request("PATCH", f"/api/projects/{project['id']}/", json_body={
        "label_config": config.replace('<Choice value="spam"', '<Choice value="promo"/>'
                                                               '<Choice value="spam"', 1)})
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name])
    assert r.exit_code == 0, r.output
    assert "refused" not in r.output and "new class 'promo'" in " ".join(r.output.split())
    with Ledger(led) as db:
        human = db.latest_labels(source="human").set_index("id")["label"]
        assert human.to_dict() == {tasks[0][0]: "ham", tasks[1][0]: "promo"}
    # and again: nothing changed, nothing new
    r = runner.invoke(app, ["ls", "pull", "--ledger", str(led), "--project", project_name])
    assert r.exit_code == 0 and "new class" not in r.output, r.output
