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
