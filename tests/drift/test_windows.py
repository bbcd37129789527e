"""Windows by time or rows, reference chunks, the timeline."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from dataqa.drift import drift_windows, split_windows
from dataqa.drift.windows import parse_times, window_span
from dataqa.errors import InvalidSettingError, MissingColumnError


def test_split_by_time_and_by_rows():
    cur = pd.DataFrame({"t": ["2026-01-01 10:00", "2026-01-01 23:00", "2026-01-03 01:00",
                              "2026-01-03 02:00", "2026-01-02 05:00"]})
    w = split_windows(cur, time_column="t", window="1D")
    assert [lab for lab, _ in w] == ["2026-01-01 00:00:00", "2026-01-02 00:00:00",
                                     "2026-01-03 00:00:00"]
    assert [idx.tolist() for _, idx in w] == [[0, 1], [4], [2, 3]]
    # times with a zone are compared in UTC, and their labels say so
    z = split_windows(pd.DataFrame({"t": ["2026-01-01T23:30:00-02:00", "2026-01-02T05:00:00Z",
                                          "2026-01-03T00:30:00+01:00"]}),
                      time_column="t", window="1D")
    assert [(lab, idx.tolist()) for lab, idx in z] == [("2026-01-02 00:00:00+00:00", [0, 1, 2])]
    c = split_windows(pd.DataFrame({"a": range(25)}), chunk_size=10)
    assert [idx.tolist() for _, idx in c] == [list(range(10)), list(range(10, 20)),
                                             list(range(20, 25))]


def test_rows_without_a_time_are_in_no_window():
    cur = pd.DataFrame({"t": ["2026-01-01 10:00", None, "2026-01-03 01:00", "  ",
                              "2026-01-02 05:00"]})
    with pytest.warns(UserWarning, match="time column 't' is missing in 2 of 5 current rows "
                                         "\\(rows 2, 4, counted from 1 at the table.s first row\\): "
                                         "they are in no window"):
        w = split_windows(cur, time_column="t", window="1D")
    assert [idx.tolist() for _, idx in w] == [[0], [4], [2]]
    # missing-value texts are missing too, and leave the format's choice alone (day first)
    with pytest.warns(UserWarning, match="missing in 2 of 4 current rows"):
        w = split_windows(pd.DataFrame({"t": ["13/01/2024", "NaT", "null", "14/01/2024"]}),
                          time_column="t", window="1D")
    assert [(lab, idx.tolist()) for lab, idx in w] == [("2024-01-13 00:00:00", [0]),
                                                      ("2024-01-14 00:00:00", [3])]
    with pytest.raises(InvalidSettingError, match="time column 't' is empty"):
        split_windows(pd.DataFrame({"t": ["", " ", "NaT"]}), time_column="t", window="1D")
    # a value that is there but not a time is still an error, named as such
    with pytest.raises(InvalidSettingError, match="1 value\\(s\\) that are not times in the "
                                                  "column's format \\(%Y-%m-%d, as its first "
                                                  "value '2026-01-01' is written; rows 3, "
                                                  "counted"):
        split_windows(cur.assign(t=["2026-01-01", None, "soon", None, "2026-01-02"]),
                      time_column="t", window="1D")
    # parse_times itself refuses missing values unless told to keep them
    from dataqa.drift.windows import parse_times
    with pytest.raises(InvalidSettingError, match="1 value\\(s\\) that are missing or not times"):
        parse_times(pd.Series([1.7e9, np.nan]), "t")
    kept = parse_times(pd.Series([1.7e9, np.nan]), "t", missing="keep")
    assert kept.isna().tolist() == [False, True]
    with pytest.raises(InvalidSettingError, match="missing='drop' is not known"):
        parse_times(pd.Series([1.7e9]), "t", missing="drop")


def test_split_rejects_bad_settings():
    cur = pd.DataFrame({"t": ["2026-01-01", "not a time"], "a": [1, 2]})
    with pytest.raises(InvalidSettingError, match="time column 't' has 1 value\\(s\\) that are "
                                                  "not times in the column's format "
                                                  "\\(%Y-%m-%d, as its first value "
                                                  "'2026-01-01' is written; "
                                                  "rows 2, counted from 1 at the table's first row; "
                                                  "e.g. 'not a time'\\)"):
        split_windows(cur, time_column="t", window="1D")
    with pytest.raises(InvalidSettingError, match="window 'weekly' is not a fixed time span"):
        split_windows(cur, time_column="t", window="weekly")
    with pytest.raises(InvalidSettingError, match="window '1M' is not a fixed time span: months "
                                                  "and years vary in length, so use days"):
        split_windows(cur, time_column="t", window="1M")
    assert window_span("2W") == window_span("14D") == pd.Timedelta(days=14)
    assert window_span(pd.offsets.Day(7)) == window_span("1h30min") * 112
    for bare in ("7", 7):  # pandas would read a bare number as nanoseconds
        with pytest.raises(InvalidSettingError, match="use a number and a unit"):
            window_span(bare)
    for month in ("1MS", "1m", "1Y"):  # 1MS is not milliseconds, 1m not minutes
        with pytest.raises(InvalidSettingError, match="months and years vary in length"):
            window_span(month)
    assert window_span("W") == pd.Timedelta(days=7) and window_span("12h") == pd.Timedelta(hours=12)
    # one broken value among ISO times with and without fractions: only it is named
    iso = pd.DataFrame({"t": ["2015-05-29T02:30:18.971000", "2015-05-28T21:00:08",
                              "2015-05-27T01:00:00.5", "yesterday"]})
    with pytest.raises(InvalidSettingError, match="has 1 value\\(s\\) .* \\(ISO 8601, such as "
                                                  "2026-01-31T08:00; rows 4, counted "
                                                  "from 1 at the table's first row; e.g. 'yesterday'\\)"):
        split_windows(iso, time_column="t", window="1D")
    assert len(split_windows(iso.iloc[:3], time_column="t", window="1D")) == 3
    with pytest.raises(MissingColumnError, match="time column 'ts'"):
        split_windows(cur, time_column="ts", window="1D")
    with pytest.raises(InvalidSettingError, match="either a time window"):
        split_windows(cur, time_column="t", window="1D", chunk_size=10)
    with pytest.raises(InvalidSettingError, match="chunk_size=5 must be an integer >= 10"):
        split_windows(cur, chunk_size=5)


def test_times_as_unix_numbers_and_day_first_dates():
    week = 7 * 86400
    secs = 1_767_225_600 + np.arange(4) * week  # 2026-01-01, then weekly
    for unit, scale in (("s", 1), ("ms", 1000), ("us", 10**6), ("ns", 10**9)):
        w = split_windows(pd.DataFrame({"t": secs * scale}), time_column="t", window="7D")
        assert [idx.tolist() for _, idx in w] == [[0], [1], [2], [3]], unit
        assert w[0][0] == "2026-01-01 00:00:00"
    floats = split_windows(pd.DataFrame({"t": secs + 0.5}), time_column="t", window="14D")
    assert [idx.tolist() for _, idx in floats] == [[0, 1], [2, 3]]
    with pytest.raises(InvalidSettingError, match="time column 't' holds numbers \\(e.g. 1\\) "
                                                  "that are not Unix times in one unit"):
        split_windows(pd.DataFrame({"t": [1, 2, 30]}), time_column="t", window="1D")
    with pytest.raises(InvalidSettingError, match="not Unix times in one unit"):
        # seconds and milliseconds mixed
        split_windows(pd.DataFrame({"t": [secs[0], secs[1] * 1000]}), time_column="t",
                      window="1D")
    with pytest.raises(InvalidSettingError, match="not Unix times in one unit"):
        split_windows(pd.DataFrame({"t": [-secs[0], secs[1]]}), time_column="t", window="1D")
    with pytest.raises(InvalidSettingError, match="time column 't' is empty"):
        split_windows(pd.DataFrame({"t": [np.nan, np.nan]}), time_column="t", window="1D")
    # one format for the whole column, never a guess per value: 02/03 next to 13/01 and an
    # ISO date reads in no single format, and the row that does not fit is named
    with pytest.raises(InvalidSettingError, match="1 value\\(s\\) that are not times "
                                                  "in the column's format \\(%d/%m/%Y, as its "
                                                  "first value '02/03/2024' is written \\(day "
                                                  "first\\); rows 3, counted"):
        split_windows(pd.DataFrame({"t": ["02/03/2024", "13/01/2024", "2024-03-05 10:00"]}),
                      time_column="t", window="1D")
    iso = split_windows(pd.DataFrame({"t": ["2026-01-01 10:00", "2026-01-03",
                                            "2026-01-02T08:00:00+01:00"]}),
                        time_column="t", window="1D")
    assert [lab for lab, _ in iso] == ["2026-01-01 00:00:00+00:00", "2026-01-02 00:00:00+00:00",
                                       "2026-01-03 00:00:00+00:00"]  # one has a zone: UTC
    # 01/02 alone is ambiguous; 13/01 settles the column as day first (1 Feb, 13 Jan)
    dmy = pd.DataFrame({"t": ["01/02/2024 00:10", "13/01/2024 00:10", "20/01/2024 09:00"]})
    w = split_windows(dmy, time_column="t", window="7D")
    assert [lab for lab, _ in w] == ["2024-01-13 00:00:00", "2024-01-20 00:00:00",
                                     "2024-01-27 00:00:00"]
    assert [idx.tolist() for _, idx in w] == [[1], [2], [0]]


def test_windows_alarm_only_where_the_shift_is():
    rng = np.random.default_rng(0)

    def part(n, shift):
        return pd.DataFrame({"a": rng.normal(shift, 1, n), "b": rng.normal(size=n)})
    ref = part(600, 0.0)
    cur = pd.concat([part(150, 0.0), part(150, 0.0), part(150, 1.0)], ignore_index=True)
    cur["ts"] = pd.date_range("2026-03-02", periods=450, freq="h")  # 3 x 150 h ~ 3 weeks
    r = drift_windows(ref, cur, time_column="ts", window="7D", multivariate=("mmd",),
                      n_permutations=99)
    w = r.windows
    assert w["n"].sum() == 450 and "ts" not in r.columns["column"].tolist()
    assert bool(w["drifted"].iloc[-1]) and not w["drifted"].iloc[0]
    assert w["mmd_p_value"].iloc[-1] == pytest.approx(0.01)
    ch = r.reference_chunks
    size = int(np.median(w["n"]))  # chunks of the median window size
    assert len(ch) == 600 // size and (ch["n"] == size).all()
    assert ch["max_effect"].max() < w["max_effect"].iloc[-1]
    assert r.to_dict()["n_drifted_windows"] == int(w["drifted"].sum())
    # each time window has its span and the names of its drifted columns
    assert w["window"].iloc[0] == "2026-03-02 00:00:00"
    assert w["end"].iloc[0] == "2026-03-09 00:00:00"
    assert w["drifted_columns"].iloc[-1] == "a" and w["drifted_columns"].iloc[0] == ""
    assert ch["window"].iloc[0] == f"reference rows 1-{size}"


def test_windows_with_labels_track_the_accuracy(tmp_path):
    rng = np.random.default_rng(1)

    def part(n, priors):
        y = rng.choice(2, n, p=priors)
        x = rng.normal(size=n) + 2.0 * y
        return pd.DataFrame({"x": x, "label": y})
    ref = part(400, [0.5, 0.5])
    cur = pd.concat([part(100, [0.5, 0.5]), part(100, [0.9, 0.1])], ignore_index=True)
    r = drift_windows(ref, cur.drop(columns="label"), chunk_size=100, label_column="label",
                      multivariate=(), n_permutations=49)
    w = r.windows
    assert {"estimated_accuracy", "accuracy_low", "accuracy_high", "label_shift_l1",
            "ood_fraction"} <= set(w.columns)
    assert w["label_shift_l1"].iloc[1] > w["label_shift_l1"].iloc[0]
    assert (w["accuracy_low"] <= w["estimated_accuracy"]).all()
    # each window's share of each class, with its interval: the second window's share
    # of class 0 (drawn at 0.9) is above the reference's 0.5, the first window's is not
    s = r.window_label_shift
    assert list(s.columns) == ["window", "class", "reference_prior", "prior", "low", "high",
                               "moved"]
    assert s["window"].tolist() == ["rows 1-100"] * 2 + ["rows 101-200"] * 2
    assert s["moved"].tolist() == [False, False, True, True]  # (0.9 against 0.5: moved)
    assert s["class"].tolist() == ["0", "1", "0", "1"]
    assert ((s["low"] <= s["prior"]) & (s["prior"] <= s["high"])).all()
    first, second = s.iloc[0], s.iloc[2]
    assert first["low"] <= first["reference_prior"] <= first["high"]
    assert second["low"] > second["reference_prior"] and second["low"] <= 0.9 <= second["high"]
    # the same intervals as label_shift on the window's rows (the reference's part of the
    # bootstrap is drawn once for all windows)
    from dataqa.drift import label_shift

    direct = label_shift(r.reference_probs, r.reference_labels, r.current_probs[100:],
                         n_bootstrap=200, random_state=0)
    assert s.iloc[2:][["low", "high"]].to_numpy() == pytest.approx(
        np.c_[direct["low"], direct["high"]])
    assert s.iloc[2:]["moved"].tolist() == direct["moved"].tolist()
    l1 = s.assign(d=(s["prior"] - s["reference_prior"]).abs()).groupby("window")["d"].sum()
    assert l1.to_numpy() == pytest.approx(w["label_shift_l1"].to_numpy())
    paths = r.save(tmp_path)
    assert pd.read_csv(paths["windows"])["window"].tolist() == ["rows 1-100", "rows 101-200"]
    saved = pd.read_csv(paths["window_label_shift"])
    assert saved[["low", "high"]].to_numpy() == pytest.approx(s[["low", "high"]].to_numpy())
    assert len(r.to_dict()["window_label_shift"]) == 4
    html = paths["report"].read_text()
    assert "Timeline" in html and "Class mix of each window" in html
    assert "0 (reference " in html and f"{second['prior']:.2f} [{second['low']:.2f}, " \
        f"{second['high']:.2f}]*" in html
    # a run without labels leaves no class shares, and sets an earlier run's file aside
    with pytest.warns(UserWarning, match="window_label_shift.csv"):
        paths = drift_windows(ref.drop(columns="label"), cur.drop(columns="label"),
                              chunk_size=100, multivariate=(), n_permutations=49).save(tmp_path)
    assert "window_label_shift" not in paths
    assert not (tmp_path / "window_label_shift.csv").exists()


def test_small_windows_and_a_small_reference_are_said_so(tmp_path):
    import json

    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150)})
    cur = pd.DataFrame({"a": rng.normal(size=129), "b": rng.normal(size=129)})
    cur["ts"] = [*pd.date_range("2026-01-01", periods=120, freq="h"),
                 *pd.date_range("2026-01-20", periods=9, freq="h")]
    r = drift_windows(ref, cur, time_column="ts", window="7D", multivariate=("mmd",),
                      n_permutations=49)
    w = r.windows
    assert w["n"].tolist() == [120, 9] and str(w["n_drifted_columns"].dtype) == "Int64"
    assert w["note"].iloc[1] == "not tested: fewer than 10 rows" and pd.isna(w["drifted"].iloc[1])
    assert r.to_dict()["n_tested_windows"] == 1
    assert pd.isna(w["n_drifted_columns"].iloc[1]) and w["n_drifted_columns"].iloc[0] == 0
    # 150 reference rows hold one chunk of 120: no spread, and the result says why
    assert r.reference_chunks is None
    note = r.settings["reference_chunks_note"]
    assert note.startswith("no reference spread: the reference's 150 rows hold fewer than "
                           "two chunks of 120 rows (the median window)")
    paths = r.save(tmp_path)
    saved = json.loads(paths["json"].read_text())["windows"]
    assert saved[1]["n_drifted_columns"] is None and saved[0]["n_drifted_columns"] == 0
    assert saved[1]["drifted"] is None and saved[0]["drifted"] is False
    assert pd.read_csv(paths["windows"])["n"].tolist() == [120, 9]
    page = paths["report"].read_text()
    assert "No reference spread: the reference&#x27;s 150 rows" in page
    # the untested window is counted, not given a row of its own (they made the table tall)
    assert ("The window with fewer than 10 rows and no labeled row was not tested and is "
            "left out of this table (<code>result.windows</code>, and the "
            "<code>windows.csv</code> of <code>dataqa drift</code>, list every window).") in page
    table = page.split("left out of this table")[1].split("</table>")[0]
    assert '<td class="nowrap">2026-01-01</td>' in table and "2026-01-20" not in table
    assert "a high point on few rows, whose tests are weak, need not alarm" in page
    # a window label never wraps, however long (zoned hourly times have 25 characters)
    from dataqa.report import HtmlReport

    zoned = HtmlReport("t").table(pd.DataFrame({"window": ["2026-01-01 06:00:00+00:00"]}),
                                  one_line=("window",)).render()
    assert '<td class="nowrap">2026-01-01 06:00:00+00:00</td>' in zoned
    assert "the whole-table tests (MMD, classifier) are reported with their own p-values" in page


def test_windows_leave_out_the_columns_detect_drift_leaves_out(tmp_path):
    rng = np.random.default_rng(2)
    n = 200
    ref = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "a": rng.normal(size=n),
                        "day": [f"2025-12-{1 + i % 28:02d}" for i in range(n)],
                        "old": rng.normal(size=n)})
    ids = [f"c{i}" for i in range(n)]
    ids[3] = ids[2]  # one repeated id: still an identifier
    cur = pd.DataFrame({"id": ids, "a": rng.normal(size=n),
                        "day": [f"2026-01-{1 + i % 28:02d}" for i in range(n)],
                        "ts": 1_767_225_600 + np.arange(n) * 3600})
    r = drift_windows(ref, cur, time_column="ts", window="2D", multivariate=("mmd",),
                      n_permutations=49)
    assert r.columns["column"].tolist() == ["a"]
    assert set(r.settings["skipped_columns"]) == {"id", "day", "old"}
    assert not r.windows["drifted"].any()  # no column that differs by design is tested
    # a left-out date that stopped being filled: the whole run compares its missing share
    gaps = drift_windows(ref, cur.assign(day=[d if i < 100 else None
                                              for i, d in enumerate(cur["day"])]),
                         time_column="ts", window="2D", multivariate=(), n_permutations=49)
    assert gaps.columns["column"].tolist() == ["a", "day"]
    assert gaps.columns.set_index("column").loc["day", "drifted"]
    assert gaps.columns.set_index("column").loc["day", "kind"] == "time"
    # ... and so does each window: those after the gap began alarm on it, those before not
    flagged = gaps.windows["drifted_columns"].fillna("").str.contains("day").tolist()
    assert gaps.windows["n"].tolist() == [48, 48, 48, 48, 8]  # the last one is not tested
    assert flagged == [False, False, True, True, False]
    # the windows' time column, when the reference has one, is compared by its missing
    # share in the whole run (each window holds only rows with a time)
    timed = cur.assign(ts=[t if i % 3 else None for i, t in enumerate(cur["ts"])])
    with pytest.warns(UserWarning, match="time column 'ts' is missing in 67 of 200"):
        r = drift_windows(ref.assign(ts=1_764_547_200 + np.arange(n) * 3600), timed,
                          time_column="ts", window="2D", multivariate=(), n_permutations=49)
    row = r.columns.set_index("column").loc["ts"]
    assert row["kind"] == "time" and row["drifted"] and row["missing_current"] == 0.335
    assert r.settings["skipped_columns"]["ts"] == "a time column: the windows' time"
    assert not r.windows["drifted_columns"].fillna("").str.contains("ts").any()
    # every window too small to test: no timeline, and the report says why
    tiny = drift_windows(ref, cur.iloc[:30], time_column="ts", window="5h",
                         multivariate=("mmd",), n_permutations=19)
    assert (tiny.windows["note"] == "not tested: fewer than 10 rows").all()
    html = tiny.to_html(tmp_path / "r.html").read_text()
    assert "No window has 10 rows or more" in html and "No reference spread" not in html
    assert tiny.windows["drifted"].isna().all() and tiny.to_dict()["n_tested_windows"] == 0
    assert tiny.settings["reference_chunks_note"] == (
        "no reference spread: no window has 10 rows or more, so none was tested; use longer "
        "windows or --chunk-size.")


def test_dotted_dates_are_read_day_first_unless_told_otherwise():
    import warnings

    from dataqa.drift.windows import parse_times

    dotted = pd.Series(["06.03.2026 14:00", "07.03.2026 09:30", "01.04.2026 00:00"])
    with pytest.warns(UserWarning, match="every date reads both month first and day first "
                                         "\\(e.g. '06.03.2026 14:00': 03 Jun 2026 or 06 Mar "
                                         "2026\\); read day first, as dotted dates are "
                                         "written. Pass --monthfirst"):
        t = parse_times(dotted, "ts")
    assert t.dt.strftime("%d %b %H:%M").tolist() == ["06 Mar 14:00", "07 Mar 09:30",
                                                      "01 Apr 00:00"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_times(dotted, "ts", dayfirst=False).dt.month.tolist() == [6, 7, 1]
        # only one order reads them all: no warning either way
        assert parse_times(pd.Series(["13.03.2026", "06.03.2026"]), "ts").dt.month.tolist() \
            == [3, 3]
        assert parse_times(pd.Series(["12.25.2026", "06.03.2026"]), "ts").dt.month.tolist() \
            == [12, 6]


def test_ambiguous_dates_warn_and_dayfirst_decides():
    import warnings

    cur = pd.DataFrame({"t": ["01/03/2024", "02/03/2024", "09/03/2024"]})
    with pytest.warns(UserWarning, match="time column 't': every date reads both month first "
                                         "and day first \\(e.g. '01/03/2024': 03 Jan 2024 or "
                                         "01 Mar 2024\\); read month first"):
        w = split_windows(cur, time_column="t", window="7D")
    assert [lab for lab, _ in w] == ["2024-01-03 00:00:00", "2024-01-31 00:00:00",
                                     "2024-08-28 00:00:00"]  # 3 Jan, 3 Feb, 3 Sep
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # deciding silences the warning
        day = split_windows(cur, time_column="t", window="7D", dayfirst=True)
        month = split_windows(cur, time_column="t", window="7D", dayfirst=False)
        iso = split_windows(pd.DataFrame({"t": ["2026-01-02", "2026-01-05"]}), time_column="t",
                            window="1D", dayfirst=True)  # year first: dayfirst does not apply
    assert [idx.tolist() for _, idx in day] == [[0, 1], [2]]  # 1-2 March, then 9 March
    assert [lab for lab, _ in month] == [lab for lab, _ in w]
    assert [lab for lab, _ in iso] == ["2026-01-02 00:00:00", "2026-01-05 00:00:00"]


def test_two_digit_years_and_12_hour_times_are_read_in_one_format():
    import warnings

    from dataqa.drift.windows import parse_times

    def read(values, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return parse_times(pd.Series(values), "ts", **kw).dt.strftime("%Y-%m-%d %H:%M").tolist()

    # three weeks of dd.mm.yy: pandas read 01-12 month first and 13-21 day first, one
    # value at a time (14 windows from January to December)
    assert read(["01.02.26", "12.02.26", "13.02.26", "21.02.26"]) == [
        "2026-02-01 00:00", "2026-02-12 00:00", "2026-02-13 00:00", "2026-02-21 00:00"]
    assert read(["2/13/26 3:04 PM", "2/14/26 11:00 AM", "3/1/26 1:00 PM"]) == [
        "2026-02-13 15:04", "2026-02-14 11:00", "2026-03-01 13:00"]
    assert read(["13-1-26 10:00", "1-2-26 11:00"]) == ["2026-01-13 10:00", "2026-02-01 11:00"]
    # white space around the values (a CSV written "id, t"): read as without it
    assert read([" 01.02.26", "13.02.26 "]) == [
        "2026-02-01 00:00", "2026-02-13 00:00"]
    assert read([" 2/13/2026 3:04 PM", "3/1/2026 1:00 PM "]) == [
        "2026-02-13 15:04", "2026-03-01 13:00"]
    assert read(["01.02.26", "05.02.26"], dayfirst=True) == ["2026-02-01 00:00", "2026-02-05 00:00"]
    with pytest.warns(UserWarning, match="every date reads both month first and day first "
                                         "\\(e.g. '01.02.26': 02 Jan 2026 or 01 Feb 2026\\)"):
        parse_times(pd.Series(["01.02.26", "05.02.26"]), "ts")
    # a date written the other way round is named, not read another way
    with pytest.raises(InvalidSettingError, match="%m/%d/%Y %I:%M %p, as its first value "
                                                  "'2/13/2026 3:04 PM' is written; rows 3.*"
                                                  "'13/2/2026 1:00 PM'"):
        parse_times(pd.Series(["2/13/2026 3:04 PM", "3/1/2026 1:00 PM", "13/2/2026 1:00 PM"]), "ts")
    w = split_windows(pd.DataFrame({"t": ["01.02.26", "08.02.26", "13.02.26", "21.02.26"]}),
                      time_column="t", window="7D")
    assert len(w) == 3 and sum(len(idx) for _, idx in w) == 4


def test_a_time_column_without_times_and_spreadsheet_day_numbers_are_named():
    from dataqa.drift.windows import parse_times

    with pytest.raises(InvalidSettingError, match="time column 'country' holds no times "
                                                  "\\(e.g. 'United-States'\\): name the column"):
        parse_times(pd.Series(["United-States", None, "Mexico"]), "country")
    with pytest.raises(InvalidSettingError, match="look like spreadsheet day numbers .*"
                                                  "origin='1899-12-30'"):
        parse_times(pd.Series([46054.04, 46055.5]), "ts")
    with pytest.raises(InvalidSettingError, match="not Unix times in one unit .*; write the "
                                                  "times as dates") as err:
        parse_times(pd.Series([3.0, 7.0]), "ts")
    assert "spreadsheet" not in str(err.value)
    # one unreadable value among times: named by its row, as before
    with pytest.raises(InvalidSettingError, match="has 1 value\\(s\\) that are missing or not "
                                                  "times .*rows 2"):
        parse_times(pd.Series(["2026-01-02", "United-States", "2026-01-03"]), "ts")


def test_a_window_where_a_column_stopped_being_filled_is_compared_by_its_missing_share():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=60), "c": rng.choice(list("ab"), 60)})
    cur = pd.DataFrame({"x": rng.normal(size=90), "c": rng.choice(list("ab"), 90)})
    cur.loc[:29, "x"] = np.nan  # the first window has no x at all
    r = drift_windows(ref, cur, chunk_size=30, multivariate=("mmd",), n_permutations=20)
    w = r.windows
    assert w["window"].tolist() == ["rows 1-30", "rows 31-60", "rows 61-90"]
    assert w["drifted"].tolist() == [True, False, False]
    assert w["n_drifted_columns"].tolist() == [1, 0, 0]
    # the same comparison by hand: 0 of 60 missing in the reference, 30 of 30 here
    from dataqa.drift import detect_drift

    one = detect_drift(ref, cur.iloc[:30], multivariate=(), _part=True).columns
    x = one.set_index("column").loc["x"]
    assert x["test"] == "fisher (missing share)" and x["missing_current"] == 1.0
    assert x["statistic"] == pytest.approx(1.0)  # share missing: 1 here, 0 in the reference
    # Fisher's exact two-sided p of [[0, 60], [30, 0]]: 1 / C(90, 30)
    from math import comb

    assert x["p_value"] == pytest.approx(1 / comb(90, 30), rel=1e-6)
    assert x["effect"] == pytest.approx(1.0)  # disjoint shares: Jensen-Shannon distance 1
    assert x["p_adjusted"] <= 0.05
    # whole tables still refuse an empty column, naming it
    from dataqa.errors import EmptyDataError

    with pytest.raises(EmptyDataError, match="column 'x' is empty"):
        detect_drift(ref, cur.iloc[:30], multivariate=())


def test_windows_with_labels_and_a_model_to_fit(tmp_path):
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(2)
    y = rng.choice(2, 300)
    ref = pd.DataFrame({"x": rng.normal(size=300) + 2.0 * y, "label": y})
    cur = pd.DataFrame({"x": rng.normal(size=200)})
    r = drift_windows(ref, cur, chunk_size=100, label_column="label",
                      model=KNeighborsClassifier(15), multivariate=(), n_permutations=19)
    assert len(r.windows) == 2 and r.windows["estimated_accuracy"].between(0.6, 1.0).all()
    # the whole run used the given model: k-NN probabilities are multiples of 1/15
    assert np.allclose(np.round(r.current_probs * 15), r.current_probs * 15)
    # the report says what the windows' estimated accuracy assumes
    html = " ".join(r.to_html(tmp_path / "r.html").read_text().split())
    assert ("estimated accuracy, like the whole data&#x27;s, assumes the model errs on its "
            "rows as on the reference") in html


def test_windows_take_any_random_state_detect_drift_takes():
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"x": rng.normal(size=80)})
    cur = pd.DataFrame({"x": rng.normal(size=80)})
    for seed in (None, np.random.default_rng(1)):
        r = drift_windows(ref, cur, chunk_size=40, multivariate=(), random_state=seed)
        assert r.windows["n"].tolist() == [40, 40]
    a = drift_windows(ref, cur, chunk_size=40, multivariate=("mmd",), n_permutations=19,
                      random_state=5)
    b = drift_windows(ref, cur, chunk_size=40, multivariate=("mmd",), n_permutations=19,
                      random_state=5)
    assert a.windows["mmd_p_value"].tolist() == b.windows["mmd_p_value"].tolist()


def test_windows_name_duplicate_columns_and_compare_a_nearly_empty_column():
    from dataqa.errors import InvalidSettingError as Bad

    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60)})
    cur = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60)})
    with pytest.raises(Bad, match="the reference table has more than one column named 'x'"):
        drift_windows(pd.concat([ref, ref[["x"]]], axis=1), cur, chunk_size=30)
    # one value of x left in the first window: Cramer-von Mises needs two, so the window
    # compares the missing share instead of stopping the run
    cur.loc[1:29, "x"] = np.nan
    r = drift_windows(ref, cur, chunk_size=30, numeric_test="cvm", multivariate=())
    assert r.windows["drifted"].tolist() == [True, False]


def test_windows_with_sentence_embeddings_embed_each_text_once(monkeypatch):
    import dataqa.features as features

    asked = []

    def fake(texts, **kw):
        asked.extend(texts)
        return np.array([[len(t), t.count("a"), t.count(" ")] for t in texts], dtype=np.float32)

    monkeypatch.setattr(features, "sentence_embeddings", fake)
    rng = np.random.default_rng(13)
    words = ["a cat", "the dog barks", "rain again today", "a long quiet afternoon", "ok"]
    ref = pd.DataFrame({"text": [f"{rng.choice(words)} {i}" for i in range(90)]})
    cur = pd.DataFrame({"text": [f"{rng.choice(words)} {i}" for i in range(100, 160)]})
    r = drift_windows(ref, cur, chunk_size=20, text_column="text", text_features="embedding",
                      n_permutations=49, progress=False)
    assert len(r.windows) == 3 and r.settings["text_features"] == "embedding"
    assert sorted(asked) == sorted({*ref["text"], *cur["text"]})  # none embedded twice



def test_a_window_s_mmd_compares_it_with_part_of_a_much_larger_reference(monkeypatch):
    """mmd_test's own rule (mmd_rows): a window much smaller than the reference is compared
    with part of it; windows.csv says how many reference rows."""
    import dataqa.drift.twosample as ts

    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    cur = pd.DataFrame({"a": rng.normal(size=90), "b": rng.normal(size=90)})
    cur.loc[60:, "a"] += 1.5  # the third window shifted
    full = drift_windows(ref, cur, chunk_size=30, multivariate=("mmd",), n_permutations=99)
    assert full.windows["mmd_reference_rows"].tolist() == [500, 500, 500]
    monkeypatch.setattr(ts, "MMD_QUADRATIC_MAX", 120)
    monkeypatch.setattr(ts, "MMD_BLOCK_SIZE", 40)
    r = drift_windows(ref, cur, chunk_size=30, multivariate=("mmd",), n_permutations=99)
    w = r.windows
    assert w["mmd_reference_rows"].tolist() == [90, 90, 90]  # 120 pooled rows, quadratic
    assert w["mmd_current_rows"].tolist() == [30, 30, 30]
    assert (r.reference_chunks["mmd_reference_rows"] == 90).all()
    # the column tests still see the whole reference: their p-values do not change
    assert w["min_p_adjusted"].tolist() == full.windows["min_p_adjusted"].tolist()
    assert w["mmd_p_value"].iloc[2] == pytest.approx(0.01) and w["mmd_p_value"].iloc[0] > 0.05
    # the whole table (90 current rows): twice as many reference rows, block estimator
    assert r.multivariate["mmd"]["reference_rows"] == 180
    assert r.multivariate["mmd"]["current_rows"] == 90


def test_reference_chunks_cover_the_whole_reference_and_say_when_they_alarm():
    rng = np.random.default_rng(4)
    # a reference put together from two sources in row order, the second moved
    ref = pd.DataFrame({"a": np.r_[rng.normal(0, 1, 1500), rng.normal(1.0, 1, 1500)],
                        "b": rng.normal(size=3000)})
    cur = pd.DataFrame({"a": rng.normal(0, 1, 200), "b": rng.normal(size=200)})
    r = drift_windows(ref, cur, chunk_size=100, multivariate=())
    ch = r.reference_chunks
    # 10 chunks of 100 rows spread from the first row to the last, not rows 1-1000
    starts = [int(w.split()[2].split("-")[0]) for w in ch["window"]]
    assert len(ch) == 10 and starts[0] == 1 and starts[-1] == 2901
    assert all(b - a >= 100 for a, b in zip(starts, starts[1:], strict=False))
    assert int(ch["drifted"].sum()) >= 5
    note = r.settings["reference_chunks_note"]
    assert note.startswith(f"{int(ch['drifted'].sum())} of 10 reference chunks alarm")
    assert "the reference itself changes along its rows" in note
    # one population: no note
    same = drift_windows(ref.iloc[:1500], cur, chunk_size=100, multivariate=())
    assert not same.reference_chunks["drifted"].any()
    assert "reference_chunks_note" not in same.settings
    # 1,500 rows hold 15 chunks of 100: 10 of them, evenly spaced
    assert same.reference_chunks["window"].iloc[1] == "reference rows 156-255"


def test_a_column_only_one_table_has_is_named_in_a_warning():
    from dataqa.drift import detect_drift

    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"a": rng.normal(size=50), "author": ["x"] * 50})
    cur = pd.DataFrame({"a": rng.normal(size=40), "lang": ["en"] * 40})
    with pytest.warns(UserWarning, match=r"not compared, only in the reference table: 'author'; "
                                         r"only in the current table: 'lang' \(to silence "
                                         r"this, leave them out with --exclude-column COL"):
        r = detect_drift(ref, cur, multivariate=())
    assert r.settings["skipped_columns"] == {"author": "only in the reference table",
                                             "lang": "only in the current table"}
    with pytest.warns(UserWarning, match="not compared"):
        drift_windows(ref, cur, chunk_size=20, multivariate=())
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        detect_drift(ref, cur, feature_columns=["a"], multivariate=())


def test_times_with_a_zone_name_say_to_write_the_offset():
    from dataqa.drift.windows import parse_times

    est = pd.Series([f"2024-01-0{d} 10:00:00 EST" for d in range(1, 5)])
    with pytest.raises(InvalidSettingError, match=(
            r"time column 'when' holds times whose zone is written as a name \(e\.g\. "
            r"'2024-01-01 10:00:00 EST'\)\. A zone's name such as 'EST' is not read .*write "
            r"the offset instead \(2024-01-01 10:00:00-05:00 for 10:00 EST\)")):
        parse_times(est, "when")
    one = pd.Series(["2024-01-01 10:00:00", "2024-01-01 18:00:00 CET", "2024-01-02 10:00:00"])
    with pytest.raises(InvalidSettingError, match=r"rows 2, .*one format such as "
                                                  r"2026-01-31 08:00\. A zone's name such as 'CET'"):
        parse_times(one, "when")
    # UTC and GMT are read; a time without a zone gets no such sentence
    assert parse_times(pd.Series(["2024-01-01 10:00 UTC", "2024-01-01 11:00 GMT"]),
                       "when").dt.hour.tolist() == [10, 11]
    for words in (["2024-01-01 10:00:00", "soon", "2024-01-02 10:00:00"],
                  ["hello there", "meet at 9:30 today", "10:00 Uhr"]):  # (no zone's name)
        with pytest.raises(InvalidSettingError) as exc:
            parse_times(pd.Series(words), "when")
        assert "zone" not in str(exc.value)


def test_times_with_and_without_a_zone_mixed_warn():
    from dataqa.drift.windows import parse_times

    with pytest.warns(UserWarning, match=r"time column 'DATE' mixes times with a time zone "
                                         r"\(e.g. '2015-01-01T10:00:00\+01:00'\) and without "
                                         r"\(e.g. '2015-01-01T10:00:00'\); those without are "
                                         r"read as UTC"):
        t = parse_times(pd.Series(["2015-01-01T10:00:00+01:00", "2015-01-01T10:00:00"]), "DATE")
    assert t.dt.hour.tolist() == [9, 10]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for same in (["2015-01-01T10:00:00Z", "2015-01-02T10:00:00+00:00"],
                     ["2015-01-01 10:00", "2015-01-02"],  # a date alone has no zone
                     ["2015-01-01 10:00-05", "2015-01-01 11:00-05"]):
            parse_times(pd.Series(same), "DATE")


def test_chunks_keep_the_whole_runs_column_kinds():
    # a string column that is categorical for the whole reference but reads as text for
    # the rest beside one chunk: the chunk keeps the whole run's kind (and its features)
    rng = np.random.default_rng(0)

    def long(i):
        return f"this is a fairly long comment number {i:05d} ok"  # 45 characters

    ref = pd.DataFrame({"x": rng.normal(size=200),
                        "s": [long(i) for i in range(130)] + list(rng.choice(["a", "b"], 70))})
    cur = pd.DataFrame({"x": rng.normal(size=40),
                        "s": [long(1000 + i) for i in range(20)] + list(rng.choice(["a", "b"], 20))})
    r = drift_windows(ref, cur, chunk_size=20, multivariate=("mmd",), n_permutations=19)
    assert r.columns.set_index("column").loc["s", "kind"] == "categorical"
    assert len(r.reference_chunks) == 10 and r.reference_chunks["n"].eq(20).all()


def test_the_chunk_note_allows_for_uncorrected_columns(tmp_path):
    # without a correction, a chunk with 20 columns alarms about 64% of the time without
    # drift: that is chance, not a reference that changes
    rng = np.random.default_rng(1)
    cols = [f"c{j}" for j in range(20)]
    ref = pd.DataFrame(rng.normal(size=(2000, 20)), columns=cols)
    cur = pd.DataFrame(rng.normal(size=(400, 20)), columns=cols)
    r = drift_windows(ref, cur, chunk_size=200, multivariate=(), correction="none")
    assert r.reference_chunks["drifted"].sum() >= 3
    assert "reference_chunks_note" not in r.settings
    # a reference that does change is still said so, in a sentence that reads as one
    moved = ref.copy()
    moved.loc[1000:, "c0"] += 1.0
    r = drift_windows(moved, cur, chunk_size=200, multivariate=())
    assert "the reference itself changes along its rows" in r.settings["reference_chunks_note"]
    html = r.to_html(tmp_path / "r.html").read_text()
    assert "for the same reason. Use a reference from one period" in html


def test_the_timeline_draws_no_line_across_a_span_without_data():
    from dataqa.drift.report import timeline_figure

    windows = pd.DataFrame({"window": ["2026-01-01", "2026-01-08", "2026-03-05"],
                            "end": ["2026-01-08", "2026-01-15", "2026-03-12"],
                            "max_effect": [0.1, 0.2, 0.3], "drifted": [False, True, True]})
    fig = timeline_figure(windows, None)
    line, points = fig.axes[0].get_lines()[:2]
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.isnan(y).sum() == 1 and np.isnan(y[2])  # one break, after the second window
    assert np.asarray(points.get_ydata(), dtype=float).tolist() == [0.1, 0.2, 0.3]
    zoned = windows.assign(window=windows["window"] + " 00:00:00+00:00",
                           end=windows["end"] + " 00:00:00+00:00")
    zline = timeline_figure(zoned, None).axes[0].get_lines()[0]
    np.testing.assert_array_equal(np.asarray(zline.get_xdata()), np.asarray(line.get_xdata()))
    rows = pd.DataFrame({"window": ["rows 1-10", "rows 11-20"], "max_effect": [0.1, 0.2],
                         "drifted": [False, False]})
    assert not np.isnan(np.asarray(timeline_figure(rows, None).axes[0].get_lines()[0]
                                   .get_ydata(), dtype=float)).any()


def test_the_timeline_marks_windows_not_tested():
    from dataqa.drift.report import timeline_figure

    windows = pd.DataFrame({"window": ["rows 1-10", "rows 11-20", "rows 21-25"],
                            "max_effect": [0.1, 0.2, np.nan], "drifted": [False, True, None]})
    ax = timeline_figure(windows, None).axes[0]
    marks = {h.get_label(): h for h in ax.collections}
    assert set(marks) == {"drift alarm", "not tested\n(too few rows)"}
    np.testing.assert_array_equal(marks["not tested\n(too few rows)"].get_offsets()[:, 0], [2])
    np.testing.assert_array_equal(marks["drift alarm"].get_offsets()[:, 0], [1])
    tested = windows.iloc[:2]
    assert [h.get_label() for h in timeline_figure(tested, None).axes[0].collections] == [
        "drift alarm"]


def test_the_timeline_names_the_year_not_one_month_under_day_ticks():
    from dataqa.drift.report import timeline_figure

    starts = pd.date_range("2026-01-01", periods=9, freq="7D")
    windows = pd.DataFrame({"window": starts.strftime("%Y-%m-%d"),
                            "end": (starts + pd.Timedelta("7D")).strftime("%Y-%m-%d"),
                            "max_effect": np.linspace(0.1, 0.5, 9), "drifted": [True] * 9})
    fig = timeline_figure(windows, None)
    fig.canvas.draw()
    axis = fig.axes[0].xaxis
    labels = [t.get_text() for t in axis.get_ticklabels()]
    assert labels[:3] == ["Jan", "Jan 08", "Jan 15"] and "Feb" in labels  # over two months
    assert axis.get_major_formatter().get_offset() == "2026"  # (was "2026-Feb")
    # days within one month keep their month too
    days = pd.date_range("2026-02-03", periods=10, freq="1D")
    fig = timeline_figure(windows.iloc[:0].reindex(range(10)).assign(
        window=days.strftime("%Y-%m-%d"), end=(days + pd.Timedelta("1D")).strftime("%Y-%m-%d"),
        max_effect=0.2, drifted=False), None)
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].xaxis.get_ticklabels()]
    assert labels and all(t.startswith("Feb ") for t in labels), labels


def test_reference_chunks_compare_only_columns_the_windows_compare():
    rng = np.random.default_rng(0)
    n = 300
    # a column only the reference has, filled in its first two thirds only: a chunk
    # compared with the rest of the reference would alarm on it, a window never could
    ref = pd.DataFrame({"x": rng.normal(size=n),
                        "legacy": [f"l{i}" if i < 200 else None for i in range(n)]})
    cur = pd.DataFrame({"x": rng.normal(size=n)})
    with pytest.warns(UserWarning, match="only in the reference table: 'legacy'"):
        r = drift_windows(ref, cur, chunk_size=100, multivariate=(), n_permutations=19)
    assert r.columns["column"].tolist() == ["x"]
    assert len(r.reference_chunks) == 3
    assert not r.reference_chunks["drifted_columns"].str.contains("legacy").any()


def test_windows_compare_a_column_of_vectors_position_by_position():
    # short float tuples read as distinct strings, like ids, but are lists of one length
    rng = np.random.default_rng(0)

    def part(n, shift):
        return pd.DataFrame({"vec": [tuple(v) for v in rng.normal(shift, 1, (n, 2)).round(4)],
                             "x": rng.normal(size=n)})

    ref, cur = part(300, 0.0), part(200, 1.0)
    res = drift_windows(ref, cur, chunk_size=100, n_permutations=49)
    assert res.columns["column"].tolist() == ["x", "vec[0]", "vec[1]"]
    assert res.settings["list_columns"] == {"vec": 2} and "vec" not in res.settings[
        "skipped_columns"]
    assert res.windows["drifted_columns"].tolist() == ["vec[0], vec[1]"] * 2


def test_the_report_shows_why_a_window_was_not_tested_next_to_its_size():
    from dataqa.drift.report import _windows_shown

    w = pd.DataFrame({"window": ["2026-01-01 00:00:00", "2026-01-08 00:00:00"],
                      "end": ["2026-01-08 00:00:00", "2026-01-15 00:00:00"], "n": [40, 3],
                      "drifted": [True, pd.NA], "max_effect": [0.3, np.nan],
                      "note": [np.nan, "not tested: fewer than 10 rows"]})
    shown = _windows_shown(w)
    assert list(shown.columns) == ["window", "end", "n", "note", "drifted", "max_effect"]
    assert shown["window"].tolist() == ["2026-01-01", "2026-01-08"]
    zoned = _windows_shown(w.assign(window=w["window"] + "+00:00", end=w["end"] + "+00:00"))
    assert zoned["end"].tolist() == ["2026-01-08 (UTC)", "2026-01-15 (UTC)"]
    hours = _windows_shown(w.assign(window=["2026-01-01 00:00:00", "2026-01-01 12:00:00"]))
    assert hours["window"].tolist() == ["2026-01-01 00:00:00", "2026-01-01 12:00:00"]


def test_windows_csv_has_the_same_columns_whether_or_not_a_window_is_tested(tmp_path):
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150)})
    cur = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    cur["ts"] = pd.date_range("2026-01-01", periods=60, freq="h")
    summary = ["n", "drifted", "n_drifted_columns", "drifted_columns", "max_effect",
               "min_p_adjusted", "mmd_statistic", "mmd_p_value", "mmd_reference_rows",
               "mmd_current_rows"]
    every = drift_windows(ref, cur, time_column="ts", window="1D", n_permutations=19)
    none = drift_windows(ref, cur.iloc[:20], time_column="ts", window="5h", n_permutations=19)
    assert every.windows["drifted"].notna().all() and none.windows["drifted"].isna().all()
    for r, name in ((every, "every"), (none, "none")):
        paths = r.save(tmp_path / name)
        header = paths["windows"].read_text().splitlines()[0]
        assert header.split(",") == ["window", "end", *summary, "note"]
    assert every.windows["note"].isna().all()
    assert none.windows[summary[2:]].isna().all().all()
    assert list(every.reference_chunks.columns) == ["window", *summary]
    # without MMD its columns stay, empty; the report leaves out a column empty everywhere
    no_mmd = drift_windows(ref, cur, chunk_size=30, multivariate=(), n_permutations=19)
    assert list(no_mmd.windows.columns) == ["window", *summary, "note"]
    assert no_mmd.windows["mmd_p_value"].isna().all()
    html = no_mmd.to_html(tmp_path / "r.html").read_text()
    assert "mmd_p_value" not in html and ">note<" not in html
    # with labels: the model's columns too, in every window, tested or not
    y = rng.choice(["ham", "spam"], 150)
    labeled = ref.assign(x=rng.normal(size=150) + 2.0 * (y == "spam"), label=y)
    few = cur.iloc[:20].assign(x=rng.normal(size=20))
    model = ["estimated_accuracy", "accuracy_low", "accuracy_high", "label_shift_l1",
             "ood_fraction", "observed_accuracy", "observed_low", "observed_high", "observed_n"]
    for part, win in ((few, "5h"), (cur.assign(x=rng.normal(size=60)), "1D")):
        r = drift_windows(labeled, part, time_column="ts", window=win, label_column="label",
                          multivariate=(), n_permutations=19)
        assert list(r.windows.columns) == ["window", "end", *summary, *model, "note"]
    assert r.windows["estimated_accuracy"].notna().all()
    assert r.windows["observed_n"].isna().all()  # no current row carries a label


def test_the_format_of_unread_times_comes_from_the_first_value_that_is_one():
    from dataqa.drift.windows import parse_times

    # the first 200 rows not yet timed, then 170 times with fractions of a second
    good = pd.Series(pd.date_range("2026-01-01", periods=170, freq="h")).dt.strftime(
        "%Y-%m-%dT%H:%M:%S.%f")
    values = pd.Series(["n/a yet"] * 200 + good.tolist())
    with pytest.raises(InvalidSettingError) as err:
        parse_times(values, "DATE")
    assert str(err.value) == (
        "time column 'DATE' has 200 value(s) that are missing or not times in the column's "
        "format (%Y-%m-%dT%H:%M:%S.%f, as its first time '2026-01-01T00:00:00.000000' is "
        "written; its first value, 'n/a yet', is not a time; rows 1, 2, 3, 4, 5, ... (+195 "
        "more), counted from 1 at the table's first row; e.g. 'n/a yet'); fix or drop them, writing "
        "every time in one format such as 2026-01-31 08:00.")
    assert "as its first value 'n/a yet'" not in str(err.value)
    # a first value that is a time is named as before
    with pytest.raises(InvalidSettingError, match="\\(%m/%d/%Y, as its first value "
                                                  "'01/02/2026' is written; rows 2, 4"):
        parse_times(pd.Series(["01/02/2026", "zz"] * 6), "t")


@pytest.mark.parametrize("window", ["-7D", " -7D", "-0D", "-1h30min", pd.Timedelta("-1D")])
def test_a_negative_window_is_not_a_positive_span(window):
    with pytest.raises(InvalidSettingError, match=f"window {re.escape(repr(window))} must be a "
                                                  f"positive time span, e.g. 1D or 7D"):
        window_span(window)


def test_the_chunk_alarm_note_counts_what_chance_would_give_out_of_how_many():
    from dataqa.drift.windows import _chunk_alarm_note

    note = _chunk_alarm_note(pd.Series([True] * 10), 0.05, "fdr", 3)
    assert note.startswith("10 of 10 reference chunks alarm against the rest of the "
                           "reference (about 0.5 of the 10 would by chance)")
    assert _chunk_alarm_note(pd.Series([True] + [False] * 9), 0.05, "fdr", 3) is None


def test_a_column_of_prices_as_text_is_warned_of_once_per_run_not_per_chunk():
    import warnings

    rng = np.random.default_rng(0)
    n = 600

    def prices():
        return [f"${v:.2f}" for v in rng.gamma(20, 1, n)]

    ref = pd.DataFrame({"p": prices(), "x": rng.normal(size=n)})
    cur = pd.DataFrame({"p": prices(), "x": rng.normal(size=n)})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        r = drift_windows(ref, cur, chunk_size=200, multivariate=())
    said = [str(w.message) for w in seen if "numbers written as text" in str(w.message)]
    assert len(r.windows) == 3 and len(said) == 1
    assert said[0].startswith("column 'p' (e.g. '$") and "the currency sign '$'" in said[0]


def test_a_placeholder_time_is_warned_of_and_does_not_move_the_windows():
    t = pd.Series(pd.date_range("2024-01-01 05:00", periods=500, freq="h").astype(str))
    t[7] = "1970-01-01 00:00:00"
    df = pd.DataFrame({"t": t, "x": np.arange(500)})
    with pytest.warns(UserWarning, match=r"time column 't' holds 1 placeholder time in the "
                                         r"current rows \(1970-01-01 00:00:00\+00:00, decades "
                                         r"before the others: a missing time written as 0; "
                                         r"rows 8, counted from 1"):
        w = split_windows(df, time_column="t", window="1D")
    keys = [k for k, _ in w]
    assert keys[0] == "1970-01-01 00:00:00" and keys[1] == "2024-01-01 00:00:00"
    assert [len(rows) for _, rows in w][:2] == [1, 18]
    # many of them (2.5%, a column that writes every missing time as 0): the same, and
    # weekly windows still start at the first real day
    many = pd.Series(pd.date_range("2026-03-01 05:00", periods=1200, freq="8min").astype(str))
    many[::40] = "1970-01-01 00:00:00"
    with pytest.warns(UserWarning, match=r"holds 30 placeholder times"):
        w = split_windows(pd.DataFrame({"t": many, "x": np.arange(1200)}), time_column="t",
                          window="7D")
    assert [len(rows) for _, rows in w] == [30, 1170]
    assert [k for k, _ in w] == ["1970-01-01 00:00:00", "2026-03-01 00:00:00"]
    # times of long ago that are the data (a median before 1990): no such warning
    import warnings

    old = pd.DataFrame({"t": pd.date_range("1969-12-25", periods=300, freq="h").astype(str),
                        "x": np.arange(300)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        split_windows(old, time_column="t", window="1D")


@pytest.mark.parametrize("dtype, scale", [(np.float64, 1000), (np.int64, 1)])
def test_a_unix_time_written_as_0_is_a_placeholder_not_another_unit(dtype, scale):
    # milliseconds (floats) or seconds (integers) since 1970, with a 0 for a missing
    # time: the unit is the other times', and the 0 is a placeholder; it was refused as
    # "not Unix times in one unit", quoting a time that is one
    t = pd.Series(((np.arange(50) * 3600 + 1772811260) * scale).astype(dtype))
    t[3] = 0
    df = pd.DataFrame({"t": t, "x": range(50)})
    with pytest.warns(UserWarning, match=r"holds 1 placeholder time .*1970-01-01 00:00:00"
                                         r"\+00:00.*rows 4, counted from 1"):
        w = split_windows(df, time_column="t", window="1D")
    assert [(k, len(r)) for k, r in w] == [("1970-01-01 00:00:00", 1),
                                           ("2026-03-06 00:00:00", 8),
                                           ("2026-03-07 00:00:00", 24),
                                           ("2026-03-08 00:00:00", 17)]
    # numbers of two units are still refused, and the example is the odd one out
    mixed = pd.Series([1772811260000.0] * 5 + [17728112600.0])
    with pytest.raises(InvalidSettingError, match=r"holds numbers \(e.g. 17728112600.0\) that "
                                                  r"are not Unix times in one unit"):
        parse_times(mixed, "t")


def test_missing_value_words_are_no_times_without_a_zone():
    t = pd.Series(pd.date_range("2026-03-01", periods=50, freq="h")
                  .strftime("%Y-%m-%dT%H:%M:%SZ"))
    t[3], t[4] = "null", "NaT"
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        split_windows(pd.DataFrame({"t": t, "x": range(50)}), time_column="t", window="1D")
    said = [str(w.message) for w in seen]
    assert len(said) == 1 and said[0].startswith("time column 't' is missing in 2 of 50")


@pytest.mark.parametrize("zero", ["1969-12-31T19:00:00-05:00", "1970-01-01T00:00:00+02:00"])
def test_a_placeholder_time_with_a_zone_is_found(zero):
    # Unix time 0 shown in a zone, or a zero filled in before a zone was added: within
    # 14 hours of 1970-01-01 00:00 UTC, among times of 2024
    t = pd.Series([f"{s}-05:00" for s in
                   pd.date_range("2024-01-01 05:00", periods=500, freq="h")
                   .strftime("%Y-%m-%dT%H:%M:%S")])
    t[7] = zero
    df = pd.DataFrame({"t": t, "x": np.arange(500)})
    with pytest.warns(UserWarning, match=r"time column 't' holds 1 placeholder time .*rows 8, "
                                         r"counted from 1"):
        w = split_windows(df, time_column="t", window="1D")
    assert [len(rows) for _, rows in w][0] == 1
    assert sum(len(rows) for _, rows in w) == 500


def test_a_time_a_day_after_unix_zero_is_no_placeholder():
    t = pd.Series(pd.date_range("2024-01-01 05:00", periods=500, freq="h")
                  .strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    t[7] = "1970-01-02T00:00:00+00:00"  # (more than 14 hours from it: not taken for one)
    df = pd.DataFrame({"t": t, "x": np.arange(500)})
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        split_windows(df, time_column="t", window="1D")
    assert not any("placeholder" in str(w.message) for w in seen)


def test_times_with_an_offset_are_cut_at_utc_midnight_and_it_is_said():
    local = pd.Series(pd.date_range("2026-03-26", periods=120, freq="h", tz="Europe/Berlin")
                      .strftime("%Y-%m-%dT%H:%M:%S%z")).str.replace(r"(\d\d)(\d\d)$",
                                                                    r"\1:\2", regex=True)
    df = pd.DataFrame({"t": local, "x": np.arange(120)})
    with pytest.warns(UserWarning, match=r"time column 't' holds times with an offset from UTC "
                                         r"\(e\.g\. '2026-03-26T00:00:00\+01:00'\): windows are "
                                         r"cut at midnight UTC"):
        w = split_windows(df, time_column="t", window="1D")
    assert w[0][0] == "2026-03-25 00:00:00+00:00" and len(w[0][1]) == 1
    # UTC times (Z or +00:00), or windows shorter than a day: nothing to say
    import warnings

    utc = pd.DataFrame({"t": pd.date_range("2026-03-26", periods=120, freq="h", tz="UTC")
                        .strftime("%Y-%m-%dT%H:%M:%S+00:00"), "x": np.arange(120)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        split_windows(utc, time_column="t", window="1D")
        split_windows(df, time_column="t", window="6h")
