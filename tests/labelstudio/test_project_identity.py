"""Which Label Studio project a recorded state or a stored answer belongs to: one server
under several spellings, and projects numbered alike by two servers (or by one server
started afresh at the same address)."""

from __future__ import annotations

import pytest

from dataqa.labelstudio import pull_annotations
from dataqa.labelstudio.ledger_state import (
    ANSWER_ORIGINS_KEY,
    answer_prefix,
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


def _record(led, prefix_and_origins):
    prefix, origins = prefix_and_origins
    if origins is not None:
        led.set_state(ANSWER_ORIGINS_KEY, origins)
    return prefix, origins


def test_answer_prefix_tells_projects_numbered_alike_apart(tmp_path):
    a, b = "http://localhost:8080", "http://ls.example.org"
    with Ledger(tmp_path / "l.db") as led:
        first, origins = _record(led, answer_prefix(led, 3, a, "2026-12-01T10:00:00Z"))
        assert first == "labelstudio:3:" and origins is not None
        # the same project again, under another spelling of its server: nothing new
        assert answer_prefix(led, 3, "http://127.0.0.1:8080/", "2026-12-01T10:00:00Z") == (
            "labelstudio:3:", None)
        assert answer_prefix(led, 4, a, "2026-12-01T10:00:00Z")[0] == "labelstudio:4:"
        # id 3 on another server, and id 3 made afresh on the first one: tagged apart
        other, _ = _record(led, answer_prefix(led, 3, b, "2026-12-01T10:00:00Z"))
        again, _ = _record(led, answer_prefix(led, 3, a, "2026-12-05T09:00:00Z"))
        assert len({first, other, again}) == 3
        for prefix in (other, again):
            assert prefix.startswith("labelstudio:3~") and prefix.endswith(":")
            assert prefix.count(":") == 2  # task and annotation ids still come last
        # each keeps its own prefix
        assert answer_prefix(led, 3, b, "2026-12-01T10:00:00Z") == (other, None)
        assert answer_prefix(led, 3, a, "2026-12-05T09:00:00Z") == (again, None)
        assert answer_prefix(led, 3, a, "2026-12-01T10:00:00Z") == (first, None)


def _legacy_ledger(path, pulled_url):
    """A ledger an older dataqa pulled project 3 into: plain-prefix answers, no record of
    their origin, a pull state with the server's address or none."""
    led = Ledger(path)
    led.add_items(["x"])
    led.upsert_external_labels([{"item_id": "x", "label": 1, "source": "human",
                                 "external_id": "labelstudio:3:1:1", "annotator": "a@b"}])
    state = {"project_id": 3, "watermark": "2026-11-01T00:00:00Z", "tasks": {}}
    if pulled_url is not None:
        state["url"] = pulled_url
    led.set_state("labelstudio/old title/pulled", state)
    return led


@pytest.mark.parametrize("pulled_url", [None, "http://127.0.0.1:8080"])
def test_answers_an_older_dataqa_stored_stay_with_their_project(tmp_path, pulled_url):
    with _legacy_ledger(tmp_path / "l.db", pulled_url) as led:
        # the server the old pull names (or, unnamed, any): the plain prefix, as before
        prefix, _ = _record(led, answer_prefix(led, 3, "http://localhost:8080", "t1"))
        assert prefix == "labelstudio:3:"
        assert answer_prefix(led, 3, "http://other:8080", "t1")[0] != "labelstudio:3:"


def test_answers_an_older_dataqa_stored_from_another_server_are_not_taken(tmp_path):
    with _legacy_ledger(tmp_path / "l.db", "http://old.example.org") as led:
        prefix, origins = _record(led, answer_prefix(led, 3, "http://localhost:8080", "t1"))
        assert prefix.startswith("labelstudio:3~")
        # the old server keeps the plain prefix, and a third server is tagged too
        assert answer_prefix(led, 3, "http://old.example.org/", "t0") == (
            "labelstudio:3:", None)
        third = answer_prefix(led, 3, "http://third:8080", "t1")[0]
        assert third.startswith("labelstudio:3~") and third != prefix


def test_a_project_made_afresh_with_a_reused_id_does_not_overwrite_stored_answers(
        ls_server, ls_client, ledger, project_name):
    # what a server started afresh at the same address looks like to a ledger: its new
    # project has the id, tasks and annotations the earlier project had, made later
    rep = push(make_items(2), ls_server, ledger, project_name)
    tid = rep.task_ids
    answer = ls_client.create_annotation(tid["item-0"], choice("spam"))
    kw = {"project": project_name, "ledger": ledger, "url": ls_server.url,
          "api_key": ls_server.api_key}
    pull_annotations(**kw)
    pid = ls_client.find_project(project_name)["id"]
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
    assert (report.n_new, report.n_updated, report.n_withdrawn) == (1, 0, 0)
    with Ledger(ledger.path) as led:
        rows = led.labels(source="human").set_index("external_id")["label"]
    old = f"labelstudio:{pid}:{tid['item-0']}:{answer['id']}"
    assert rows[old] == 1  # spam: the earlier project's answer is kept as it was
    new = [e for e in rows.index if e != old]
    assert len(new) == 1 and new[0].startswith(f"labelstudio:{pid}~")
    assert new[0].endswith(f":{tid['item-0']}:{answer['id']}") and rows[new[0]] == 0  # ham
    # pulling again stores nothing twice
    report = pull_annotations(**kw).attrs["report"]
    assert (report.n_new, report.n_updated) == (0, 0)
