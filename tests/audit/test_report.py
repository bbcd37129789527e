"""The audit's HTML report: ids on one line, thumbnails, why high-ranked rows are not flagged,
and (in headless Chromium) every image loads and nothing overflows horizontally."""

from __future__ import annotations

import base64
import html as html_mod
import io
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from dataqa.audit import audit
from dataqa.audit.report import audit_report
from dataqa.cli import app
from dataqa.datasets import load_digits_noisy
from dataqa.errors import InvalidSettingError
from dataqa.report.images import (
    check_image_option,
    image_shape_for,
    parse_image_shape,
    png_data_uri,
    thumbnails,
)
from tests.conftest import require

runner = CliRunner()


@pytest.fixture(scope="module")
def digits():
    frame, _ = load_digits_noisy(0.08, random_state=0)
    frame = frame.iloc[:500].drop(columns=["true_label"]).reset_index(drop=True)
    feats = [c for c in frame.columns if c.startswith("px_")]
    res = audit(frame, label_column="label", id_column="id", feature_columns=feats, cv=3,
                datalab=False, progress=False)
    return frame, res


def _decode(uri: str) -> np.ndarray:
    from PIL import Image

    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def _suspect_rows(page: str) -> list[str]:
    body = page.split("Top 50 suspects", 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body)


# --- image helpers -----------------------------------------------------------------------

@pytest.mark.parametrize("text, shape", [("8x8", (8, 8)), (" 28 X 28 ", (28, 28)),
                                         ("4*16", (4, 16)), ((2, 3), (2, 3)), (None, None)])
def test_parse_image_shape(text, shape):
    assert parse_image_shape(text) == shape


@pytest.mark.parametrize("text, message", [
    ("8by8", "--image-shape '8by8' is not HEIGHTxWIDTH; write it as e.g. 8x8"),
    ("0x8", "--image-shape 0x8 must have a positive height and width"),
    ((8,), "--image-shape must be two integers (height, width)"),
])
def test_parse_image_shape_refuses(text, message):
    with pytest.raises(InvalidSettingError) as info:
        parse_image_shape(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_image_shape_for_square_grids_and_given_shapes():
    assert [image_shape_for(n) for n in (64, 256, 784, 1024)] == [(8, 8), (16, 16), (28, 28),
                                                                   (32, 32)]
    assert image_shape_for(13) is None and image_shape_for(100) is None
    assert image_shape_for(12, (3, 4)) == (3, 4)
    with pytest.raises(InvalidSettingError, match=r"--image-shape 3x3 has 9 pixels but the "
                                                  r"table has 64 feature columns"):
        image_shape_for(64, (3, 3))


def test_check_image_option_refuses_text_and_wrong_feature_count():
    with pytest.raises(InvalidSettingError, match="cannot go with --text-column 'text'"):
        check_image_option("8x8", text_column="text")
    with pytest.raises(InvalidSettingError, match="has 64 pixels but the table has 3 feature"):
        check_image_option("8x8", feature_columns=["a", "b", "c"])
    assert check_image_option("1x3", feature_columns=["a", "b", "c"]) == (1, 3)
    assert check_image_option(None, text_column="text") is None


def test_png_data_uri_round_trips():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    assert np.array_equal(_decode(png_data_uri(img)), img)


def test_thumbnails_share_one_scale_darker_is_higher():
    rows = np.array([[0, 16, 8, 4], [16, 16, 0, 0]], dtype=float)
    a, b = (_decode(u) for u in thumbnails(rows, (2, 2), size=4))
    assert a.shape == (4, 4)  # each pixel repeated twice in each direction
    assert a[0, 0] == 255 and a[0, 2] == 0 and a[2, 0] == 128 and a[2, 2] == 191
    assert b[0, 0] == 0 and b[3, 3] == 255


# --- the report -----------------------------------------------------------------------------

def test_digits_report_shows_thumbnails_and_unwrapped_ids(digits):
    _, res = digits
    page = audit_report(res).render()
    rows = _suspect_rows(page)
    assert len(rows) == 50
    for row, item_id in zip(rows, res.issues["id"].head(50), strict=True):
        assert f'<td class="nowrap">{html_mod.escape(item_id)}</td>' in row
        uri = re.search(r'<img class="thumb" alt="[^"]*" src="([^"]+)"/>', row).group(1)
        assert _decode(uri).shape == (56, 56)  # 8x8 pixels, 7x each
    assert "px_0=" not in page
    assert "white-space:nowrap" in page


def test_explicit_image_shape_matches_the_default(digits):
    _, res = digits
    assert audit_report(res, image_shape="8x8").render() == audit_report(res).render()


def test_non_image_features_show_values_not_thumbnails(digits):
    frame, _ = digits
    cols = [f"px_{i}" for i in range(20, 33)]  # 13 features: no square grid
    res = audit(frame, label_column="label", id_column="id", feature_columns=cols, cv=3,
                datalab=False, progress=False)
    page = audit_report(res).render()
    assert 'class="thumb"' not in page
    assert "px_20=" in page and "(+5)" in page
    thumbs = audit_report(res, image_shape="1x13").render()
    assert thumbs.count('class="thumb"') == 50


def test_rows_ranked_high_but_not_flagged_are_explained(digits):
    from cleanlab.count import compute_confident_joint

    _, res = digits
    page = audit_report(res).render()
    top = res.issues.head(50)
    unflagged = top[~top["is_label_issue"]]
    assert len(unflagged) > 0  # this data set has some; the sentence must say how many
    assert (f"{len(unflagged)} of these 50 rows are ranked high but not flagged: cleanlab "
            "does not flag by rank") in page
    labels, p = res.table.labels, res.pred_probs
    names = [str(c) for c in res.table.class_names]
    cj = compute_confident_joint(labels, p)
    pos = {i: n for n, i in enumerate(res.table.ids)}
    rows = _suspect_rows(page)
    # a reason given to 3 rows or more is spelled out once in the note: "see (a)" there
    notes = {}
    if "Reasons that apply to several rows: " in page:
        seg = page.split("Reasons that apply to several rows: ", 1)[1].split("</p>", 1)[0]
        parts = re.split(r"(?:^| )\(([a-z])\) ", seg)[1:]
        notes = {m: r.removesuffix(".") for m, r in zip(parts[::2], parts[1::2], strict=True)}
    cells = [re.findall(r'<td class="cell[^"]*">([^<]*)</td>', row)[-1] for row in rows[:50]]
    assert all(sum(c.endswith(f"see ({m})") for c in cells) >= 3 for m in notes)
    assert all(c in notes.values() or cells.count(c) < 3 for c in cells if c)
    for rank, (_, item) in enumerate(top.iterrows()):
        why = cells[rank]
        own = re.fullmatch(r"number (\d+) by that margin, see \(([a-z])\)", why)
        if own:  # the pair's reason in the note, the item's rank in its cell
            why = f"{notes[own.group(2)]}; this item is number {own.group(1)}"
        elif why.startswith("see ("):
            why = notes[why[5]]
        if item["is_label_issue"]:
            assert why == ""
            continue
        i = pos[item["id"]]
        k = int(labels[i])
        j = int(np.argmax(np.where(np.arange(p.shape[1]) == k, -np.inf, p[i])))
        if p[i, k] + 1e-6 >= p[i, j]:
            assert why.startswith("the given label is still the model&#x27;s most likely class")
        elif cj[k, j] == 0:
            assert why == (f"cleanlab&#x27;s confident joint counts no items labeled {names[k]} "
                           f"that are really {names[j]}, so it flags none for that pair")
        else:
            n = int(cj[k, j])
            expected = (f"cleanlab estimates {n} items labeled {names[k]} are really {names[j]} "
                        f"and flags the {n} with the largest margin" if n > 1 else
                        f"cleanlab estimates 1 item labeled {names[k]} is really {names[j]} "
                        f"and flags the one with the largest margin")
            assert why.startswith(expected), why
            rank_in_pair = int(re.search(r"this item is number (\d+)$", why).group(1))
            assert rank_in_pair > n


def test_bad_image_shape_writes_nothing(digits, tmp_path):
    _, res = digits
    out = tmp_path / "out"
    with pytest.raises(InvalidSettingError, match="--image-shape 4x4 has 16 pixels but the "
                                                  "table has 64 feature columns"):
        res.save(out, image_shape="4x4")
    assert not out.exists()
    with pytest.raises(InvalidSettingError):
        res.to_html(tmp_path / "r.html", image_shape="9x9")
    assert not (tmp_path / "r.html").exists()


def _csv(tmp_path):
    frame, _ = load_digits_noisy(0.08, random_state=0)
    path = tmp_path / "digits.csv"
    frame.iloc[:300].drop(columns=["true_label"]).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("extra, message", [
    (["--image-shape", "8by8"], "--image-shape '8by8' is not HEIGHTxWIDTH"),
    (["--image-shape", "8x8", "--text-column", "id"], "cannot go with --text-column 'id'"),
    (["--image-shape", "3x3", "--feature-column", "px_0", "--feature-column", "px_1"],
     "--image-shape 3x3 has 9 pixels but the table has 2 feature columns"),
])
def test_cli_refuses_bad_image_shape_before_work(tmp_path, extra, message):
    out = tmp_path / "out"
    res = runner.invoke(app, ["audit", str(_csv(tmp_path)), "--label-column", "label",
                              "--id-column", "id", "--out", str(out), *extra])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not out.exists()


def test_cli_image_shape_with_automatic_features(tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["audit", str(_csv(tmp_path)), "--label-column", "label",
                              "--id-column", "id", "--out", str(out), "--cv", "3",
                              "--no-datalab", "--image-shape", "16x4"])
    assert res.exit_code == 0, res.output
    assert (out / "report.html").read_text().count('class="thumb"') == 50


# --- in a browser --------------------------------------------------------------------------

_CHECK = """<script>
window.addEventListener("load", () => {
  const imgs = [...document.images];
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);
  const doc = document.documentElement;
  const right = document.body.getBoundingClientRect().right;
  const label = e => e.tagName + ":" + (e.textContent || e.alt || "").trim().slice(0, 40);
  const wide = [...document.body.querySelectorAll("*")]
    .filter(e => e.getBoundingClientRect().right > right + 1 ||
                 (e.classList.contains("tablewrap") && e.scrollWidth > e.clientWidth + 1))
    .map(label);
  const lines = td => {
    const r = document.createRange();
    r.selectNodeContents(td);
    return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size;
  };
  const wrapped = [];
  let idLines = 0;
  for (const table of document.querySelectorAll("table")) {
    const col = [...table.querySelectorAll("thead th")].findIndex(th => th.textContent === "id");
    if (col < 0) continue;
    for (const tr of table.querySelectorAll("tbody tr")) {
      const td = tr.children[col];
      if (td && lines(td) > 1) wrapped.push(td.textContent);
      if (td) idLines = Math.max(idLines, lines(td));
    }
  }
  const pre = document.createElement("pre");
  pre.id = "dataqa-check";
  pre.textContent = JSON.stringify({images: imgs.length, broken, page_width: doc.scrollWidth,
                                    view_width: doc.clientWidth, wide, ids_wrapped: wrapped,
                                    id_lines: idLines});
  document.body.appendChild(pre);
});
</script>"""


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _browser_check(page: str, tmp_path, width: int) -> dict:
    path = tmp_path / f"report_{width}.html"
    path.write_text(page.replace("</body>", _CHECK + "</body>"), encoding="utf-8")
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND",
           f"--user-data-dir={tmp_path / f'profile_{width}'}", f"--window-size={width},900",
           "--virtual-time-budget=10000", "--dump-dom", path.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="dataqa-check">(.*?)</pre>', proc.stdout, re.S)
    assert m, f"chromium exit {proc.returncode}: {proc.stderr[-1500:]}"
    return json.loads(html_mod.unescape(m.group(1)))


@pytest.mark.parametrize("width", [1280, 1024])
def test_report_in_headless_chromium(digits, tmp_path, width):
    require(_chromium() is not None,
            "chromium is not installed (make test installs it: apt-get install -y chromium)")
    frame, res = digits
    text = frame[["id", "label"]].assign(
        text=[("a rather long message " * 20) + "x" * 120] * len(frame))
    text_res = audit(text, label_column="label", id_column="id", text_column="text", cv=3,
                     datalab=False, progress=False)
    for page in (audit_report(res).render(), audit_report(text_res).render()):
        check = _browser_check(page, tmp_path, width)
        assert check["images"] >= 3
        assert check["broken"] == []
        assert check["page_width"] <= check["view_width"], check
        assert check["wide"] == [], check
        assert check["ids_wrapped"] == [], check


def test_report_frame_is_self_contained(digits):
    page = audit_report(digits[1]).render()
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)


def test_verified_section_in_headless_chromium(digits, tmp_path):
    require(_chromium() is not None,
            "chromium is not installed (make test installs it: apt-get install -y chromium)")
    from dataqa.audit import estimate_error_rate, plan_review

    _, res = digits
    plan = plan_review(res, budget=60)
    given = res.issues.set_index("id")["given_label"].astype(str)
    reviews = plan[["id"]].assign(verified_label=given.loc[plan["id"]].to_numpy())
    flagged = set(res.issues.loc[res.issues["is_label_issue"], "id"])
    reviews.loc[reviews["id"].isin(flagged), "verified_label"] = "0"  # flags confirmed wrong
    res.verified = estimate_error_rate(res, reviews)
    try:
        page = audit_report(res).render()
    finally:
        res.verified = None
        res.review_plan = None
    v = estimate_error_rate(res, reviews, plan=plan)
    for part in ("Verified error rate", html_mod.escape(str(v)), "precision of the flags",
                 "label errors among unflagged items", "Per stratum", "Per given class"):
        assert part in page
    check = _browser_check(page, tmp_path, 1024)
    assert check["images"] >= 4 and check["broken"] == []
    assert check["page_width"] <= check["view_width"], check
    assert check["wide"] == [], check


def test_verified_note_says_which_prior_and_reviewer_model(digits):
    from dataqa.audit import estimate_error_rate, plan_review

    _, res = digits
    plan = plan_review(res, budget=40)
    given = res.issues.set_index("id")["given_label"].astype(str)
    reviews = plan[["id"]].assign(verified_label=given.loc[plan["id"]].to_numpy())
    try:
        res.verified = estimate_error_rate(res, reviews)
        plain = audit_report(res).render()
        res.verified = estimate_error_rate(res, reviews, reviewer_error=0.05, prior="jeffreys")
        noisy = audit_report(res).render()
    finally:
        res.verified = None
        res.review_plan = None
    assert html_mod.escape("Beta(0.5, 0.5) (jeffreys) prior") in plain
    assert html_mod.escape("its lower end is the lower quantile of the posterior under "
                           "Beta(0, 0.5) on each stratum's error rate instead, so a stratum "
                           "whose reviews found no wrong label adds none to it.") in plain
    assert "It assumes the reviewers are right." in plain
    assert html_mod.escape("Beta(0.5, 0.5) (jeffreys) prior") in noisy
    assert "a correct label flagged with probability 0.05" in noisy
    assert "It assumes the reviewers are right." not in noisy


def test_a_reason_given_to_many_rows_is_written_once(digits, monkeypatch):
    from dataqa.audit import report as report_mod

    assert report_mod._footnoted(["x", "y", "x", "z", "x", "y", "y", "w"]) == (
        ["see (a)", "see (b)", "see (a)", "z", "see (a)", "see (b)", "see (b)", "w"],
        {"(a)": "x", "(b)": "y"})
    # a reason that differs only in the item's rank is footnoted without it
    sep = report_mod._RANK_SEP
    assert report_mod._footnoted([f"pair{sep}9", f"pair{sep}10", "z", f"pair{sep}12",
                                  f"other{sep}4"]) == (
        ["number 9 by that margin, see (a)", "number 10 by that margin, see (a)", "z",
         "number 12 by that margin, see (a)", f"other{sep}4"], {"(a)": "pair"})
    _, res = digits

    def reasons(result, rows):
        return ["the same reason for all" if k % 4 else f"reason {k}" for k in range(len(rows))]
    monkeypatch.setattr(report_mod, "_not_flagged_reasons", reasons)
    page = audit_report(res).render()
    cells = [re.findall(r'<td class="cell[^"]*">([^<]*)</td>', row)[-1]
             for row in _suspect_rows(page)]
    n_unflagged = int((~res.issues.head(50)["is_label_issue"]).sum())
    assert n_unflagged >= 4
    assert cells.count("see (a)") == sum(1 for k in range(n_unflagged) if k % 4)
    assert "Reasons that apply to several rows: (a) the same reason for all.</p>" in page
    assert "reason 0" in cells and "see (b)" not in cells


@pytest.mark.filterwarnings("ignore:the model is barely better")  # (one text for all rows)
def test_long_ids_keep_a_readable_column_in_headless_chromium(digits, tmp_path):
    """Ids of 33 characters (YouTube's comment ids) beside long texts: the id column was
    squeezed to a few characters a line (rows 170 px tall, 2-4 characters a line)."""
    require(_chromium() is not None,
            "chromium is not installed (make test installs it: apt-get install -y chromium)")
    frame, _ = digits
    long_ids = frame[["label"]].assign(
        id=[f"z13lgffb5w3ddx1ul22qy1wxswx1fmfh{i:05d}" for i in range(len(frame))],
        text=[("check my channel http://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share "
               "a rather long message ") * 6] * len(frame))
    # with Datalab's columns beside them (outlier, duplicates), as an audit has by default
    res = audit(long_ids, label_column="label", id_column="id", text_column="text", cv=3,
                progress=False)
    check = _browser_check(audit_report(res).render(), tmp_path, 1280)
    assert check["broken"] == [] and check["page_width"] <= check["view_width"], check
    assert 2 <= check["id_lines"] <= 3, check


def test_an_audit_without_flags_says_so_instead_of_empty_charts(digits):
    from dataqa.audit import report as report_mod

    _, res = digits
    flags = res.issues["is_label_issue"].copy()
    try:
        res.issues["is_label_issue"] = False
        page = audit_report(res).render()
    finally:
        res.issues["is_label_issue"] = flags
    assert "No item is flagged, so there is no chart of flagged items per class" in page
    assert "Given vs suggested label" not in page
    assert report_mod._share_text(3, 951) == "0.3%" and report_mod._share_text(0, 5) == "0%"
    assert report_mod._share_text(1, 5000) == "<0.1%" and report_mod._share_text(8, 20) == "40%"
    assert report_mod._share_text(999, 1000) == "99.9%"
    assert report_mod._share_text(9999, 10000) == ">99.9%" and report_mod._share_text(4, 4) == "100%"


def test_the_outliers_table_shows_each_item(digits):
    """The outliers table gave ids and scores only: nothing to see why an item is unusual."""
    frame, _ = digits
    feats = [c for c in frame.columns if c.startswith("px_")]
    res = audit(frame, label_column="label", id_column="id", feature_columns=feats, cv=3,
                progress=False)
    out = res.issues[res.issues["is_outlier"].fillna(False)]
    assert len(out) > 0
    page = audit_report(res).render()
    section = page.split("Outliers (higher score = more unusual)")[1].split("<h3>")[0]
    assert '<th class="cell words">image</th>' in section
    assert section.count('class="thumb"') == min(len(out), 30)
    assert '<th class="cell words">outlier score</th>' in section
    assert '<th class="cell words">row</th>' in section
    first = out.sort_values("outlier_score", ascending=False).iloc[0]
    assert f'<td class="cell words">{first["row"]}</td>' in section


def test_datalab_flags_of_the_suspects_share_one_column(digits):
    """Three True/False columns (outlier, near duplicate, conflicting duplicate) made the
    top-50 table wider than the page: one column names the flags an item has."""
    from dataqa.audit.report import _suspects

    frame, _ = digits
    feats = [c for c in frame.columns if c.startswith("px_")]
    res = audit(frame, label_column="label", id_column="id", feature_columns=feats, cv=3,
                progress=False)
    issues = res.issues.copy()
    res.issues["is_outlier"] = res.issues["is_near_duplicate"] = False  # (those set below)
    res.issues.loc[res.issues.index[:2], "is_outlier"] = True  # (flags among the top 50)
    res.issues.loc[res.issues.index[1:3], "is_near_duplicate"] = True
    try:
        table, _ = _suspects(res)
    finally:
        res.issues = issues
    assert "also flagged as" in table.columns
    assert not {"is outlier", "is near duplicate", "is conflicting duplicate"} & set(table.columns)
    assert table["also flagged as"].tolist()[:4] == ["outlier", "outlier, near duplicate",
                                                     "near duplicate", ""]


def test_an_unflagged_copy_is_explained_by_its_set_not_by_cleanlab():
    # a copy cleanlab flagged whose label is its set's likely class is unflagged by the
    # set: the report says so, not a cleanlab count it did not need
    from types import SimpleNamespace

    import pandas as pd

    from dataqa.audit import add_conflicting_duplicates, find_label_issues
    from dataqa.audit.report import _not_flagged_reasons

    rng = np.random.default_rng(0)
    y = np.array([0] * 30 + [1] * 30)
    p1 = np.where(y == 1, rng.uniform(0.55, 0.7, 60), rng.uniform(0.05, 0.3, 60))
    p1[[0, 1]], p1[30] = 0.7, 0.5  # r0, r1 (A) and r30 (B): copies of a B-looking item
    p = np.c_[1 - p1, p1]
    ids = np.array([f"r{i}" for i in range(60)])
    issues = find_label_issues(y, p, ids=ids)
    assert issues.set_index("id").loc[["r0", "r1"], "is_label_issue"].all()
    sets = pd.DataFrame({"set_id": [0], "ids": [["r0", "r1", "r30"]], "rows": [[0, 1, 30]]})
    out, _ = add_conflicting_duplicates(issues, sets, y, p, ids)
    flags = out.set_index("id").loc[["r0", "r1", "r30"], "is_label_issue"].tolist()
    assert flags == [False, False, True]  # the set's likely class is A
    result = SimpleNamespace(table=SimpleNamespace(labels=y, class_names=["A", "B"], ids=ids),
                             pred_probs=p, issues=out)
    assert _not_flagged_reasons(result, np.array([0, 1])) == [
        "its label is the likely class of its set of conflicting copies (half their labels, "
        "half the model), which decides for every copy"] * 2


def test_long_or_many_class_names_are_tilted_to_end_under_their_column():
    from types import SimpleNamespace

    import pandas as pd

    from dataqa.audit.report import _confusion, _issues_per_class

    def figs(names):
        issues = pd.DataFrame({"is_label_issue": True, "given_label": names,
                               "suggested_label": names[::-1]})
        summary = {"class_names": names, "issues_per_class": {n: 1 for n in names},
                   "class_counts": {n: 10 for n in names}}
        r = SimpleNamespace(issues=issues, summary=summary)
        return [f.axes[0].get_xticklabels() for f in (_confusion(r), _issues_per_class(r))]

    for names in ([f"a long class name number {i}" for i in range(3)],
                  [f"c{i}" for i in range(9)]):
        for labels in figs(names):
            assert [t.get_text() for t in labels] == names
            assert {(t.get_rotation(), t.get_ha()) for t in labels} == {(45.0, "right")}
    for labels in figs(["ham", "spam"]):
        assert {(t.get_rotation(), t.get_ha()) for t in labels} == {(0.0, "center")}
