"""HtmlReport tables: which cells may break inside a word."""

from __future__ import annotations

import re

import pandas as pd

from dataqa.report.html import HtmlReport


def test_cells_of_short_words_wrap_between_words_only():
    frame = pd.DataFrame({"id": ["digit-0124"], "kind": ["categorical"],
                          "largest_change": ["-1: 88.1% -> 97.6%"],
                          "text": ["see http://example.com/" + "x" * 60]})
    page = HtmlReport("t").table(frame).render()
    cells = dict(zip(frame.columns, re.findall(r'<td class="([^"]*)">', page), strict=True))
    # a wide table squeezes a cell that may break anywhere to a letter per line
    assert cells == {"id": "nowrap", "kind": "cell words", "largest_change": "cell words",
                     "text": "cell"}
    heads = re.findall(r'<th class="([^"]*)">', page)
    assert heads == ["nowrap", "cell words", "cell words", "cell words"]
    assert ".cell.words{overflow-wrap:normal}" in page and "overflow-wrap:anywhere" in page
    # a run of symbols or CJK characters is wider than its count: 23 of them held a
    # YouTube audit's text column at 289 px, the table wider than the page
    wide = pd.DataFrame({"text": ["▬▬▬▬▬▬▬▬▬▬ஜ۩۞۩ஜ▬▬▬▬▬▬▬▬ subscribe", "東京都渋谷区神南一丁目二番地三号",
                                  "naïve café déjà vu"]})
    page = HtmlReport("t").table(wide).render()
    assert re.findall(r'<td class="([^"]*)">', page) == ["cell", "cell", "cell words"]


def test_wide_columns_keep_a_width_that_holds_their_sentences():
    frame = pd.DataFrame({"window": ["2026-01-05"], "note": ["not tested: fewer than 10 rows"]})
    page = HtmlReport("t").table(frame, wide=("note",)).render()
    assert re.findall(r'<td class="([^"]*)">', page) == ["cell words", "cell words wide"]
    assert re.findall(r'<th class="([^"]*)">', page) == ["cell words", "cell words wide"]
    assert "td.wide,th.wide{min-width:16em}" in page
    # a key of a key-value table breaks between words only ("unlike_s|core" before)
    assert ".kv td:first-child{font-weight:600;overflow-wrap:normal}" in page


def test_long_ids_wrap_in_a_narrow_column_and_short_ones_stay_whole():
    long_id = "z" * 60
    page = HtmlReport("t").table(pd.DataFrame({"id": ["digit-0124", long_id]})).render()
    assert '<td class="nowrap">digit-0124</td>' in page
    assert f'<td class="id">{long_id}</td>' in page
    assert "td.id{min-width:9em;max-width:14em;word-break:break-all" in page
    assert '<meta name="viewport"' in page


def test_backticks_in_a_paragraph_are_code_and_text_is_still_escaped():
    page = HtmlReport("t").paragraph("run `dataqa review plan` <now>", code=True).render()
    assert "run <code>dataqa review plan</code> &lt;now&gt;" in page


def test_backticks_in_data_stay_backticks():
    # a class or column name holding backticks must not turn the sentence into code
    page = HtmlReport("t").paragraph("class `a` moved; column b` <x>").render()
    assert "<p>class `a` moved; column b` &lt;x&gt;</p>" in page
    assert "<code>" not in page.split("<body>")[-1]


def test_shorten_says_where_it_cut():
    from dataqa.report import shorten

    assert shorten("short") == "short"
    cut = shorten("word " * 100, 30)
    assert len(cut) <= 30 and cut.endswith("…") and not cut.endswith(" …")
    assert shorten(None) == "" and shorten(float("nan")) == ""


def test_dollar_signs_in_chart_labels_are_drawn_as_written():
    from matplotlib.text import Text

    from dataqa.report import figure_to_data_uri, subplots

    fig, ax = subplots()
    names = ["under $5", "$5-$10", r"spam_$$ \frac"]  # the last is no valid math at all
    ax.bar(names, [1, 2, 3])
    ax.set_title("cost $ in $")
    assert figure_to_data_uri(fig).startswith("data:image/png;base64,")
    shown = {t.get_text() for t in fig.findobj(Text)}
    assert {"under $5", "$5-$10", "cost $ in $"} <= shown
    assert not any(t.get_parse_math() for t in fig.findobj(Text) if "$" in t.get_text())


def test_a_log_axis_labels_its_ticks_with_plain_numbers():
    """With math parsing off, matplotlib's log tick labels ($\\mathdefault{10^{1}}$) were
    drawn as that raw text."""
    from dataqa.report import figure_to_data_uri, subplots

    fig, ax = subplots()
    ax.hist([0.1, 0.2, 0.2, 0.9] * 30, bins=5)
    ax.set_yscale("log")
    ax.set_xscale("log")
    figure_to_data_uri(fig)
    labels = [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels()]
    assert labels and not any("$" in s or "mathdefault" in s for s in labels)
    assert {"10", "100"} & set(labels) and "0.1" in labels
    big, ax = subplots()
    ax.plot([1, 2], [10, 3_000_000])
    ax.set_yscale("log")
    figure_to_data_uri(big)
    assert "1,000,000" in [t.get_text() for t in ax.get_yticklabels()]
    narrow, ax = subplots()  # within one decade: the minor ticks are labelled
    ax.plot([1, 2], [1_200, 4_000])
    ax.set_yscale("log")
    figure_to_data_uri(narrow)
    minor = [t.get_text() for t in ax.get_yticklabels(minor=True)]
    assert "2,000" in minor and not any("$" in t for t in minor)


def test_control_characters_of_the_data_show_as_their_pictures():
    # \x01, \x07, \x1b are invalid in HTML (a strict parser stops there); tabs and line
    # breaks are kept
    frame = pd.DataFrame({"text": ["bell\x07 esc\x1b[31m one\x01 del\x7f", "a\tb\nc\r"]})
    page = HtmlReport("t\x02").paragraph("p\x00").table(frame).render()
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", page)
    assert "bell\u2407 esc\u241b[31m one\u2401 del\u2421" in page
    assert "a\tb\nc\r" in page and "<title>t\u2402</title>" in page and "p\u2400" in page
    # C1 controls (no pictures of their own): their code
    page = HtmlReport("t").paragraph("next\x85line \x9bcsi \x80").render()
    assert not re.search(r"[\x80-\x9f]", page)
    assert "next[U+0085]line [U+009B]csi [U+0080]" in page
