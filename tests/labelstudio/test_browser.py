"""The three queue kinds as an annotator sees them, in headless Chromium (Playwright).

Debian's ``chromium`` is driven through ``executable_path`` (no browser is downloaded),
against the real server of the ``ls_server`` fixture. Skips locally, fails under
``CI=true``, when Playwright, chromium or Label Studio is missing. Screenshots go to
``$DATAQA_TEST_ARTIFACTS`` (default ``build/test-artifacts/labelstudio``, git-ignored);
the folder is printed.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dataqa.cli import app
from dataqa.labelstudio import push_queue
from tests.conftest import require

CLASSES = ["ham", "spam"]
REPO = Path(__file__).resolve().parents[2]
DOT = " \u00b7 "

TEXTS = {
    "m1": "Are we still on for lunch tomorrow?",
    "m2": "PRIVATE! Your 2003 Account Statement shows 800 un-redeemed points. "
          "Call 08719899217 now to claim.",
    "m3": "I'll be late, the bus broke down",
    "m4": "WINNER!! You have been selected to receive a 900 prize reward. Call 09061701461",
    "m5": "Ok, see you at the station at 6",
    "m6": "Free entry in a weekly competition to win FA Cup final tickets. Text FA to 87121",
}


def _items(prefix: str) -> pd.DataFrame:
    ids = list(TEXTS)
    return pd.DataFrame({
        "id": [f"{prefix}-{i}" for i in ids],
        "text": [TEXTS[i] for i in ids],
        "label": ["ham", "ham", "ham", "spam", "ham", "spam"],
        "prediction": ["ham", "spam", "ham", "spam", "ham", "spam"],
        "probability": [0.93, 0.87, 0.71, 0.66, 0.98, 0.58],
        # m2 first, then m6, m4, ...: not the input order
        "score": [0.05, 0.69, 0.30, 0.41, 0.12, 0.52],
    })


@pytest.fixture(scope="module")
def artifacts() -> Path:
    out = Path(os.environ.get("DATAQA_TEST_ARTIFACTS", REPO / "build" / "test-artifacts"))
    out = out / "labelstudio"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def page(ls_server, artifacts):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require(sync_playwright is not None,
            "playwright is not installed (pip install -e '.[dev]'; no browser download needed)")
    chromium = shutil.which("chromium")
    require(chromium is not None, "Debian's chromium is not installed (make chromium-install)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
        pg = browser.new_page(viewport={"width": 1280, "height": 760})
        pg.set_default_timeout(30_000)
        # log in as an annotator would, with the password the server helper keeps
        pg.goto(f"{ls_server.url}/user/login/")
        pg.fill("#email", ls_server.username)
        pg.fill("#password", ls_server.password)
        pg.click("button.login-button")
        pg.wait_for_load_state("networkidle")
        assert "/user/login" not in pg.url, "login refused"
        yield pg
        browser.close()


def _push(ls_server, ledger, project, kind, prefix, **kw):
    return push_queue(_items(prefix), project=project, class_names=CLASSES, ledger=ledger,
                      queue=kind, url=ls_server.url, api_key=ls_server.api_key, **kw)


def _label_all(page, url, project_id, table_shot: Path | None = None) -> None:
    """Open the project's data manager (its default tab: dataqa's view) and click "Label
    All Tasks"; dismiss the instructions shown first (checking they are there)."""
    page.goto(f"{url}/projects/{project_id}/data")
    page.get_by_text("dataqa: by priori").first.wait_for()
    if table_shot is not None:
        page.get_by_text(TEXTS["m2"][:25]).first.wait_for()
        page.screenshot(path=str(table_shot))
    page.get_by_role("button", name="Label All Tasks").click()
    page.get_by_text("Labeling Instructions").wait_for()
    page.keyboard.press("Escape")
    page.get_by_text("Labeling Instructions").wait_for(state="hidden")
    page.locator(".lsf-richtext__line").first.wait_for()


def _shown(page) -> tuple[str, str, list[str]]:
    """(item text, context header, checked classes) of the task on screen."""
    text = page.locator(".lsf-richtext__line").first.inner_text()
    header = page.locator(".lsf-main-view h4").first.inner_text()
    checked = [c.get_attribute("name") for c in
               page.locator(".lsf-choices input[type=checkbox]").all() if c.is_checked()]
    return text, header, checked


def test_queues_in_the_browser(ls_server, page, artifacts, tmp_path, capsys, project_name):
    from dataqa.ledger import Ledger

    led_path = tmp_path / "ledger.db"
    with Ledger(led_path) as ledger:
        active = _push(ls_server, ledger, f"{project_name} active", "active", "a",
                       model_name="tfidf-logreg")
        review = _push(ls_server, ledger, f"{project_name} review", "review", "r")
        verify = _push(ls_server, ledger, f"{project_name} verify", "verify", "v")

    # active: the first task served is the highest-priority item, pre-annotated with the
    # model's class
    _label_all(page, ls_server.url, active.project_id)
    text, header, checked = _shown(page)
    page.screenshot(path=str(artifacts / "active.png"))
    assert text == TEXTS["m2"]
    assert checked == ["spam"]
    assert header == f"Model suggests: spam (probability 0.87){DOT}priority 0.69"

    # review: the header shows both labels and the issue score; nothing is pre-ticked
    _label_all(page, ls_server.url, review.project_id, artifacts / "review-table.png")
    text, header, checked = _shown(page)
    page.screenshot(path=str(artifacts / "review.png"))
    assert text == TEXTS["m2"]
    assert header == f"Given label: ham{DOT}model suggests: spam (probability 0.87){DOT}issue score 0.69"
    assert checked == []

    # verify: no label anywhere on the page, nothing pre-ticked, and no priority: the
    # table's order (m1 first), not the score's
    _label_all(page, ls_server.url, verify.project_id)
    text, header, checked = _shown(page)
    assert text == TEXTS["m1"]
    assert header == "Choose the class from the item alone."
    assert checked == []
    page.screenshot(path=str(artifacts / "verify.png"))
    body = page.locator(".lsf-main-view").inner_text()
    assert not re.search(r"given|suggest|model|probability|priority", body, re.IGNORECASE), body
    # the annotator chooses a class and submits
    page.locator(".lsf-choices label").filter(has_text="spam").click()
    page.screenshot(path=str(artifacts / "verify-chosen.png"))
    assert _shown(page)[2] == ["spam"]
    page.get_by_test_id("bottombar-submit-button").click()
    page.wait_for_function(
        "t => !document.body.innerText.includes(t)", arg=TEXTS["m1"][:30])

    # the annotation comes back to the right id
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    res = CliRunner().invoke(app, ["ls", "pull", "--ledger", str(led_path), "--project",
                                   f"{project_name} verify"], env=env)
    assert res.exit_code == 0, res.output
    with Ledger(led_path) as ledger:
        human = ledger.latest_labels(source="human")
    assert human["id"].tolist() == ["v-m1"]
    assert human["label"].tolist() == [CLASSES.index("spam")]
    assert human["annotator"].tolist() == [ls_server.username]
    with capsys.disabled():
        print(f"\nLabel Studio screenshots: {artifacts}")


def test_a_long_text_leaves_the_header_and_the_choices_on_screen(ls_server, page, tmp_path,
                                                                 artifacts, project_name):
    """A 6,000-character text pushed the header and the choices ~2,800 px down (below a
    760 px window): the text now scrolls in its own box, and all of it is still there."""
    from dataqa.ledger import Ledger

    long_text = " ".join(f"word{k}" for k in range(900)) + " THE END"
    items = pd.DataFrame({"id": ["long"], "text": [long_text], "label": ["ham"],
                          "prediction": ["spam"], "probability": [0.9], "score": [0.5]})
    with Ledger(tmp_path / "ledger.db") as ledger:
        rep = push_queue(items, project=f"{project_name} long", class_names=CLASSES,
                         ledger=ledger, queue="review", url=ls_server.url,
                         api_key=ls_server.api_key)
    _label_all(page, ls_server.url, rep.project_id)
    page.screenshot(path=str(artifacts / "review-long.png"))
    height = page.viewport_size["height"]
    header = page.locator(".lsf-main-view h4").first.bounding_box()
    choices = page.locator(".lsf-choices label").filter(has_text="spam").bounding_box()
    assert header is not None and header["y"] + header["height"] <= height, header
    assert choices is not None and choices["y"] + choices["height"] <= height, choices
    assert page.locator(".lsf-richtext").first.inner_text().strip().endswith("THE END")


def test_local_images_are_served_to_the_annotator(ls_server, page, tmp_path, project_name):
    """Label Studio 1.23 serves a local file only to a project with a Local files storage
    holding it: the push adds one per top folder (once), and the annotator's browser
    gets each image, names with '&', '#' or spaces included (404 before)."""
    from dataqa.ledger import Ledger

    root = ls_server.local_files_root
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a4f50000"
                        "000049454e44ae426082")
    names = ["set1/a&b.png", "set1/deep/c#1.png", "pics 2/cat.png"]
    for n in names:
        (root / n).parent.mkdir(parents=True, exist_ok=True)
        (root / n).write_bytes(png)
    items = pd.DataFrame({"id": ["i1", "i2", "i3"], "image": [str(root / n) for n in names],
                          "prediction": ["ham", "spam", "ham"]})
    title = f"{project_name} images"
    with Ledger(tmp_path / "ledger.db") as ledger:
        rep = push_queue(items, project=title, class_names=CLASSES, ledger=ledger,
                         queue="active", url=ls_server.url, api_key=ls_server.api_key,
                         local_files_root=root)
        push_queue(items.assign(id=["j1", "j2", "j3"]), project=title, class_names=CLASSES,
                   ledger=ledger, queue="active", url=ls_server.url,
                   api_key=ls_server.api_key, local_files_root=root)
    from dataqa.labelstudio import LabelStudioClient

    with LabelStudioClient(ls_server.url, api_key=ls_server.api_key) as client:
        storages = client.request("GET", "/api/storages/localfiles",
                                  params={"project": rep.project_id})
        tasks = [client.request("GET", f"/api/tasks/{rep.task_ids[i]}") for i in ("i1", "i2", "i3")]
    assert sorted(s["path"] for s in storages) == sorted(
        os.path.abspath(root / top) for top in ("pics 2", "set1"))  # once each
    for task in tasks:
        got = page.request.get(f"{ls_server.url}{task['data']['image']}")
        assert got.status == 200, (task["data"]["image"], got.status)
        assert got.body() == png
