"""Which Label Studio project a recorded state or a stored answer belongs to: one server
under several spellings, and projects numbered alike by two servers (or by one server
started afresh at the same address)."""

from __future__ import annotations

import pytest

from dataqa.labelstudio import pull_annotations
from dataqa.labelstudio.ledger_state import (
    ANSWER_ORIGINS_KEY,
    answer_prefix,
    record_answer_origin,
    same_project,
    same_server,
    server_address,
)
from dataqa.ledger import Ledger

from ._helpers import choice, make_items, push


@pytest.mark.parametrize(("url", "expected"), [
    ("http://localhost:8080", "http://localhost:8080"),
    ("http://127.0.0.1:8080/", "http://localhost:8080"),
    ("HTTP://LocalHost:8080//", "http://localhost:8080"),
    ("http://[::1]:8080", "http://localhost:8080"),
    ("http://0.0.0.0:8080", "http://localhost:8080"),
    ("http://127.0.1.1:8080", "http://localhost:8080"),
    ("localhost:8080", "http://localhost:8080"),
    ("http://ls.example.org:80/", "http://ls.example.org"),
    ("https://ls.example.org:443/label-studio/", "https://ls.example.org/label-studio"),
    ("https://ls.example.org:8443", "https://ls.example.org:8443"),
    ("http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080"),
    ("http://host:notaport/", "http://host:notaport"),
    ("", ""),
])
def test_server_address_spells_one_server_one_way(url, expected):
    assert server_address(url) == expected


def test_same_server_and_same_project():
    assert same_server("http://127.0.0.1:8080/", "http://localhost:8080")
    assert not same_server("http://localhost:8080", "http://localhost:8081")
    assert not same_server("http://a.example.org", "http://b.example.org")
    assert not same_server(None, "http://localhost:8080")  # never recorded: no server
    state = {"project_id": 3, "url": "http://127.0.0.1:8080",
             "created_at": "2026-12-01T10:00:00.1Z"}
    assert same_project(state, 3, "http://localhost:8080/", "2026-12-01T10:00:00.1Z")
    assert same_project(state, 3, "http://localhost:8080", None)  # time unknown here
    assert not same_project(state, 4, "http://localhost:8080", "2026-12-01T10:00:00.1Z")
    # the same id made again later (a server started afresh at that address)
    assert not same_project(state, 3, "http://localhost:8080", "2026-12-05T09:00:00Z")
    older = {"project_id": 3, "url": "http://localhost:8080"}  # no time recorded
    assert same_project(older, 3, "http://localhost:8080", "2026-12-05T09:00:00Z")
    no_url = {"project_id": 3}
    assert not same_project(no_url, 3, "http://localhost:8080")
    assert same_project(no_url, 3, "http://localhost:8080", unrecorded_url=True)


def _record(led, origin):
    """What a pull records of an origin; returns its prefix."""
    record_answer_origin(led, origin)
    return origin.prefix


def test_answer_prefix_tells_projects_numbered_alike_apart(tmp_path):
    a, b = "http://localhost:8080", "http://ls.example.org"
    with Ledger(tmp_path / "l.db") as led:
        origin = answer_prefix(led, 3, a, "2026-12-01T10:00:00Z")
        assert origin.prefix == "labelstudio:3:" and origin.origins is not None
        first = _record(led, origin)
        # the same project again, under another spelling of its server and of its time
        again = answer_prefix(led, 3, "http://127.0.0.1:8080/", "2026-12-01T10:00:00.000+00:00")
        assert (again.prefix, again.origins) == ("labelstudio:3:", None)
        assert answer_prefix(led, 4, a, "2026-12-01T10:00:00Z").prefix == "labelstudio:4:"
        # the same id and creation time reached under another host name: one project
        assert answer_prefix(led, 3, "http://ls-vm:8080", "2026-12-01T10:00:00Z").prefix == (
            first)
        # id 3 on another server, and id 3 made afresh on the first one: tagged apart
        other = _record(led, answer_prefix(led, 3, b, "2026-12-01T10:00:07Z"))
        afresh = _record(led, answer_prefix(led, 3, a, "2026-12-05T09:00:00Z"))
        assert len({first, other, afresh}) == 3
        for prefix in (other, afresh):
            assert prefix.startswith("labelstudio:3~") and prefix.endswith(":")
            assert prefix.count(":") == 2  # task and annotation ids still come last
        # each keeps its own prefix, and nothing new is recorded
        for url, made, prefix in ((b, "2026-12-01T10:00:07Z", other),
                                  (a, "2026-12-05T09:00:00Z", afresh),
                                  (a, "2026-12-01T10:00:00Z", first)):
            origin = answer_prefix(led, 3, url, made)
            assert (origin.prefix, origin.origins) == (prefix, None)


def test_an_origin_recorded_without_its_time_takes_it_when_known(tmp_path):
    # an earlier record could not know the project's creation time: the first pull that
    # knows it records it, so a project made later with that id is told apart
    a = "http://localhost:8080"
    with Ledger(tmp_path / "l.db") as led:
        assert _record(led, answer_prefix(led, 3, a, None)) == "labelstudio:3:"
        origin = answer_prefix(led, 3, a, "2026-12-01T10:00:00Z")
        assert origin.prefix == "labelstudio:3:" and origin.origins is not None
        record_answer_origin(led, origin)
        assert led.get_state(ANSWER_ORIGINS_KEY)["3"][0]["created_at"] == "2026-12-01T10:00:00Z"
        assert answer_prefix(led, 3, a, "2026-12-09T00:00:00Z").prefix != "labelstudio:3:"


def _legacy_ledger(path, states):
    """A ledger an older dataqa pulled project 3 into: plain-prefix answers (task 1
    answer 1, task 7 answer 9), no record of their origin, and these pull states."""
    led = Ledger(path)
    led.add_items(["x", "y"])
    led.upsert_external_labels([
        {"item_id": "x", "label": 1, "source": "human", "external_id": "labelstudio:3:1:1",
         "annotator": "a@b"},
        {"item_id": "y", "label": 0, "source": "human", "external_id": "labelstudio:3:7:9",
         "annotator": "c@d"}])
    for title, state in states.items():
        led.set_state(f"labelstudio/{title}/pulled", {
            "project_id": 3, "watermark": "2026-11-01T00:00:00Z", **state})
    return led


@pytest.mark.parametrize("states", [
    {"old title": {"tasks": {}}},  # a state from before the server was kept
    {"old title": {"url": "http://127.0.0.1:8080", "tasks": {}}},
    {},  # no state names id 3 (the title was pulled from elsewhere since)
], ids=["no url", "this server", "no state"])
def test_answers_an_older_dataqa_stored_stay_with_the_project_pulled(tmp_path, states):
    with _legacy_ledger(tmp_path / "l.db", states) as led:
        assert _record(led, answer_prefix(led, 3, "http://localhost:8080", "t1")) == (
            "labelstudio:3:")
        assert answer_prefix(led, 3, "http://other:8080", "t2").prefix != "labelstudio:3:"
        assert sorted(led.labels()["external_id"]) == ["labelstudio:3:1:1",
                                                       "labelstudio:3:7:9"]


def test_answers_an_older_dataqa_stored_from_another_server_are_not_taken(tmp_path):
    # another server's pull state of this id lists every answer stored: they are its own
    states = {"old title": {"url": "http://old.example.org",
                            "tasks": {"1": {"a": [1]}, "7": {"a": [9]}}}}
    with _legacy_ledger(tmp_path / "l.db", states) as led:
        prefix = _record(led, answer_prefix(led, 3, "http://localhost:8080", "t1"))
        assert prefix.startswith("labelstudio:3~")
        # the old server keeps the plain prefix, and a third server is tagged too
        assert answer_prefix(led, 3, "http://old.example.org/", "t0").prefix == (
            "labelstudio:3:")
        third = answer_prefix(led, 3, "http://third:8080", "t3").prefix
        assert third.startswith("labelstudio:3~") and third != prefix


def test_answers_no_pull_state_lists_stay_with_the_project_pulled(tmp_path):
    # the other server's state lists one answer: the other one is this project's (its
    # title's state was overwritten since), so the plain prefix stays here
    states = {"old title": {"url": "http://old.example.org", "tasks": {"7": {"a": [9]}}}}
    with _legacy_ledger(tmp_path / "l.db", states) as led:
        origin = answer_prefix(led, 3, "http://localhost:8080", "t1")
        assert origin.prefix == "labelstudio:3:"
        assert list(origin.renames) == ["labelstudio:3:7:9"]


def test_pull_states_of_one_id_on_two_servers_part_their_answers(tmp_path):
    # an older dataqa pulled project 3 of this server (task 1) and of another (task 7)
    # into one ledger: the first pull now keeps this server's answers under the plain
    # prefix and moves the other server's to a prefix of its own, with its pull state
    states = {"here": {"url": "http://localhost:8080", "tasks": {"1": {"a": [1]}}},
              "there": {"url": "http://other:8080", "tasks": {"7": {"a": [9]}}}}
    with _legacy_ledger(tmp_path / "l.db", states) as led:
        origin = answer_prefix(led, 3, "http://localhost:8080", "t1")
        assert origin.prefix == "labelstudio:3:"
        (moved,) = origin.renames.values()
        assert list(origin.renames) == ["labelstudio:3:7:9"]
        tag = moved[:-len("7:9")]
        assert tag.startswith("labelstudio:3~")
        record_answer_origin(led, origin)
        rows = led.labels().set_index("external_id")["id"].to_dict()
        assert rows == {"labelstudio:3:1:1": "x", f"{tag}7:9": "y"}
        assert led.get_state("labelstudio/there/pulled")["prefix"] == tag
        # the other server's project finds its answers there, and nothing is recorded
        # but its creation time, known now
        other = answer_prefix(led, 3, "http://other:8080", "t0")
        assert other.prefix == tag and not other.renames and not other.states
        assert answer_prefix(led, 3, "http://localhost:8080", "t1").origins is None


def test_created_at_compares_as_a_moment():
    state = {"project_id": 1, "url": "http://x", "created_at": "2026-12-01T10:00:00Z"}
    assert same_project(state, 1, "http://x", "2026-12-01T10:00:00.000000+00:00")
    assert same_project(state, 1, "http://x", "2026-12-01T11:00:00+01:00")
    assert not same_project(state, 1, "http://x", "2026-12-01T10:00:01Z")
    odd = {**state, "created_at": "yesterday"}
    assert same_project(odd, 1, "http://x", "yesterday")
    assert not same_project(odd, 1, "http://x", "2026-12-01T10:00:00Z")


def _pulled(ls_server, ls_client, ledger, project_name, n=3):
    """Items pushed, item-0 answered spam and item-1 ham, pulled once."""
    rep = push(make_items(n), ls_server, ledger, project_name)
    tid = rep.task_ids
    answers = [ls_client.create_annotation(tid["item-0"], choice("spam")),
               ls_client.create_annotation(tid["item-1"], choice("ham"))]
    kw = {"project": project_name, "ledger": ledger, "url": ls_server.url,
          "api_key": ls_server.api_key}
    pull_annotations(**kw)
    return tid, answers, kw, ls_client.find_project(project_name)["id"]


def _as_before_origins(ledger, project_name):
    """The ledger as an older dataqa left it: no origins, no times or prefixes in states."""
    ledger.set_state(ANSWER_ORIGINS_KEY, {})
    for key in (f"labelstudio/{project_name}", f"labelstudio/{project_name}/pulled"):
        ledger.set_state(key, {k: v for k, v in ledger.get_state(key).items()
                               if k not in ("created_at", "prefix")})


def _counting(ledger):
    with Ledger(ledger.path) as led:
        return led.labels(source="human").set_index("external_id")[["id", "label"]]


def test_a_project_made_afresh_with_a_reused_id_does_not_overwrite_stored_answers(
        ls_server, ls_client, ledger, project_name):
    # what a server started afresh at the same address looks like to a ledger: its new
    # project has the id, tasks and annotations the earlier project had, made later
    tid, (answer, _), kw, pid = _pulled(ls_server, ls_client, ledger, project_name)
    earlier = "2020-01-01T00:00:00.000000Z"
    for key in (ANSWER_ORIGINS_KEY, f"labelstudio/{project_name}",
                f"labelstudio/{project_name}/pulled"):
        state = ledger.get_state(key)
        if key == ANSWER_ORIGINS_KEY:
            state = {k: [{**e, "created_at": earlier} for e in v] for k, v in state.items()}
        else:
            state = {**state, "created_at": earlier}
        ledger.set_state(key, state)
    ls_client.request("PATCH", f"/api/annotations/{answer['id']}",
                      json_body={"result": choice("ham")})
    df = pull_annotations(**kw)  # incremental by default: the new project is read whole
    report = df.attrs["report"]
    assert (report.n_new, report.n_updated, report.n_withdrawn) == (2, 0, 0)
    assert sorted(df["id"]) == ["item-0", "item-1"]  # item-1 unchanged there, read too
    rows = _counting(ledger)["label"]
    old = f"labelstudio:{pid}:{tid['item-0']}:{answer['id']}"
    assert rows[old] == 1  # spam: the earlier project's answer is kept as it was
    new = sorted(e for e in rows.index if e.startswith(f"labelstudio:{pid}~"))
    assert len(new) == 2 and len(rows) == 4
    assert rows[new[0][:new[0].rindex(":", 0, new[0].rindex(":")) + 1]
                + f"{tid['item-0']}:{answer['id']}"] == 0  # ham
    # pulling again stores nothing twice
    report = pull_annotations(**kw).attrs["report"]
    assert (report.n_new, report.n_updated) == (0, 0)


def test_a_ledger_from_before_the_origins_pulls_as_it_did(ls_server, ls_client, ledger,
                                                          project_name):
    # the title's last pull was of another server's project since: no state names this
    # project's id, and its answers are still this project's
    tid, (answer, _), kw, pid = _pulled(ls_server, ls_client, ledger, project_name)
    _as_before_origins(ledger, project_name)
    ledger.set_state(f"labelstudio/{project_name}/pulled", {
        "project_id": 77, "url": "http://other.example:8080",
        "watermark": "2026-11-01T00:00:00Z", "tasks": {}})
    report = pull_annotations(**kw).attrs["report"]
    assert (report.n_new, report.n_updated, report.n_unchanged) == (0, 0, 2)
    assert all(e.startswith(f"labelstudio:{pid}:") for e in _counting(ledger).index)
    assert len(_counting(ledger)) == 2


def test_an_older_ledger_with_one_id_from_two_servers_parts_them_on_the_first_pull(
        ls_server, ls_client, ledger, project_name):
    tid, (answer, _), kw, pid = _pulled(ls_server, ls_client, ledger, project_name)
    _as_before_origins(ledger, project_name)
    # another server's project with this id, pulled under another title: its answer
    ledger.upsert_external_labels([{"item_id": "item-2", "label": 1, "source": "human",
                                    "external_id": f"labelstudio:{pid}:90001:90002",
                                    "annotator": "there@example.org"}])
    ledger.set_state("labelstudio/over there/pulled", {
        "project_id": pid, "url": "http://other.example:8080",
        "watermark": "2026-11-01T00:00:00Z", "tasks": {"90001": {"a": [90002]}}})
    report = pull_annotations(**kw).attrs["report"]  # incremental: nothing changed here
    assert (report.n_new, report.n_updated, report.n_unchanged) == (0, 0, 2)
    rows = _counting(ledger)
    (moved,) = [e for e in rows.index if e.endswith(":90001:90002")]
    assert moved.startswith(f"labelstudio:{pid}~") and rows.loc[moved, "id"] == "item-2"
    assert ledger.get_state("labelstudio/over there/pulled")["prefix"] == moved[:-11]
    # this project's answers go on as before: changed, then deleted in Label Studio
    ls_client.request("PATCH", f"/api/annotations/{answer['id']}",
                      json_body={"result": choice("ham")})
    report = pull_annotations(**kw).attrs["report"]
    assert (report.n_new, report.n_updated) == (0, 1)
    ls_client.request("DELETE", f"/api/annotations/{answer['id']}")
    with pytest.warns(UserWarning, match="for items 'item-0': they no longer count"):
        report = pull_annotations(**kw, full=True).attrs["report"]
    assert report.n_withdrawn == 1
    assert sorted(_counting(ledger)["id"]) == ["item-1", "item-2"]  # the other's stays


def test_a_recorded_title_whose_id_now_holds_a_later_project_is_made_again(
        ls_server, ls_client, ledger, project_name):
    from dataqa.errors import LabelStudioProjectError
    from dataqa.labelstudio.ledger_state import project_state_key

    # the ledger pushed "<title> old" as the id another project holds now, made later
    # (the server started afresh): not a renamed project, so a new one is made
    push(make_items(2), ls_server, ledger, project_name)
    pid = ls_client.find_project(project_name)["id"]
    old_title = f"{project_name} old"
    state = {**ledger.get_state(project_state_key(project_name)),
             "created_at": "2020-01-01T00:00:00Z"}
    ledger.set_state(project_state_key(old_title), state)
    with pytest.warns(UserWarning, match=rf"project '{old_title}' \(id {pid}\), to which this "
                                         rf"ledger pushed before, is gone"):
        rep = push(make_items(2), ls_server, ledger, old_title)
    assert rep.project_id != pid and rep.n_created == 2
    # with its time as recorded, the id is the renamed project: refused, as before
    renamed = f"{project_name} renamed"
    made = ls_client.find_project(pid)["created_at"]
    ledger.set_state(project_state_key(renamed), {**state, "created_at": made})
    with pytest.raises(LabelStudioProjectError, match="which Label Studio now titles"):
        push(make_items(2), ls_server, ledger, renamed)


def test_a_pull_state_of_another_prefix_is_not_this_projects(ls_server, ls_client, ledger,
                                                             project_name):
    # the title's last pull stored its answers under the plain prefix (a state without a
    # prefix or time); the project now answering to that id is another one (the plain
    # prefix is an earlier project's): its first pull reads every task, not only changes
    tid, _, kw, pid = _pulled(ls_server, ls_client, ledger, project_name)
    _as_before_origins(ledger, project_name)
    ledger.set_state(ANSWER_ORIGINS_KEY, {str(pid): [
        {"url": ls_server.url, "created_at": "2020-01-01T00:00:00Z", "tag": ""}]})
    df = pull_annotations(**kw)
    report = df.attrs["report"]
    assert sorted(df["id"]) == ["item-0", "item-1"] and report.n_new == 2
    stored = list(_counting(ledger).index)
    assert len(stored) == 4  # the earlier project's two stay as they were
    assert sum(e.startswith(f"labelstudio:{pid}~") for e in stored) == 2
    assert pull_annotations(**kw).attrs["report"].n_new == 0


def test_a_push_by_a_recorded_id_the_server_no_longer_holds_is_refused(
        ls_server, ls_client, ledger, project_name):
    from dataqa.errors import LabelStudioProjectError
    from dataqa.labelstudio.ledger_state import project_state_key, recorded_title

    push(make_items(2), ls_server, ledger, project_name)
    pid = ls_client.find_project(project_name)["id"]
    # by its id, as recorded: the same project, nothing new; also when the ledger holds
    # an earlier project with that id too (pushed to before the server started afresh)
    key = project_state_key(project_name)
    before = f"0 {project_name}"  # (a title its key sorts before the live one's)
    ledger.set_state(project_state_key(before),
                     {**ledger.get_state(key), "created_at": "2019-01-01T00:00:00Z"})
    rep = push(make_items(2), ls_server, ledger, str(pid))
    assert (rep.project_id, rep.n_created, len(rep.skipped)) == (pid, 0, 2)
    assert recorded_title(ledger, str(pid), ls_server.url) == project_name  # the later one
    # the live project recorded as the earlier of the two: named, not pushed to with the
    # later one's classes and queue
    made = ls_client.find_project(pid)["created_at"]
    ledger.set_state(project_state_key(before), {**ledger.get_state(key), "created_at": made})
    ledger.set_state(key, {**ledger.get_state(key), "created_at": "2030-01-01T00:00:00Z"})
    with pytest.raises(LabelStudioProjectError,
                       match=rf"this ledger recorded id {pid} on .* for several projects; "
                             rf"it is now '{before}' \(made .*\): pass --project '{before}'"):
        push(make_items(2), ls_server, ledger, str(pid))
    ledger.set_state(key, {**ledger.get_state(key), "created_at": made})
    ledger.set_state(project_state_key(before),
                     {**ledger.get_state(key), "created_at": "2019-01-01T00:00:00Z"})
    # the id now numbers a later project (the server started afresh at that address)
    ledger.set_state(key, {**ledger.get_state(key), "created_at": "2020-01-01T00:00:00Z"})
    n_tasks = len(ls_client.list_tasks(pid))
    with pytest.raises(LabelStudioProjectError,
                       match=rf"pushed to project '{project_name}' as id {pid}, but Label "
                             rf"Studio at .* now holds another project under that id, "
                             rf"'{project_name}', made .*Pass --project '{project_name}'"):
        push(make_items(3), ls_server, ledger, str(pid))
    # an id the server has no project for: refused, not made as a project titled "999999"
    ledger.set_state(project_state_key(f"{project_name} gone"),
                     {**ledger.get_state(key), "project_id": 999999})
    with pytest.raises(LabelStudioProjectError,
                       match=rf"as id 999999, but Label Studio at .* now has no project "
                             rf"with that id: .*--project '{project_name} gone'"):
        push(make_items(3), ls_server, ledger, "999999")
    assert ls_client.find_project("999999") is None
    assert len(ls_client.list_tasks(pid)) == n_tasks == 2  # nothing was pushed


def test_answers_moved_to_another_servers_prefix_are_not_this_pulls_to_compare(
        ls_server, ls_client, ledger, project_name):
    # an older ledger stored one answer under this id's plain prefix that another server's
    # pull state lists (with the same task and annotation numbers) and this title's does
    # not: the answer moves to that server's prefix, and this project's own answer, read
    # again, is stored anew and said to be new (not compared with the moved one)
    tid, (answer, _), kw, pid = _pulled(ls_server, ls_client, ledger, project_name)
    _as_before_origins(ledger, project_name)
    key = f"labelstudio/{project_name}/pulled"
    state = ledger.get_state(key)
    ledger.set_state(key, {**state, "tasks": {t: v for t, v in state["tasks"].items()
                                              if t != str(tid["item-0"])}})
    ours = f"labelstudio:{pid}:{tid['item-0']}:{answer['id']}"
    ledger.set_state("labelstudio/over there/pulled", {
        "project_id": pid, "url": "http://other.example:8080",
        "watermark": "2026-11-01T00:00:00Z",
        "tasks": {str(tid["item-0"]): {"a": [answer["id"]]}}})
    df = pull_annotations(**kw, full=True)
    report = df.attrs["report"]
    assert (report.n_new, report.n_updated, report.n_withdrawn) == (1, 0, 0)
    assert df.set_index("id")["status"].to_dict() == {"item-0": "new", "item-1": "unchanged"}
    rows = _counting(ledger)
    assert len(rows) == 3 and rows.loc[ours, "label"] == 1 and rows.loc[ours, "id"] == "item-0"
    (moved,) = [e for e in rows.index if e.startswith(f"labelstudio:{pid}~")]
    assert moved.endswith(f":{tid['item-0']}:{answer['id']}")
    assert pull_annotations(**kw, full=True).attrs["report"].n_new == 0
