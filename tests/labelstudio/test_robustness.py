"""Push/pull robustness: concurrent pushes, rejected tasks, bad annotations, timeouts."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter

import pandas as pd
import pytest
from typer.testing import CliRunner

from dataqa._cli_utils import check_out_file
from dataqa.errors import (
    EmptyDataError,
    InvalidSettingError,
    LabelStudioConnectionError,
    LabelStudioError,
    LedgerError,
)
from dataqa.labelstudio import LabelStudioClient, pull_annotations, push_queue
from dataqa.labelstudio.ledger_state import ledger_lock
from dataqa.ledger import Ledger

from ._helpers import CLASSES, choice, make_items
from .test_cli import _app


def _titled(client, title) -> list[dict]:
    return [p for p in client.projects() if p.get("title") == title]


def _server_ids(client, project_id) -> Counter:
    return Counter(t["data"]["dataqa_id"] for t in client.list_tasks(project_id))


class _Silent:
    """A loopback port that accepts connections and never answers."""

    def __enter__(self) -> str:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)  # the kernel completes the handshake; nobody ever reads
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __exit__(self, *exc) -> None:
        self.sock.close()


# ---------------------------------------------------------------- without a server

def test_check_out_file(tmp_path):
    with pytest.raises(InvalidSettingError, match="is a folder; give a file path"):
        check_out_file(tmp_path)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(InvalidSettingError, match="which is a file, not a folder"):
        check_out_file(blocker / "deeper" / "ann.csv")
    assert check_out_file(blocker) == blocker  # an existing file is replaced
    assert check_out_file(tmp_path / "new" / "ann.csv") == tmp_path / "new" / "ann.csv"
    assert not (tmp_path / "new").exists()  # checking creates nothing


def test_push_of_no_items_is_refused_before_any_request(tmp_path):
    path = tmp_path / "l.db"
    empty = make_items(3).iloc[:0]
    with pytest.raises(EmptyDataError, match="items has no rows, so there is nothing to push"):
        push_queue(empty, project="p-empty", class_names=CLASSES, ledger=path, queue="active",
                   url="http://127.0.0.1:9", api_key="k")
    every = make_items(2).assign(text=[None, float("nan")])
    with pytest.raises(EmptyDataError, match=r"every item has a missing or blank 'text' \('item-0', "
                                             r"'item-1'\)"):
        push_queue(every, project="p-empty", class_names=CLASSES, ledger=path, queue="active",
                   url="http://127.0.0.1:9", api_key="k")
    assert list(tmp_path.iterdir()) == []


def test_pull_needs_an_existing_ledger(tmp_path):
    path = tmp_path / "missing.db"
    with pytest.raises(LedgerError, match="missing.db' does not exist"):
        pull_annotations(project="p", ledger=path, url="http://127.0.0.1:9", api_key="k")
    res = CliRunner().invoke(_app(), ["ls", "pull", "--ledger", str(path), "--project", "p"],
                             env={"LABEL_STUDIO_API_KEY": "k"})
    assert res.exit_code == 2 and "missing.db' does not exist" in res.output
    assert list(tmp_path.iterdir()) == []


def test_timeout_on_a_server_that_never_answers(tmp_path):
    path = tmp_path / "l.db"
    with _Silent() as url:
        start = time.monotonic()
        with pytest.raises(LabelStudioConnectionError,
                           match=r"did not answer GET /api/current-user/whoami within 0.5 s.*"
                                 r"--timeout SECONDS"):
            push_queue(make_items(3), project="p-silent", class_names=CLASSES, ledger=path,
                       queue="active", url=url, api_key="k", timeout=0.5)
        assert time.monotonic() - start < 10
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidSettingError, match="timeout must be a number of seconds > 0"):
        LabelStudioClient("http://127.0.0.1:9", "k", timeout=0)


def test_ledger_lock_serialises_threads(tmp_path):
    path = str(tmp_path / "l.db")
    inside = []

    def hold(tag):
        with ledger_lock(path):
            inside.append(("in", tag))
            time.sleep(0.2)
            inside.append(("out", tag))

    threads = [threading.Thread(target=hold, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # never two holders at once: every "in" is followed by its own "out"
    assert [inside[k][1] for k in range(0, 6, 2)] == [inside[k][1] for k in range(1, 6, 2)]
    assert [e[0] for e in inside] == ["in", "out"] * 3
    with (ledger_lock(path),
          pytest.raises(LedgerError, match="has held .*l.db.lock' for more than 0 s")):
        with ledger_lock(path, wait=0.0):
            pass


# ---------------------------------------------------------------- against the server

def test_a_push_waits_for_the_one_holding_the_ledger(ls_server, ls_client, tmp_path,
                                                     project_name):
    path = tmp_path / "l.db"
    results = {}

    def push(tag):
        results[tag] = push_queue(make_items(30), project=project_name, class_names=CLASSES,
                                  ledger=path, queue="active", url=ls_server.url,
                                  api_key=ls_server.api_key)

    with ledger_lock(str(path)):
        first = threading.Thread(target=push, args=("a",))
        first.start()
        time.sleep(1.5)
        assert first.is_alive() and _titled(ls_client, project_name) == []  # it waits
        second = threading.Thread(target=push, args=("b",))
        second.start()
    first.join(120)
    second.join(120)
    projects = _titled(ls_client, project_name)
    assert len(projects) == 1
    assert sorted((r.n_created, r.n_skipped) for r in results.values()) == [(0, 30), (30, 0)]
    counts = _server_ids(ls_client, projects[0]["id"])
    assert len(counts) == 30 and set(counts.values()) == {1}


class _BlindClient(LabelStudioClient):
    """Does not see a project on its first look, as when another ledger creates it at the
    same moment."""

    looked = False

    def find_project(self, project):
        if not self.looked:
            self.looked = True
            return None
        return super().find_project(project)


def test_a_title_created_twice_at_once_keeps_the_oldest_project(ls_server, ls_client, tmp_path,
                                                                project_name):
    first = push_queue(make_items(5), project=project_name, class_names=CLASSES,
                       ledger=tmp_path / "a.db", queue="active", url=ls_server.url,
                       api_key=ls_server.api_key)
    blind = _BlindClient(ls_server.url, ls_server.api_key)
    second = push_queue(make_items(8), project=project_name, class_names=CLASSES,
                        ledger=tmp_path / "b.db", queue="active", client=blind)
    assert second.project_id == first.project_id
    assert [p["id"] for p in _titled(ls_client, project_name)] == [first.project_id]
    assert (second.n_created, second.n_skipped) == (3, 5)


def test_rows_without_text_are_reported_and_the_rest_goes_through(ls_server, ls_client, ledger,
                                                                  project_name):
    items = make_items(10)
    # (a blank text reached the annotator as an empty task)
    items.loc[[2, 5, 7], "text"] = [None, " \t\n", float("nan")]
    rep = push_queue(items, project=project_name, class_names=CLASSES, ledger=ledger,
                     queue="active", url=ls_server.url, api_key=ls_server.api_key, chunk_size=4)
    assert sorted(rep.failed) == ["item-2", "item-5", "item-7"] and rep.n_created == 7
    assert rep.errors == ["3 items have a missing or blank 'text' and were not sent ('item-2', "
                          "'item-5', 'item-7'); fill column 'text' and push again."]
    gone = {"item-2", "item-5", "item-7"}
    assert set(_server_ids(ls_client, rep.project_id)) == set(items["id"]) - gone
    assert set(ledger.items()["id"]) == set(items["id"]) - gone
    # filled in, they go through on the next push
    again = push_queue(make_items(10), project=project_name, class_names=CLASSES, ledger=ledger,
                       queue="active", url=ls_server.url, api_key=ls_server.api_key)
    assert sorted(again.created) == sorted(gone) and again.n_failed == 0


class _Vague(LabelStudioClient):
    """Hides which task the server objected to, so the chunk has to be split."""

    def import_tasks(self, project_id, tasks):
        try:
            return super().import_tasks(project_id, tasks)
        except LabelStudioConnectionError:
            raise
        except LabelStudioError:
            raise LabelStudioError("the server rejected this chunk (HTTP 400)") from None


@pytest.mark.parametrize("vague", [False, True], ids=["named", "split"])
def test_a_task_the_server_rejects_fails_alone(ls_server, ls_client, ledger, project_name,
                                               vague):
    items = make_items(12).astype({"text": object})
    items.at[5, "text"] = {"not": "text"}  # not caught here; the server refuses it
    kw = ({"client": _Vague(ls_server.url, ls_server.api_key)} if vague
          else {"url": ls_server.url, "api_key": ls_server.api_key})
    rep = push_queue(items, project=project_name, class_names=CLASSES, ledger=ledger,
                     queue="active", chunk_size=6, **kw)
    assert rep.failed == ["item-5"] and rep.n_created == 11
    assert len(rep.errors) == 1 and rep.errors[0].startswith("item 'item-5': ")
    counts = _server_ids(ls_client, rep.project_id)
    assert set(counts) == set(items["id"]) - {"item-5"} and set(counts.values()) == {1}
    assert len(ledger.task_ids(project=project_name)) == 11


def test_pull_skips_an_annotation_with_an_unknown_class(ls_server, ls_client, tmp_path,
                                                        project_name):
    path = tmp_path / "l.db"
    rep = push_queue(make_items(4), project=project_name, class_names=CLASSES, ledger=path,
                     queue="active", url=ls_server.url, api_key=ls_server.api_key)
    tid = rep.task_ids
    bad = ls_client.create_annotation(tid["item-1"], choice("maybe"))
    ls_client.create_annotation(tid["item-2"], choice("spam"))
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    out = tmp_path / "ann.csv"
    args = ["ls", "pull", "--ledger", str(path), "--project", project_name, "--out", str(out)]
    for _ in range(2):  # reported on every pull, never stored
        res = CliRunner().invoke(_app(), args, env=env)
        assert res.exit_code == 1, res.output
        text = " ".join(res.output.split())
        assert (f"refused: annotation {bad['id']} of task {tid['item-1']} (item 'item-1', by "
                f"admin@dataqa.local) chose 'maybe', not one of the project's classes") in text
        assert text.count("chose 'maybe'") == 1 and "skipped: annotation" not in text
        assert "0 skipped" in text  # "skipped" counts Label Studio's Skip button only
        assert "1 with a class not in the project (not stored)" in text
        with Ledger(path) as led:
            human = led.labels(source="human")
        assert human["id"].tolist() == ["item-2"] and human["label"].tolist() == [1]
        assert pd.read_csv(out)["id"].tolist() == ["item-2"]
        assert ls_server.api_key not in res.output
    # fixed in Label Studio, it comes in with the next pull
    ls_client.update_annotation(bad["id"], choice("ham"))
    df = pull_annotations(project=project_name, ledger=path, url=ls_server.url,
                          api_key=ls_server.api_key)
    assert df.attrs["report"].n_invalid == 0
    assert sorted(df["id"]) == ["item-1", "item-2"]


def test_pull_out_replaces_an_existing_file_whole(ls_server, ls_client, tmp_path, project_name):
    path = tmp_path / "l.db"
    rep = push_queue(make_items(3), project=project_name, class_names=CLASSES, ledger=path,
                     queue="active", url=ls_server.url, api_key=ls_server.api_key)
    ls_client.create_annotation(rep.task_ids["item-0"], choice("ham"))
    out = tmp_path / "ann.csv"
    out.write_text("old content\n")
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    res = CliRunner().invoke(_app(), ["ls", "pull", "--ledger", str(path), "--project",
                                      project_name, "--out", str(out), "--timeout", "30"],
                             env=env)
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)[["id", "label_name"]].values.tolist() == [["item-0", "ham"]]
    assert out.read_text().startswith("id,label,label_name,")
    assert not list(tmp_path.glob(".ann.csv.*"))  # no temporary file left behind


def test_recorded_title_finds_an_id_on_its_own_server_only(tmp_path):
    from dataqa.labelstudio.ledger_state import record_project_state, recorded_title
    from dataqa.ledger import Ledger

    with Ledger(tmp_path / "l.db") as led:
        record_project_state(led, "A sms", project_id=3, url="http://a:8080",
                             class_names=["ham", "spam"])
        record_project_state(led, "B topics", project_id=3, url="http://b:8080/",
                             class_names=["x", "y"])
        record_project_state(led, "123", project_id=7, url="http://a:8080",
                             class_names=["ham", "spam"])
        led.set_state("labelstudio/A sms/pulled", {"project_id": 3, "url": "http://a:8080"})
        assert recorded_title(led, "3", "http://a:8080/") == "A sms"
        assert recorded_title(led, " 3 ", "http://b:8080") == "B topics"
        assert recorded_title(led, "3", "http://c:8080") == "3"  # not pushed there
        assert recorded_title(led, "A sms", "http://b:8080") == "A sms"  # a title
        # "123" is an id first, as Label Studio reads it: no project id 123 was recorded
        assert recorded_title(led, "123", "http://a:8080") == "123"
        record_project_state(led, "one two three", project_id=123, url="http://a:8080",
                             class_names=["ham", "spam"])
        assert recorded_title(led, "123", "http://a:8080") == "one two three"


@pytest.mark.parametrize("body", [b"<html><body>Not Found</body></html>", b""])
def test_a_server_that_is_not_label_studio_is_named_so(tmp_path, body):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from dataqa.errors import LabelStudioConnectionError, LabelStudioProjectError

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the handler's name
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        with LabelStudioClient(url, api_key="k", timeout=5) as client:
            with pytest.raises(LabelStudioConnectionError, match=(
                    rf"something answers at {url}, but not as Label Studio: it has no "
                    r"/api/current-user/whoami \(HTTP 404\); check that --url")):
                client.check()
            with pytest.raises(LabelStudioProjectError,
                               match=rf"Label Studio at {url} has no /api/projects/3 \(HTTP "
                                     rf"404\)\.$"):
                client.request("GET", "/api/projects/3")
    finally:
        httpd.shutdown()


class _Scripted:
    """A local HTTP server answering each request with the next status of ``codes``
    (then 200), recording the methods it was sent."""

    def __init__(self, codes):
        import http.server

        outer = self
        self.codes, self.seen = list(codes), []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.seen.append(self.command)
                code = outer.codes.pop(0) if outer.codes else 200
                body = b'{"ok": true}' if code == 200 else b'{"detail": "database is locked"}'
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_quick_http_500_is_tried_again_except_for_a_post(monkeypatch):
    import dataqa.labelstudio.client as client_mod

    monkeypatch.setattr(client_mod, "_RETRY_WAITS", (0.01, 0.01, 0.01))
    server = _Scripted([500, 503, 200])
    try:
        client = LabelStudioClient(server.url, "key")
        assert client.request("GET", "/api/tasks/1") == {"ok": True}
        assert server.seen == ["GET", "GET", "GET"]
        server.codes, server.seen = [500, 500, 500, 500, 500], []
        with pytest.raises(LabelStudioError, match=r"rejected PATCH /api/projects/1 \(HTTP "
                                                   r"500\): database is locked"):
            client.request("PATCH", "/api/projects/1", json_body={"title": "x"})
        assert server.seen == ["PATCH"] * 4  # the first try and three more
        server.codes, server.seen = [500, 200], []
        with pytest.raises(LabelStudioError, match=r"rejected POST /api/projects \(HTTP 500\)"):
            client.request("POST", "/api/projects", json_body={"title": "x"})
        assert server.seen == ["POST"]  # an import or a creation is not sent twice
        server.codes, server.seen = [502, 200], []
        with pytest.raises(LabelStudioError, match=r"\(HTTP 502\)"):
            client.request("GET", "/api/tasks/1")
        assert server.seen == ["GET"]  # a gateway's failure: not tried again
    finally:
        server.close()
