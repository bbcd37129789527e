import gzip
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from dataqa.data import (
    effective_folds,
    encode_labels,
    file_format,
    load_table,
    make_ids,
    prepare_labeled,
)
from dataqa.errors import (
    DataLoadError,
    DuplicateIdError,
    EmptyDataError,
    FeatureTypeError,
    LabelError,
    MissingColumnError,
    SmallClassError,
    TooFewClassesError,
)


@pytest.fixture
def frame():
    return pd.DataFrame({"id": ["a", "b", "c", "d"], "x": [1.0, 2.0, 3.0, 4.0],
                         "y": [0.5, 0.1, 0.2, 0.3], "label": ["cat", "dog", "cat", "dog"],
                         "text": ["one", "two", "three", "four"]})


@pytest.mark.parametrize("suffix", ["csv", "parquet", "jsonl"])
def test_load_formats_round_trip(tmp_path, frame, suffix):
    path = tmp_path / f"t.{suffix}"
    if suffix == "csv":
        frame.to_csv(path, index=False)
    elif suffix == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_json(path, orient="records", lines=True)
    got = load_table(path)
    assert got["label"].tolist() == frame["label"].tolist()
    assert got["x"].tolist() == frame["x"].tolist()


def test_load_errors(tmp_path):
    with pytest.raises(DataLoadError, match="does not exist"):
        load_table(tmp_path / "missing.csv")
    (tmp_path / "t.xyz").write_text("a")
    with pytest.raises(DataLoadError, match="cannot tell the format"):
        load_table(tmp_path / "t.xyz")
    with pytest.raises(EmptyDataError, match="no rows"):
        load_table(pd.DataFrame({"a": []}))


def test_labels_sorted_class_names(frame):
    labels, names = encode_labels(frame["label"])
    assert names == ["cat", "dog"]
    assert labels.tolist() == [0, 1, 0, 1]
    labels, names = encode_labels([3, 1, 3, 2])
    assert names == [1, 2, 3] and labels.tolist() == [2, 0, 2, 1]


def test_missing_labels_name_count_and_ids(frame):
    frame.loc[[1, 3], "label"] = None
    frame.loc[2, "label"] = "  "
    with pytest.raises(LabelError, match=r"3 missing or empty labels \(rows 2, 3, 4, counted "
                                         r"from 1 at the table's first row; ids 'b', 'c', 'd'\)"):
        prepare_labeled(frame, label_column="label", id_column="id", feature_columns=["x"])


def test_one_class(frame):
    frame["label"] = "cat"
    with pytest.raises(TooFewClassesError, match="only one class \\('cat'\\)"):
        prepare_labeled(frame, label_column="label", feature_columns=["x"])


def test_missing_column_lists_columns(frame):
    with pytest.raises(MissingColumnError, match="label column 'lbl' is not in the table.*id, x, y"):
        prepare_labeled(frame, label_column="lbl")


def test_duplicate_ids(frame):
    frame.loc[1, "id"] = "a"
    copies = pd.DataFrame({"id": ["a", "b", "a", "c", "c"], "x": [1, 2, 1, 3, 4]})
    with pytest.raises(DuplicateIdError, match="2 repeated values: 'a', 'c' \\('a' in rows 1, "
                                               "3; 'c' in rows 4, 5, counted from 1 at the "
                                               "table's first row\\); ids must be unique. 1 row is an "
                                               "exact copy of an earlier row: drop them "
                                               "\\(pandas: df.drop_duplicates\\(\\)\\); then "
                                               "'c' is still held by different rows: choose "
                                               "another id column"):
        make_ids(copies, "id")
    with pytest.raises(DuplicateIdError, match="first row\\); ids must be unique. 'a' is held by "
                                               "different rows"):
        make_ids(pd.DataFrame({"id": ["a", "b", "a"], "x": [1, 2, 3]}), "id")
    with pytest.raises(DuplicateIdError, match="1 repeated value: 'a'"):
        prepare_labeled(frame, label_column="label", id_column="id")
    # copies_ok (drift's current rows): rows repeated whole are kept, their ids suffixed
    with pytest.warns(UserWarning, match="1 row repeats an earlier row whole, id included "
                                         r"\('a' in rows 1, 3, counted"):
        assert make_ids(copies.iloc[:4], "id", copies_ok=True).tolist() == ["a", "b", "a-1",
                                                                            "c"]
    with pytest.raises(DuplicateIdError, match="'c' is still held by different rows"):
        make_ids(copies, "id", copies_ok=True)  # a shared id of different rows: still refused
    # a suffix that is another row's own id: refused as before, without the warning
    clash = pd.DataFrame({"id": ["7", "7", "7-1"], "text": ["a", "a", "b"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DuplicateIdError, match="1 repeated value: '7'"):
            make_ids(clash, "id", copies_ok=True)


def test_non_numeric_feature(frame):
    with pytest.raises(FeatureTypeError, match="'text' of the table are not numeric; encode "
                                               "them as numbers, or name a text column with "
                                               "--text-column"):
        prepare_labeled(frame, label_column="label", feature_columns=["x", "text"])
    # numbers that group their thousands are text: said so
    grouped = frame.assign(views=[f"{k},{k:03d},{k * 7 % 1000:03d}" for k in range(1, len(frame) + 1)])
    with pytest.raises(FeatureTypeError, match="Column 'views' holds numbers that group their "
                                               "thousands \\(e.g. '1,001,007'\\), which are "
                                               "read as text"):
        prepare_labeled(grouped, label_column="label", feature_columns=["x", "views"])


def test_default_features_are_numeric_but_id_and_label(frame):
    t = prepare_labeled(frame, label_column="label", id_column="id")
    assert t.feature_columns == ["x", "y"]
    assert t.ids.tolist() == ["a", "b", "c", "d"]


def test_content_hash_ids_stable_and_unique(frame):
    dup = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    ids1, ids2 = make_ids(dup), make_ids(dup.copy())
    assert ids1.tolist() == ids2.tolist()
    assert len(set(ids1)) == len(ids1)
    assert ids1[4] == ids1[0] + "-1"


def test_content_hash_ids_of_files_as_written_stay_what_they_were(tmp_path):
    # ids are stored in ledgers: a file that did not change keeps its ids. Pinned for a
    # file whose lines end with a delimiter (its empty 'Unnamed' column is hashed, and
    # said) and for JSON whose 'date' column pandas reads as dates
    (tmp_path / "trail.csv").write_text("text,label,\nhello,1,\nbye,0,\n")
    with pytest.warns(UserWarning, match=r"trail.csv': the ids are hashes of each row's "
                                         r"content, which includes the empty column "
                                         r"'Unnamed: 2' \(a delimiter at the end of each "
                                         r"line\): the same rows written without it get other "
                                         r"ids\. Pass an id column"):
        ids = make_ids(load_table(tmp_path / "trail.csv")).tolist()
    assert ids == ["3dde00d182a7ec56", "b06a80fbc1484f99"]
    (tmp_path / "d.json").write_text('[{"text": "a", "date": "2020-01-02", "label": 1}, '
                                     '{"text": "b", "date": "2020-01-03", "label": 0}]')
    table = load_table(tmp_path / "d.json")
    assert pd.api.types.is_datetime64_any_dtype(table["date"])
    assert make_ids(table).tolist() == ["5f6b7d117e881cb4", "f9fea48ddb63cf1e"]


def test_content_hash_ids_are_the_hash_of_each_rows_values():
    # ids are stored in ledgers: they must stay what they were (sha1 over each value's
    # repr and a 0x1f separator, over the values as itertuples gives them)
    import hashlib

    df = pd.DataFrame({
        "a": [1, 2, 2, None], "b": ["x", "ü\t", "ü\t", None], "c": [1.5, np.nan, np.nan, 3.0],
        "d": pd.to_datetime(["2024-01-01", None, None, "2024-02-01"]),
        "e": [True, False, False, True], "f": pd.array([1, None, None, 4], dtype="Int64"),
        "g": pd.Categorical(["p", "q", "q", None]),
        "h": pd.array(["s", None, None, "t"], dtype="string")})

    def digest(row):
        h = hashlib.sha1()
        for v in row:
            h.update(repr(v).encode("utf-8"))
            h.update(b"\x1f")
        return h.hexdigest()[:16]

    rows = [digest(r) for r in df.itertuples(index=False, name=None)]
    assert make_ids(df).tolist() == [rows[0], rows[1], rows[1] + "-1", rows[3]]
    assert make_ids(df.iloc[:, 1:2]).tolist()[:2] == [digest(["x"]), digest(["ü\t"])]
    assert make_ids(df.iloc[:, :0]).tolist() == [digest([]), digest([]) + "-1",
                                                  digest([]) + "-2", digest([]) + "-3"]
    assert make_ids(df.iloc[:0]).tolist() == []
    # two columns of one name: each is hashed once per mention of the name, as before
    twice = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])
    assert make_ids(twice).tolist() == [digest([1, 2, 1, 2]), digest([3, 4, 3, 4])]
    assert make_ids(twice)[0] == "e503a250046b5d28"


def test_small_class_falls_back_with_warning():
    labels = np.array([0] * 10 + [1] * 3)
    with pytest.warns(UserWarning, match="class\\(es\\) 'b' \\(3\\) have fewer members than cv=5: "
                                         "each of their items is predicted by a model that "
                                         "saw only the other\\(s\\) of its class"):
        assert effective_folds(labels, ["a", "b"], 5) == 5
    with pytest.raises(SmallClassError, match="'b' \\(1\\) have fewer than 2 members"):
        effective_folds(np.array([0] * 10 + [1]), ["a", "b"], 5)
    # only the classes of one member are named, not those below cv with more
    with pytest.raises(SmallClassError) as err:
        effective_folds(np.array([0] * 4 + [1] + [2] * 10), ["ham", "spam", "x"], 5)
    assert str(err.value).startswith("class(es) 'spam' (1) have fewer than 2 members")
    # a class without members (class_names lists it) is counted, with no row
    with pytest.raises(SmallClassError, match=r"class\(es\) 'b' \(0\) have fewer than 2") as err:
        effective_folds(np.array([0] * 6 + [2] * 6), ["a", "b", "c"], 5, counted="x")
    assert "among the class names given (API: class_names; --classes where a command has it) "\
        "but in no label" in str(
        err.value) and "typo" not in str(err.value)  # (a one-row class's advice)
    with pytest.raises(SmallClassError) as err:  # both kinds: both pieces of advice
        effective_folds(np.array([0] * 6 + [2]), ["a", "b", "c"], 5)
    assert "often a typo" in str(err.value) and "in no label" in str(err.value)
    # with how the table counts its rows, the row is named
    with pytest.raises(SmallClassError) as err:
        effective_folds(np.array([0] * 4 + [1] + [2] * 10), ["ham", "spam", "x"], 5,
                        counted="counted from line 1")
    assert str(err.value).startswith("class(es) 'spam' (1, row 5) have fewer than 2 members "
                                     "(rows counted from line 1)")


def test_nan_feature_values_named(frame):
    frame.loc[2, "x"] = np.nan
    with pytest.raises(FeatureTypeError, match="'x' of the table have missing values in 1 row "
                                               "\\(row 3, counted from 1 at the table's first "
                                               "row; id 'c'\\)"):
        prepare_labeled(frame, label_column="label", id_column="id")


# --- reading files as users have them -------------------------------------------------

SMS_LIKE = 'ham\tGo until "jurong" point\nspam\tFree entry "now\nham\tOk lar\n'


def test_tsv_without_header_suffix_needs_format(tmp_path):
    path = tmp_path / "SMSCollection"
    path.write_text(SMS_LIKE)
    with pytest.raises(DataLoadError, match="it has no suffix.*pass --format \\(API: format=\\)"):
        load_table(path)
    df = load_table(path, format="tsv", header=False, columns=["label", "text"])
    assert df.columns.tolist() == ["label", "text"]
    # quoting off: a lone quote stays in its cell and does not swallow the next line
    assert df["text"].tolist() == ['Go until "jurong" point', 'Free entry "now', "Ok lar"]
    assert df.attrs["dataqa_source"] == str(path)


def test_no_header_needs_columns_and_matching_count(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text(SMS_LIKE)
    with pytest.raises(DataLoadError, match="pass --columns a,b,..."):
        load_table(path, header=False)
    with pytest.raises(DataLoadError, match="t.tsv' has 2 fields per row but --columns .* names 3"):
        load_table(path, header=False, columns=["a", "b", "c"])


def test_columns_with_header_rename(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("x,y\n1,2\n")
    assert load_table(path, columns=["a", "b"]).columns.tolist() == ["a", "b"]
    with pytest.raises(DataLoadError, match="has 2 columns in its header but --columns .* names 1"):
        load_table(path, columns=["a"])


def test_sep_and_bom(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffid;label\n1;a\n2;b\n".encode())
    df = load_table(path, sep=";")
    assert df.columns.tolist() == ["id", "label"]  # the BOM is not part of the first name
    assert df["label"].tolist() == ["a", "b"]


def test_string_columns_keep_leading_zeros(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,x\n007,1\n7,2\n")
    assert load_table(path, string_columns=["id"])["id"].tolist() == ["007", "7"]
    tsv = tmp_path / "t.txt"
    tsv.write_text("007\t1\n7\t2\n")
    df = load_table(tsv, format="tsv", header=False, columns=["id", "x"], string_columns=["id"])
    assert df["id"].tolist() == ["007", "7"] and df["x"].tolist() == [1, 2]
    js = tmp_path / "t.jsonl"
    js.write_text('{"id": "007", "x": 1}\n{"id": "7", "x": 2}\n')
    assert load_table(js, string_columns=["id"])["id"].tolist() == ["007", "7"]


def test_json_strings_of_codes_with_leading_zeros_stay_text(tmp_path):
    # pandas reads the JSON string "02134" as the number 2134: an isin LF of zip codes
    # then never fired, where the same rows from a CSV file kept them
    import json

    rows = [{"id": f"{i:03d}", "zip": f"0{2100 + i}", "n": str(i), "label": "1" if i % 2 else "0"}
            for i in range(20)]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "t.json").write_text(json.dumps(rows))
    for name in ("t.jsonl", "t.json"):
        with pytest.warns(UserWarning, match=rf"{name}': columns 'id' \(e\.g\. '000'\), 'zip' "
                                             r"\(e\.g\. '02100'\) hold numbers written with "
                                             r"leading zeros"):
            df = load_table(tmp_path / name)
        assert df["zip"].tolist()[:2] == ["02100", "02101"]
        assert df["id"].tolist()[:2] == ["000", "001"]
        # strings of numbers without such zeros are numbers as before (ids unchanged)
        assert df["n"].tolist() == list(range(20)) and df["label"].tolist()[:2] == [0, 1]
    plain = [{"text": f"t{i}", "n": str(i)} for i in range(5)]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in plain))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = load_table(tmp_path / "p.jsonl")
    assert df["n"].tolist() == list(range(5))
    assert make_ids(df).tolist() == make_ids(pd.DataFrame(
        {"text": [f"t{i}" for i in range(5)], "n": range(5)})).tolist()


def test_codes_with_leading_zeros_are_read_as_text(tmp_path):
    from dataqa.data import load_tables

    # zip codes of one width, one with a leading zero: text, said once, ids as before
    path = tmp_path / "t.csv"
    path.write_text("zip,amount,x\n02134,12,0.5\n90210,7,1.5\n,3,2.0\n")
    with pytest.warns(UserWarning, match=r"t\.csv': column 'zip' \(e\.g\. '02134'\) holds "
                                         r"numbers written with leading zeros, as codes are"):
        df = load_table(path)
    assert df["zip"].tolist()[:2] == ["02134", "90210"] and pd.isna(df["zip"][2])
    assert df["amount"].tolist() == [12, 7, 3] and df["x"].dtype == np.float64
    old = tmp_path / "old.csv"  # the same rows as read before: numbers, hashed alike
    old.write_text("zip,amount,x\n2134,12,0.5\n90210,7,1.5\n,3,2.0\n")
    assert make_ids(df).tolist() == make_ids(load_table(old)).tolist()
    # headerless, and a TSV
    tsv = tmp_path / "t.tsv"
    tsv.write_text("007\t1\n123\t2\n")
    with pytest.warns(UserWarning, match=r"column 'code' \(e\.g\. '007'\)"):
        df = load_table(tsv, header=False, columns=["code", "x"])
    assert df["code"].tolist() == ["007", "123"] and df["x"].tolist() == [1, 2]
    # a stray zero among amounts of many widths keeps them numbers (1 of 100, fewer than
    # 3), and so do zero-padded hours, negative numbers and a column of one "00"
    amounts = tmp_path / "a.csv"
    amounts.write_text("v\n007\n" + "\n".join(str(i) for i in range(95, 194)) + "\n")
    (tmp_path / "h.csv").write_text("hour,delta,z\n" + "".join(
        f"{h:02d},-0{h % 10},{'00' if h == 3 else h}\n" for h in range(24)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_table(amounts)["v"].dtype == np.int64
        hours = load_table(tmp_path / "h.csv")
    assert hours["hour"].tolist() == list(range(24))
    assert hours["delta"].dtype == np.int64 and hours["z"].dtype == np.int64
    # a space after the delimiter, a headerless first field, CR line ends: found too
    (tmp_path / "sp.csv").write_text("a,code\r1, 007\r2, 123\r")
    with pytest.warns(UserWarning, match="leading zeros"):
        assert load_table(tmp_path / "sp.csv")["code"].str.strip().tolist() == ["007", "123"]
    (tmp_path / "first.csv").write_text("\ufeff007,1\n123,2\n")
    with pytest.warns(UserWarning, match="leading zeros"):
        first = load_table(tmp_path / "first.csv", header=False, columns=["code", "x"])
    assert first["code"].tolist() == ["007", "123"]
    # a data line ending with a delimiter the header lacks reads as before
    (tmp_path / "trail.csv").write_text("a,b,c\n1,01234,x,\n2,02345,y,\n")
    with pytest.warns(UserWarning, match="leading zeros"):
        trail = load_table(tmp_path / "trail.csv")
    assert trail["b"].tolist() == ["01234", "02345"] and trail["c"].tolist() == ["x", "y"]
    # renamed columns: ids as before, the record under the new name
    renamed = load_table(path, columns=["postal", "amount", "x"])
    assert renamed["postal"].tolist()[:2] == ["02134", "90210"]
    assert make_ids(renamed).tolist() == make_ids(load_table(old, columns=["postal", "amount",
                                                                            "x"])).tolist()
    # decimals such as 0.5 and the number 0 are no codes
    (tmp_path / "f.csv").write_text("v\n0.5\n0\n10\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_table(tmp_path / "f.csv")["v"].tolist() == [0.5, 0.0, 10.0]
    # files read as one table: a file whose codes happen to have no zero reads them as
    # text too (as written), so the column is of one kind
    def folder_read(name, *files):
        folder = tmp_path / name
        folder.mkdir()
        for i, text in enumerate(files):
            (folder / f"{i}.csv").write_text(text)
        with pytest.warns(UserWarning, match="leading zeros"):
            return load_tables(folder)

    both = folder_read("days", "zip,x\n02134,1\n01002,2\n", "zip,x\n90210,1\n94103,2\n")
    assert both["zip"].tolist() == ["02134", "01002", "90210", "94103"]
    # numbers with a fraction in the other file are no codes: each file as it reads
    mixed = folder_read("scores", "score\n005\n010\n007\n", "score\n7.5\n0.5\n12\n")
    assert mixed["score"].tolist() == ["005", "010", "007", 7.5, 0.5, 12.0]


def test_binary_files_read_as_text_are_named_for_what_they_are(tmp_path):

    frame = pd.DataFrame({"id": ["a", "b"], "x": [1.0, 2.0]})
    pq = tmp_path / "t.csv"  # a Parquet file behind a .csv name
    frame.to_parquet(pq)
    with pytest.raises(DataLoadError, match="'.*t.csv' is not a text table: its first bytes "
                                            "are those of a Parquet file; pass --format parquet"):
        load_table(pq)
    assert load_table(pq, format="parquet")["x"].tolist() == [1.0, 2.0]
    gz = tmp_path / "t.tsv"  # gzip's bytes behind a .tsv name are read through gzip
    gz.write_bytes(gzip.compress(b"id\tx\na\t1\n"))
    assert load_table(gz).to_dict("list") == {"id": ["a"], "x": [1]}
    xlsx = tmp_path / "sheet.csv"
    xlsx.write_bytes(b"PK\x03\x04" + bytes(60))
    with pytest.raises(DataLoadError, match="a zip archive \\(an Excel .xlsx workbook is one\\)"):
        load_table(xlsx)


def test_a_file_of_utf8_then_cp1252_text_is_named_as_mixed(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("text,label\ncaf\u00e9 au lait,1\n".encode("utf-8")
                     + "na\u00efve \u20ac5,0\n".encode("cp1252"))
    with pytest.raises(DataLoadError, match=r"mixed\.csv' mixes two encodings: byte 0xef at "
                                            r"byte offset 29 \(line 3\) is not UTF-8, but the bytes before "
                                            r"it are, with non-ASCII characters \(e\.g\. "
                                            r"'\u00e9' at byte offset 14\).*cp1252 reads "
                                            r"'\u00e9' as '\u00c3\u00a9'"):
        load_table(path)
    # a UTF-8 file cut off inside its last character: named as cut short
    cut = tmp_path / "cut.csv"
    cut.write_bytes("text,label\ncaf\u00e9,1\nna\u00efve".encode("utf-8")[:-3])
    with pytest.raises(DataLoadError, match=r"cut\.csv' ends inside a UTF-8 character \(byte "
                                            r"0xc3 at byte offset 21 starts one that the file's "
                                            r"end cuts short\)"):
        load_table(cut)
    # one stray byte in UTF-8 text: the usual hint, not a mixed file
    stray = tmp_path / "stray.csv"
    stray.write_bytes("text,label\ncaf\u00e9,1\n".encode("utf-8") + b"a\x92b,0\n")
    with pytest.raises(DataLoadError, match=r"stray\.csv' is not valid UTF-8: byte 0x92"):
        load_table(stray)
    # one encoding throughout, after a byte-order mark: the cp1252 hint as before
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + "text,label\nna\u00efve,0\n".encode("cp1252"))
    with pytest.raises(DataLoadError, match="is not valid UTF-8: byte 0xef at byte offset 16"):
        load_table(bom)


def test_not_utf8_names_offset_and_suggests_encoding(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("id,text\n1,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataLoadError, match=r"byte 0xe9 at byte offset 13 .*--encoding cp1252 "
                                            r"\(as Windows and Excel save text; latin-1 reads "
                                            r"these bytes alike\)"):
        load_table(path)
    assert load_table(path, encoding="latin-1")["text"].tolist() == ["caf\u00e9"]
    # a Windows export's dash or curly quote is a control character in latin-1
    (tmp_path / "w.csv").write_bytes("id,text\n1,a \u2014 b\n".encode("cp1252"))
    with pytest.raises(DataLoadError, match="byte 0x97 at byte offset 12 \\(line 2\\) cannot be decoded; "
                                            "pass its encoding, e.g. --encoding cp1252 \\(as "
                                            "Windows and Excel save text"):
        load_table(tmp_path / "w.csv")
    assert load_table(tmp_path / "w.csv", encoding="cp1252")["text"].tolist() == ["a \u2014 b"]
    u16 = tmp_path / "u16.csv"
    u16.write_text("id,text\n1,caf\u00e9\n", encoding="utf-16")
    with pytest.raises(DataLoadError, match="UTF-16 byte-order mark.*--encoding utf-16"):
        load_table(u16)
    assert load_table(u16, encoding="utf-16")["text"].tolist() == ["caf\u00e9"]
    u16le = tmp_path / "le.csv"
    u16le.write_bytes("id,text\n1,a\n".encode("utf-16-le"))
    with pytest.raises(DataLoadError, match="NUL byte at byte offset 1.*--encoding utf-16"):
        load_table(u16le)
    # UTF-8 text with a stray NUL is told so (not sent to UTF-16, nor called binary)
    (tmp_path / "nul.csv").write_bytes(b"id,text\n1,hello\x00 world\n2,b\n")
    with pytest.raises(DataLoadError, match="holds a NUL byte at byte offset 15 in what is "
                                            "otherwise UTF-8 text: remove it"):
        load_table(tmp_path / "nul.csv")
    # UTF-16 without a byte-order mark: the byte order is named
    (tmp_path / "be.csv").write_bytes("id,text\n1,a\n".encode("utf-16-be"))
    with pytest.raises(DataLoadError, match="--encoding utf-16-be"):
        load_table(tmp_path / "be.csv")
    assert load_table(tmp_path / "be.csv", encoding="utf-16-be")["text"].tolist() == ["a"]
    # binary files are not sent to UTF-16 (which then fails to decode them)
    rng = np.random.default_rng(0)
    noise = tmp_path / "noise.csv"
    noise.write_bytes(b"id,text\n" + bytes(rng.integers(0, 256, 3000, dtype=np.uint8)) + b"\x00")
    with pytest.raises(DataLoadError, match="is not a text table: it holds a NUL byte at byte "
                                            "offset \\d+ and does not read as UTF-16 text "
                                            "either, as binary files"):
        load_table(noise)
    for magic, kind in ((b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"%PDF-1.7\n", "a PDF document"),
                        (b"SQLite format 3\x00", "an SQLite database")):
        (tmp_path / "b.csv").write_bytes(magic + b"\x00" * 100)
        with pytest.raises(DataLoadError, match=f"its first bytes are those of {kind}"):
            load_table(tmp_path / "b.csv")
    # a web page saved instead of the table (a login page behind a download link)
    (tmp_path / "page.csv").write_text("\n<!DOCTYPE html>\n<html><body><p>Please log in, to "
                                       "download</p></body></html>\n")
    with pytest.raises(DataLoadError, match="its first bytes are those of a web page \\(HTML\\)"):
        load_table(tmp_path / "page.csv")
    # ... but a headerless table whose first field is HTML is a table
    (tmp_path / "snip.csv").write_text("".join(f"<html><b>offer {i}</b></html>,spam\n"
                                               for i in range(3)))
    snips = load_table(tmp_path / "snip.csv", header=False, columns=["html", "label"])
    assert snips["html"].tolist()[1] == "<html><b>offer 1</b></html>"
    long_field = "<html><body>" + "Dear customer " * 60 + "</body></html>,spam\n"
    (tmp_path / "long.csv").write_text(long_field * 2)
    assert len(load_table(tmp_path / "long.csv", header=False, columns=["html", "label"])) == 2
    (tmp_path / "page2.csv").write_text('<html\n  lang="en"><head><title>Sign in</title></head>'
                                        '<body>x</body></html>\n')
    with pytest.raises(DataLoadError, match="those of a web page"):
        load_table(tmp_path / "page2.csv")
    # Latin-1 (cp1252) text with a stray NUL is told to remove it and name the encoding
    latin = ("id,text\n" + "".join(f"{i},caf\u00e9 cr\u00e8me\n" for i in range(20)))
    raw = latin.encode("latin-1")
    (tmp_path / "lat.csv").write_bytes(raw[:30] + b"\x00" + raw[30:])
    with pytest.raises(DataLoadError, match="holds a NUL byte at byte offset 30 in what is "
                                            "otherwise text, though not UTF-8 .*remove it .*"
                                            "--encoding cp1252"):
        load_table(tmp_path / "lat.csv")
    # a stray NUL in a gzip file: the command to remove it decompresses first
    (tmp_path / "nul.csv.gz").write_bytes(gzip.compress(b"id,text\n1,hello\x00 world\n"))
    with pytest.raises(DataLoadError, match=r"once gzip-decompressed holds a NUL byte at byte "
                                            r"offset 15 .*zcat FILE \| tr -d"):
        load_table(tmp_path / "nul.csv.gz")
    # UTF-16 without a byte-order mark inside a gzip file: the offset is the decompressed one
    (tmp_path / "le.csv.gz").write_bytes(gzip.compress("id,text\n1,a\n".encode("utf-16-le")))
    with pytest.raises(DataLoadError, match="NUL byte at byte offset 1 once gzip-decompressed, "
                                            "as UTF-16 files without a byte-order mark do"):
        load_table(tmp_path / "le.csv.gz")


def test_bad_options(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(DataLoadError, match="apply to csv and tsv files"):
        load_table(path, sep=";")
    # an encoding means nothing to a Parquet file (its text is UTF-8): ignored, as a
    # folder of Parquet files beside a CSV reference read with --encoding needs
    assert load_table(path, encoding="cp1252")["a"].tolist() == [1]
    with pytest.raises(DataLoadError, match="unknown format 'xls'"):
        load_table(path, format="xls")
    csvp = tmp_path / "t.csv"
    csvp.write_text("a\n1\n")
    with pytest.raises(DataLoadError, match="unknown encoding 'nope'"):
        load_table(csvp, encoding="nope")
    with pytest.raises(DataLoadError, match="repeats a name"):
        load_table(csvp, header=False, columns=["a", "a"])


def test_duplicate_id_message_names_file(tmp_path):
    path = tmp_path / "comments.csv"
    path.write_text("id,label,x\na,0,1\na,1,2\nb,1,3\n")
    with pytest.raises(DuplicateIdError, match="id column 'id' of '.*comments.csv' has 1 repeated value: 'a'"):
        prepare_labeled(path, label_column="label", id_column="id")
    with pytest.raises(DuplicateIdError, match="id column 'id' of dev table has"):
        make_ids(load_table(path), "id", source="dev table")


def test_read_options():
    from dataqa._cli_utils import read_options
    from dataqa.errors import InvalidSettingError

    assert read_options("TSV", "\\t", True, "label, text", None) == {
        "format": "tsv", "sep": "\t", "header": False, "columns": ["label", "text"]}
    assert read_options(None, None, False, None, "latin-1") == {"encoding": "latin-1"}
    with pytest.raises(InvalidSettingError, match="--no-header needs --columns"):
        read_options(None, None, True, None, None)
    with pytest.raises(InvalidSettingError, match="--format 'xls' is not known"):
        read_options("xls", None, False, None, None)
    with pytest.raises(InvalidSettingError, match="--columns 'a,,b' has an empty name"):
        read_options(None, None, False, "a,,b", None)
    with pytest.raises(InvalidSettingError, match="--encoding 'nope' is not a known encoding"):
        read_options(None, None, False, None, "nope")


@pytest.mark.parametrize("chunk", [3, 4, 5, 64])
def test_utf8_check_reads_in_chunks_and_keeps_offsets(tmp_path, monkeypatch, chunk):
    import dataqa.data as data_module

    monkeypatch.setattr(data_module, "_UTF8_CHUNK", chunk)
    good = "id,text\n1,caf\u00e9 \u20ac \U0001f600\n2,ok\n".encode()
    path = tmp_path / "t.csv"
    path.write_bytes(good)
    assert load_table(path)["text"].tolist() == ["caf\u00e9 \u20ac \U0001f600", "ok"]
    # a multi-byte character cut short anywhere, and a stray byte at the end
    for at in (12, 15, len(good) - 4):
        bad = good[:at] + b"\xe2" + good[at:] if good[at - 1] < 0x80 else good[:at] + b"\x80" + good[at:]
        expected = None
        try:
            bad.decode("utf-8")
        except UnicodeDecodeError as exc:
            expected = exc.start
        path.write_bytes(bad)
        line = bad[:expected].count(b"\n") + 1  # (counted across the chunks read)
        with pytest.raises(DataLoadError, match=f"at byte offset {expected} \\(line {line}\\) "
                                                f"(cannot be decoded|is not UTF-8)"):
            load_table(path)
    path.write_bytes(good + b"\xc3")
    with pytest.raises(DataLoadError, match=f"byte 0xc3 at byte offset {len(good)} "):
        load_table(path)


def test_ids_that_look_missing_stay_ids(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,x,label\nNA,1,a\nnull,NA,b\nNone,3,a\n")
    df = load_table(path, string_columns=["id"])
    assert df["id"].tolist() == ["NA", "null", "None"]
    assert df["x"].isna().tolist() == [False, True, False]  # other columns keep pandas' rules
    tsv = tmp_path / "t.tsv"
    tsv.write_text("NA\t1\ta\n\t2\tb\n")
    df = load_table(tsv, header=False, columns=["id", "x", "label"], string_columns=["id"])
    assert df["id"].iloc[0] == "NA" and pd.isna(df["id"].iloc[1])  # only empty is missing


def test_labels_and_texts_that_look_missing_stay_text(tmp_path):
    # a class named "None", messages reading "null" or "NA": text, not missing cells
    from dataqa.data import prepare_labeled

    path = tmp_path / "t.csv"
    rows = [f"{i},{t},{lab},{x}" for i, (t, lab, x) in enumerate(
        [("null", "None", "NA"), ("NA", "EU", "1"), ("ok", "None", "2"), ("fine", "EU", "3"),
         ("None", "None", "4"), ("yes", "EU", "5")] * 2)]
    path.write_text("id,text,label,x\n" + "\n".join(rows) + "\n")
    with pytest.warns(UserWarning, match=r"label column 'label' of '.*t\.csv' holds 'None' "
                                         r"\(6 rows\), read as a class name"):
        table = prepare_labeled(path, label_column="label", text_column="text",
                                id_column="id")
    assert table.class_names == ["EU", "None"]
    assert table.frame["text"].tolist()[:2] == ["null", "NA"]
    raw = load_table(path, text_columns=["text", "label"])
    assert raw["x"].isna().sum() == 2  # other columns keep pandas' rules
    assert raw["label"].tolist()[:2] == ["None", "EU"]
    tsv = tmp_path / "t.tsv"
    tsv.write_text("NA\tNone\n\tEU\n")
    df = load_table(tsv, header=False, columns=["text", "label"], text_columns=["text", "label"])
    assert df["text"].iloc[0] == "NA" and pd.isna(df["text"].iloc[1])  # only empty is missing
    assert df["label"].tolist() == ["None", "EU"]


def test_columns_left_unused_are_named(tmp_path):
    from dataqa.data import prepare_labeled

    df = pd.DataFrame({"id": [f"i{k}" for k in range(8)], "text": list("abcdefgh"),
                       "label": ["x", "y"] * 4, "n": range(8), "m": [0.5] * 8,
                       "chan": ["a", "b"] * 4})
    with pytest.warns(UserWarning, match=r"the table: not used, as they are not numeric: "
                                         r"'text', 'chan'; the features are the numeric "
                                         r"columns \('n', 'm'\)\. A free-text column is used "
                                         r"with --text-column"):
        t = prepare_labeled(df, label_column="label", id_column="id")
    assert t.feature_columns == ["n", "m"]
    with pytest.warns(UserWarning, match=r"the numeric column\(s\) 'n', 'm' are not used "
                                         r"beside the text column 'text'; add them with "
                                         r"--feature-column"):
        t = prepare_labeled(df, label_column="label", id_column="id", text_column="text")
    assert t.feature_columns == []
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # everything named: nothing to say
        prepare_labeled(df, label_column="label", id_column="id", text_column="text",
                        feature_columns=["n", "m"])
        prepare_labeled(df[["id", "label", "n"]], label_column="label", id_column="id")


def test_mixed_label_spellings_and_a_forgotten_id_column_are_warned_of(tmp_path):
    from dataqa.data import prepare_labeled

    path = tmp_path / "m.csv"
    pd.DataFrame({"comment_id": [f"c{k}" for k in range(8)], "n": range(8),
                  "label": ["ham", "spam", "0", "1"] * 2}).to_csv(path, index=False)
    with pytest.warns(UserWarning) as caught:
        prepare_labeled(path, label_column="label")
    said = [str(w.message) for w in caught]
    assert (f"label column 'label' of {str(path)!r} mixes class numbers ('0', '1') and class "
            f"names ('ham', 'spam'), 4 classes in all; if numbers and names spell the same "
            f"classes, write every label one way.") in said
    assert (f"{str(path)!r}: no id column named, so the items get content hashes as ids; "
            f"column 'comment_id' holds a distinct value in every row: pass --id-column "
            f"comment_id (API: id_column='comment_id') to keep the table's own ids in the "
            f"results.") in said
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one spelling, the ids named: nothing to say
        prepare_labeled(pd.read_csv(path).assign(label=["a", "b"] * 4), label_column="label",
                        id_column="comment_id")
        # names that merely end in "id", and float columns, are no id columns
        prepare_labeled(pd.DataFrame({"amount_paid": [f"p{k}" for k in range(8)],
                                      "valid": range(8), "android": [f"a{k}" for k in range(8)],
                                      "score_id": np.linspace(0, 1, 8), "n": range(8),
                                      "label": ["a", "b"] * 4}),
                        label_column="label", feature_columns=["n"])


def test_an_id_column_with_a_few_repeated_rows_is_warned_of():
    """YouTube's spam files hold 3 comments twice, whole: COMMENT_ID is then not unique,
    and the items silently got content hashes as ids."""
    from dataqa.data import prepare_labeled

    frame = pd.DataFrame({"COMMENT_ID": [f"z{k}" for k in range(200)],
                          "CONTENT": [f"message number {k}" for k in range(200)],
                          "CLASS": [k % 2 for k in range(200)]})
    twice = pd.concat([frame, frame.iloc[[3, 7]]], ignore_index=True)
    with pytest.warns(UserWarning, match=r"no id column named, so the items get content hashes "
                                         r"as ids; column 'COMMENT_ID' looks like the table's "
                                         r"ids but repeats 2 values \(in rows that repeat an "
                                         r"earlier row whole\). To keep its ids in the results, "
                                         r"drop the repeated rows .* --id-column COMMENT_ID"):
        prepare_labeled(twice, label_column="CLASS", text_column="CONTENT")
    other = twice.copy()
    other.loc[201, "CONTENT"] = "another message"
    with pytest.warns(UserWarning, match=r"repeats 2 values \(1 in rows that repeat an earlier "
                                         r"row whole\)"):
        prepare_labeled(other, label_column="CLASS", text_column="CONTENT")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # more than 1% repeated: a column of users or threads, not of row ids
        users = frame.assign(user_id=[f"u{k % 150}" for k in range(200)])
        prepare_labeled(users.drop(columns="COMMENT_ID"), label_column="CLASS",
                        text_column="CONTENT")


def test_write_csv_atomic_gives_the_usual_permissions(tmp_path):
    import os

    from dataqa._cli_utils import write_csv_atomic

    old = os.umask(0o022)
    try:
        write_csv_atomic(pd.DataFrame({"a": [1, 2]}), tmp_path / "sub" / "out.csv")
    finally:
        os.umask(old)
    out = tmp_path / "sub" / "out.csv"
    assert out.read_text() == "a\n1\n2\n"
    assert oct(out.stat().st_mode & 0o777) == oct(0o644)
    assert [p.name for p in out.parent.iterdir()] == ["out.csv"]  # no temporary file left


def test_a_file_read_with_the_wrong_delimiter_names_the_right_one(tmp_path):
    from dataqa.errors import DataLoadError

    (tmp_path / "semi.csv").write_text("a;b;c\n1;2;3\n")
    with pytest.raises(DataLoadError, match="read as one column named 'a;b;c', which looks like "
                                            "fields separated by ';': pass --sep ';'"):
        load_table(tmp_path / "semi.csv")
    assert load_table(tmp_path / "semi.csv", sep=";").columns.tolist() == ["a", "b", "c"]
    (tmp_path / "tabs.csv").write_text("a\tb\n1\t2\n")
    with pytest.raises(DataLoadError, match=r"separated by tabs: pass --sep tab \(or --format tsv\)"):
        load_table(tmp_path / "tabs.csv")
    # one real column whose values hold a semicolon is fine
    (tmp_path / "one.csv").write_text("text\nhello; world\n")
    assert load_table(tmp_path / "one.csv")["text"].tolist() == ["hello; world"]
    # a ';' file whose texts hold commas fails to parse as CSV: the header names the fix
    (tmp_path / "texts.csv").write_text("id;text;label\n1;fine;0\n2;one, two, three;1\n")
    with pytest.raises(DataLoadError, match=r"rows 2 \(3 fields\), counted from 1 after the "
                                            r"header\. Its header line holds no ',' but 2 ';': "
                                            r"pass --sep ';'"):
        load_table(tmp_path / "texts.csv")
    assert load_table(tmp_path / "texts.csv", sep=";")["text"].tolist() == ["fine", "one, two, three"]
    # one tab is "a tab", not "1 tabs"
    (tmp_path / "tab2.csv").write_text("text\tlabel\nfine\t0\none, two, three\t1\n")
    with pytest.raises(DataLoadError, match=r"Its header line holds no ',' but a tab: pass --sep tab"):
        load_table(tmp_path / "tab2.csv")


def test_a_header_naming_a_column_twice_is_refused(tmp_path):
    (tmp_path / "dup.csv").write_text("label,length,length\nham,1,2\nspam,3,4\n")
    with pytest.raises(DataLoadError, match="names the column 'length' twice in its header "
                                            "\\(field 2 and field 3\\); rename one"):
        load_table(tmp_path / "dup.csv")
    # --columns renames them, so the file reads
    df = load_table(tmp_path / "dup.csv", columns=["label", "a", "b"])
    assert df.columns.tolist() == ["label", "a", "b"] and df["b"].tolist() == [2, 4]


def test_tsv_rows_with_too_few_fields_are_named(tmp_path):
    # a text with a line break, quoted by the writer: read with quoting off it splits its row
    pd.DataFrame({"label": ["ham", "spam", "ham"], "text": ["hi", "win\nnow", "ok"]}).to_csv(
        tmp_path / "broken.tsv", sep="\t", header=False, index=False)
    with pytest.raises(DataLoadError, match="rows with fewer fields than its 2 columns beside "
                                            "an unclosed quote \\(data rows 3, counted from 1 "
                                            "after any header\\).*--format csv --sep tab"):
        load_table(tmp_path / "broken.tsv", header=False, columns=["label", "text"])
    df = load_table(tmp_path / "broken.tsv", format="csv", sep="\t", header=False,
                    columns=["label", "text"])
    assert df["text"].tolist() == ["hi", "win\nnow", "ok"]
    # an empty last field is a field: the row is whole; a writer that leaves out trailing
    # empty fields (no stray quote) is read as before
    (tmp_path / "empty.tsv").write_text("label\ttext\nham\t\nspam\tx\n")
    assert load_table(tmp_path / "empty.tsv")["text"].isna().tolist() == [True, False]
    (tmp_path / "trailing.tsv").write_text('id\ttext\tnote\n1\thello "you"\tok\n2\tworld\n3\n')
    assert load_table(tmp_path / "trailing.tsv")["note"].isna().tolist() == [False, True, True]
    # a header whose names differ only by a space is two columns, as pandas reads it
    (tmp_path / "spaced.csv").write_text("a, a\n1,2\n")
    assert load_table(tmp_path / "spaced.csv").columns.tolist() == ["a", " a"]



def test_tab_delimited_rows_swallowed_by_a_quote_are_refused(tmp_path):
    # an unquoted file whose text starts with a quote, read with quoting on: the quote
    # runs on to the next '"' and the rows between become part of one text
    (tmp_path / "raw.txt").write_text('ham\thi\nspam\t"win now\nham\tsee you\nham\tok" he said\n'
                                      'ham\tbye\n')
    with pytest.raises(DataLoadError, match="field 2 \\('text'\\) of data row 2 .*runs over "
                                            "3 lines.*looks like a row of the file "
                                            "\\('ham\\\\tsee you'\\).*--format tsv"):
        load_table(tmp_path / "raw.txt", format="csv", sep="\t", header=False,
                   columns=["label", "text"])
    # as TSV (quoting off) every line is a row
    df = load_table(tmp_path / "raw.txt", format="tsv", header=False, columns=["label", "text"])
    assert df["label"].tolist() == ["ham", "spam", "ham", "ham", "ham"]
    # a quoted text with line breaks but no row inside it reads, with quoting, as one cell
    texts = ["two\nlines", "a\tb\nc", "first line\nsecond\tline"]  # a tab, not a row
    pd.DataFrame({"label": ["ham", "spam", "ham"], "text": texts}).to_csv(
        tmp_path / "ok.tsv", sep="\t", index=False)
    df = load_table(tmp_path / "ok.tsv", format="csv", sep="\t")
    assert df["text"].tolist() == texts


def test_comma_rows_swallowed_by_a_stray_quote_are_warned_of(tmp_path):
    rows = [f"r{i},{'spam' if i % 3 == 0 else 'ham'},message {i} with words" for i in range(30)]
    rows[10] = 'r10,ham,"oops a stray quote at start'
    rows[14] = 'r14,ham,"He said ""hi"" to me"'
    (tmp_path / "stray.csv").write_text("id,label,text\n" + "\n".join(rows) + "\n")
    with pytest.warns(UserWarning, match=r"stray\.csv': field 3 \('text'\) of data row 11 "
                                         r"\(counted from 1 after any header\) runs over 5 "
                                         r"lines, and 4 lines inside it look like a row of the "
                                         r"file \('r11,ham,message 11 with words'\): a quote "
                                         r"that opens a field and closes only rows later"):
        df = load_table(tmp_path / "stray.csv")
    assert len(df) == 26
    # a text and a score of few values: a swallowed row is one of them
    lines = [f"message {i} with words,{i % 3}" for i in range(40)]
    lines[3] = '"oops a stray quote,1'
    lines[7] = '"He said ""hi"" to me",2'
    (tmp_path / "scores.csv").write_text("text,score\n" + "\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match=r"scores\.csv': field 1 \('text'\) of data row 4 "):
        assert len(load_table(tmp_path / "scores.csv")) == 36
    # multi-line texts whose lines are no rows (other field counts, other labels, a lone
    # number): quiet
    (tmp_path / "address.csv").write_text('address,orders\n"1 Oak Rd\nSpringfield, 62701",1\n'
                                          '"2 Elm St\nShelbyville, 62565",3\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_table(tmp_path / "address.csv")["orders"].tolist() == [1, 3]
    texts = ["two\nlines, with a comma", "a,b\nspam,eggs,more,fields", "x\nham, then"]
    pd.DataFrame({"id": ["a", "b", "c"] * 4, "label": ["ham", "spam", "ham"] * 4,
                  "text": texts * 4}).to_csv(tmp_path / "ok.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_table(tmp_path / "ok.csv")["text"].tolist() == texts * 4


def test_thousands_separators(tmp_path):
    from dataqa._cli_utils import read_options
    from dataqa.errors import DataLoadError, InvalidSettingError

    # a comma-separated file quotes its grouped amounts; ids and text keep theirs
    (tmp_path / "us.csv").write_text('id,amount,note\n007,"1,234.5",a,b\n008,12.25,"x, y"\n'
                                     .replace(",a,b", ',"a,b"'))
    df = load_table(tmp_path / "us.csv", string_columns=["id"],
                    **read_options(None, None, False, None, None, None, ","))
    assert df["amount"].tolist() == [1234.5, 12.25]
    assert df["id"].tolist() == ["007", "008"] and df["note"].tolist() == ["a,b", "x, y"]
    # a point groups them beside a decimal comma
    (tmp_path / "eu.csv").write_text("a;b\n1.234,5;x\n-12,0;y\n")
    eu = load_table(tmp_path / "eu.csv", **read_options(None, ";", False, None, None, ",", "."))
    assert eu["a"].tolist() == [1234.5, -12.0]
    with pytest.raises(InvalidSettingError, match=r"--thousands '\.' is also the decimal mark"):
        read_options(None, None, False, None, None, None, ".")
    with pytest.raises(InvalidSettingError, match="--thousands 'ab' must be one mark"):
        read_options(None, None, False, None, None, None, "ab")
    with pytest.raises(InvalidSettingError, match="--thousands ';' is also the field delimiter"):
        read_options(None, ";", False, None, None, None, ";")
    # only numbers grouped by threes are read so, a column whole or not at all: dates,
    # times, versions, decimal commas, post codes and zero-led codes stay text, said
    (tmp_path / "de.csv").write_text("date;time;ver;amount;zip;phone\n"
                                     "15.01.2024;12.30;3.14;1.234,5;114 55;030 123 456\n"
                                     "16.01.2024;13.45;2.5;-12,0;110 00;040 987 654\n")
    with pytest.warns(UserWarning, match=r"--thousands '\.' \(API: thousands='\.'\) left "
                                         r"column\(s\) 'date' \(e\.g\. '15\.01\.2024'\), "
                                         r"'time' \(e\.g\. '12\.30'\), 'ver' \(e\.g\. '3\.14'\) "
                                         r"as text"):
        de = load_table(tmp_path / "de.csv", sep=";", decimal=",", thousands=".")
    assert de["date"].tolist() == ["15.01.2024", "16.01.2024"]
    assert de["time"].tolist() == ["12.30", "13.45"] and de["ver"].tolist() == ["3.14", "2.5"]
    assert de["amount"].tolist() == [1234.5, -12.0]
    with pytest.warns(UserWarning, match=r"left column\(s\) 'zip' \(e\.g\. '114 55'\), "
                                         r"'phone' \(e\.g\. '030 123 456'\)"):
        sp = load_table(tmp_path / "de.csv", sep=";", decimal=",", thousands=" ")
    assert sp["zip"].tolist() == ["114 55", "110 00"]
    (tmp_path / "p.csv").write_text("price;n\n63,42;1\n5,02;2\n")
    with pytest.warns(UserWarning, match=r"'price' \(e\.g\. '63,42'\) as text.*If ',' is the "
                                         r"column's decimal mark, read it with --decimal ','"):
        assert load_table(tmp_path / "p.csv", sep=";", thousands=",")["price"].tolist() == [
            "63,42", "5,02"]
    # a space groups with a no-break space or a narrow one as well (French exports)
    (tmp_path / "fr.csv").write_text("a;b\n1\u00a0234,5;x\n12\u202f345;y\n3 000;z\n",
                                     encoding="utf-8")
    fr = load_table(tmp_path / "fr.csv", sep=";", decimal=",", thousands=" ")
    assert fr["a"].tolist() == [1234.5, 12345.0, 3000.0]
    # Indian grouping, with ',' only (with a space it reads phone numbers: 98 76 543)
    (tmp_path / "in.csv").write_text('a\n"12,34,567"\n"1,000"\n')
    assert load_table(tmp_path / "in.csv", thousands=",")["a"].tolist() == [1234567, 1000]
    (tmp_path / "ph.csv").write_text("a;b\n98 76 543;1\n12 345;2\n")
    with pytest.warns(UserWarning, match=r"'a' \(e\.g\. '98 76 543'\) as text"):
        assert load_table(tmp_path / "ph.csv", sep=";", thousands=" ")["a"].tolist() == [
            "98 76 543", "12 345"]
    # missing-value words kept as text (as drift reads) are missing in a grouped column
    (tmp_path / "na.csv").write_text('a,b\n"12,345",x\nNA,y\n"1,000",z\n')
    got = load_table(tmp_path / "na.csv", thousands=",", keep_missing_words=True)["a"]
    assert got.iloc[[0, 2]].tolist() == [12345.0, 1000.0] and pd.isna(got.iloc[1])
    # decimal commas read with --thousands ' ' but without --decimal: still said
    (tmp_path / "dc.csv").write_text("a;b\n12,5;x\n2,5;y\n3,25;z\n")
    with pytest.warns(UserWarning, match="decimal comma"):
        load_table(tmp_path / "dc.csv", sep=";", thousands=" ")
    df.to_parquet(tmp_path / "p.parquet")
    with pytest.raises(DataLoadError, match=r"--decimal and --thousands .* apply to csv and tsv"):
        load_table(tmp_path / "p.parquet", thousands=",")


def test_decimal_commas(tmp_path):
    from dataqa._cli_utils import read_options
    from dataqa.errors import DataLoadError, InvalidSettingError

    (tmp_path / "eu.csv").write_text("a;b;name\n1,5;2;x\n-0,25;3,0;y\n")
    df = load_table(tmp_path / "eu.csv", **read_options(None, ";", False, None, None, ","))
    assert df["a"].tolist() == [1.5, -0.25] and df["b"].tolist() == [2.0, 3.0]
    assert df["name"].tolist() == ["x", "y"]
    with pytest.raises(InvalidSettingError, match="--decimal ',' is also the field delimiter"):
        read_options(None, ",", False, None, None, ",")
    # without --sep the file's format sets the delimiter: a CSV is refused when read
    (tmp_path / "c.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataLoadError, match="decimal mark ',' must be one character other "
                                            "than the field delimiter; e.g. --decimal ',' "
                                            "with --sep ';'"):
        load_table(tmp_path / "c.csv", **read_options(None, None, False, None, None, ","))
    with pytest.raises(InvalidSettingError, match="--decimal 'ab' must be one mark"):
        read_options(None, ";", False, None, None, "ab")
    df.to_parquet(tmp_path / "eu.parquet")
    with pytest.raises(DataLoadError, match="--decimal .* apply to csv and tsv files"):
        load_table(tmp_path / "eu.parquet", decimal=",")


def test_a_tsv_written_with_csv_quoting_warns(tmp_path):
    import warnings

    df = pd.DataFrame({"id": [1, 2], "text": ['say "hi" now', "plain"]})
    path = tmp_path / "q.tsv"
    df.to_csv(path, sep="\t", index=False)  # quotes the first text: "say ""hi"" now"
    with pytest.warns(UserWarning, match=r"1 value\(s\) of column 'text' are written the CSV "
                                         r"way.*read it with --format csv --sep tab"):
        assert load_table(path)["text"].tolist() == ['"say ""hi"" now"', "plain"]
    assert load_table(path, format="csv", sep="\t")["text"].tolist() == ['say "hi" now', "plain"]
    # a text in quotes, no quote doubled inside: plain TSV, no warning
    (tmp_path / "p.tsv").write_text('id\ttext\n1\t"Hello"\n2\tok\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_table(tmp_path / "p.tsv")["text"].tolist() == ['"Hello"', "ok"]


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip"])
def test_compressed_text_tables_are_read_as_they_are(tmp_path, suffix):
    frame = pd.DataFrame({"id": ["007", "b"], "text": ["caf\u00e9", "x"], "v": [1.5, 2.0]})
    path = tmp_path / f"t{suffix}"
    frame.to_csv(path, index=False)  # pandas compresses by the suffix
    df = load_table(path, string_columns=["id"])
    assert df.to_dict("list") == frame.to_dict("list")
    assert file_format(path) == "csv"


def test_compressed_tsv_and_jsonl_keep_their_checks(tmp_path):
    import zipfile

    js = tmp_path / "t.jsonl.gz"
    js.write_bytes(gzip.compress(b'{"id": "007", "x": 1}\n{"id": "7", "x": 2}\n'))
    assert load_table(js, string_columns=["id"])["id"].tolist() == ["007", "7"]
    # a TSV split by a quoted line break is refused inside gzip as outside
    tsv = tmp_path / "t.tsv.gz"
    tsv.write_bytes(gzip.compress(b'id\ttext\tlabel\n1\t"two\nlines"\tham\n2\tok\tspam\n'))
    with pytest.raises(DataLoadError, match="fewer fields than its 3 columns beside an unclosed"):
        load_table(tsv)
    # bytes that are not UTF-8 are named by their offset in the decompressed text
    bad = tmp_path / "t.csv.gz"
    bad.write_bytes(gzip.compress("id,text\n1,caf\u00e9\n".encode("latin-1")))
    with pytest.raises(DataLoadError, match=r"byte 0xe9 at byte offset 13 .*--encoding cp1252 "
                                            r"\(as Windows and Excel save text; latin-1 reads "
                                            r"these bytes alike\)"):
        load_table(bad)
    assert load_table(bad, encoding="latin-1")["text"].tolist() == ["caf\u00e9"]
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(b"id,x\n" + b"a,1\n" * 1000)[:40])
    with pytest.raises(DataLoadError, match="could not be decompressed as gzip: .*whole"):
        load_table(cut)
    two = tmp_path / "two.csv.zip"
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.csv", "id,x\na,1\n")
        archive.writestr("b.csv", "id,x\nb,2\n")
    with pytest.raises(DataLoadError, match="a zip archive of 2 files \\('a.csv', 'b.csv'\\); "
                                            "a zip archive is read when it holds one table"):
        load_table(two)
    zst = tmp_path / "t.csv.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(8))
    with pytest.raises(DataLoadError, match="zstd-compressed file; decompress it first"):
        load_table(zst)


def test_compressed_tables_at_their_edges(tmp_path):
    import io
    import tarfile
    import zipfile

    # a zip whose table sits in a folder (archives made from a folder hold its entry)
    folder = tmp_path / "folder.csv.zip"
    with zipfile.ZipFile(folder, "w") as archive:
        archive.writestr("dir/", "")
        archive.writestr("dir/t.csv", "id,x\na,1\nb,2\n")
    assert load_table(folder).to_dict("list") == {"id": ["a", "b"], "x": [1, 2]}
    empty = tmp_path / "empty.csv.zip"
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(DataLoadError, match="a zip archive of 0 files \\(none\\)"):
        load_table(empty)
    # compressed twice, or a tar inside gzip: named once decompressed
    inner = tmp_path / "inner.csv.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("t.csv.gz", gzip.compress(b"id,x\na,1\n"))
    with pytest.raises(DataLoadError, match="its first bytes once zip-decompressed are those "
                                            "of a gzip-compressed file; decompress it first"):
        load_table(inner)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = b"id,x\na,1\n"
        info = tarfile.TarInfo("t.csv")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    tgz = tmp_path / "t.csv.gz"  # a tar archive behind a table's name
    tgz.write_bytes(gzip.compress(buf.getvalue()))
    with pytest.raises(DataLoadError, match="once gzip-decompressed are those of a tar archive; "
                                            "extract the table from it first"):
        load_table(tgz)
    # cut off, with the encoding given (the UTF-8 check that names it first is skipped)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(b"id,x\n" + b"a,1\n" * 1000)[:40])
    with pytest.raises(DataLoadError, match="could not be decompressed as gzip: .*cut off"):
        load_table(cut, encoding="latin-1")
    # a plain table that starts with bzip2's three letters is read as text
    plain = tmp_path / "t.csv"
    plain.write_text("BZh,b\n1,2\n")
    assert load_table(plain).to_dict("list") == {"BZh": [1], "b": [2]}


def test_archives_are_named_before_their_format_is_asked_for(tmp_path):
    import zipfile

    for name in ("t.tar.gz", "t.tgz", "t.tar"):
        (tmp_path / name).write_bytes(b"\x1f\x8b\x08" + bytes(20))
        with pytest.raises(DataLoadError, match="is a tar archive; extract the table from it "
                                                "first"):
            load_table(tmp_path / name)
    # a .zip without a table suffix of its own is read by its one file's suffix
    plain = tmp_path / "export.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("export/data.tsv", "id\tx\na\t1\n")
    assert file_format(plain) == "tsv"
    assert load_table(plain).to_dict("list") == {"id": ["a"], "x": [1]}
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as archive:
        archive.writestr("a.csv", "id\na\n")
        archive.writestr("b.csv", "id\nb\n")
    assert file_format(tmp_path / "two.zip") is None
    with zipfile.ZipFile(tmp_path / "pq.zip", "w") as archive:
        archive.writestr("t.parquet", b"PAR1")
    assert file_format(tmp_path / "pq.zip") is None  # Parquet is not read through zip
    with pytest.raises(DataLoadError, match="two.zip' is a zip archive of 2 files"):
        load_table(tmp_path / "two.zip")
    with pytest.raises(DataLoadError, match="cannot tell the format of .*pq.zip"):
        load_table(tmp_path / "pq.zip")


def test_a_label_column_of_free_text_is_named_as_such():
    texts = pd.Series([f"comment number {i}" for i in range(120)] + ["spam"] * 30)
    labels, names = encode_labels(texts, column="CONTENT")  # encoding alone is fine
    with pytest.raises(SmallClassError, match="the labels hold 121 distinct values in 150 "
                                              "rows: they look like free text, ids or a "
                                              "continuous target"):
        effective_folds(labels, names, 5)
    # a small table's continuous target (50 values, under the 50 the count rule needs)
    target = pd.Series(np.random.default_rng(0).normal(size=50))
    labels, names = encode_labels(target, column="x")
    with pytest.raises(SmallClassError, match="the labels hold 50 distinct values in 50 rows: "
                                              "they look like free text, ids or a continuous"):
        effective_folds(labels, names, 5)
    # whole numbers as classes stay classes
    labels, names = encode_labels(pd.Series([float(i % 40) for i in range(50)]))
    with pytest.raises(SmallClassError, match="have fewer than 2 members"):
        effective_folds(labels, names, 5)
    # many classes of few rows each are classes (too small ones are named as before)
    few = pd.Series([f"c{i % 45}" for i in range(60)])
    labels, names = encode_labels(few)
    with pytest.raises(SmallClassError, match="have fewer than 2 members"):
        effective_folds(labels, names, 5)
    labels, names = encode_labels(pd.Series([f"class{i % 60}" for i in range(600)]))
    assert effective_folds(labels, names, 5) == 5 and labels.max() == 59


def test_json_records_keyed_by_id_and_wrapped_lists_are_tables(tmp_path):
    import json

    keyed = {"0": {"label": 1, "data": {"text": "win a prize"}, "weak_labels": [1, -1]},
             "1": {"label": 0, "data": {"text": "see you"}, "weak_labels": [-1, 0]}}
    (tmp_path / "k.json").write_text(json.dumps(keyed))
    df = load_table(tmp_path / "k.json")
    assert list(df.columns) == ["id", "label", "weak_labels", "data.text"]
    assert df["id"].tolist() == ["0", "1"] and df["data.text"].tolist() == ["win a prize",
                                                                            "see you"]
    assert df["label"].tolist() == [1, 0] and df["weak_labels"].tolist() == [[1, -1], [-1, 0]]
    # records that hold an id keep it; the keys go to the first free name
    (tmp_path / "i.json").write_text(json.dumps({"0": {"id": 7, "key": 1}, "1": {"id": 8,
                                                                                 "key": 2}}))
    assert load_table(tmp_path / "i.json").to_dict("list") == {"_key": ["0", "1"], "id": [7, 8],
                                                               "key": [1, 2]}
    # records under one key of an object: read, the other keys left out with a warning
    (tmp_path / "w.json").write_text(json.dumps({"meta": {"n": 2},
                                                 "data": [{"t": "hi", "n": 1}, {"t": "yo"}]}))
    with pytest.warns(UserWarning, match="read the 2 records under 'data'; left out: 'meta'"):
        wrapped = load_table(tmp_path / "w.json")
    assert wrapped["t"].tolist() == ["hi", "yo"] and wrapped["n"].isna().tolist() == [False, True]
    # pandas' own layouts read as before: columns (whatever the index, lists in cells
    # included, and as many rows as columns), records; orient="index" of rows numbered
    # from 0 is records keyed by id
    frame = pd.DataFrame({"text": ["a", "b", "c"], "x": [1, 2, 3],
                          "tags": [["u"], ["v", "w"], []]}, index=["p", "q", "r"])
    for orient in ("columns", "records"):
        frame.to_json(tmp_path / "f.json", orient=orient)
        assert load_table(tmp_path / "f.json")[["text", "x", "tags"]].to_dict("list") == {
            "text": ["a", "b", "c"], "x": [1, 2, 3], "tags": [["u"], ["v", "w"], []]}
    frame.reset_index(drop=True).to_json(tmp_path / "n.json", orient="columns")
    assert load_table(tmp_path / "n.json").shape == (3, 3)
    frame.reset_index(drop=True).to_json(tmp_path / "x.json", orient="index")
    assert load_table(tmp_path / "x.json")[["id", "text"]].to_dict("list") == {
        "id": ["0", "1", "2"], "text": ["a", "b", "c"]}
    # orient="index" of a text index: more outer keys (rows) than inner ones (columns)
    longer = pd.DataFrame({"text": list("abcd"), "x": [1, 2, 3, 4]}, index=list("pqrs"))
    longer.to_json(tmp_path / "t.json", orient="index")
    assert load_table(tmp_path / "t.json").to_dict("list") == {
        "id": ["p", "q", "r", "s"], "text": ["a", "b", "c", "d"], "x": [1, 2, 3, 4]}
    longer.to_json(tmp_path / "c.json", orient="columns")  # the same table by columns
    assert load_table(tmp_path / "c.json").to_dict("list") == {"text": ["a", "b", "c", "d"],
                                                               "x": [1, 2, 3, 4]}
    # more columns than rows, one kind of value in each: pandas' reading (by columns)
    wide = pd.DataFrame({"f1": [1, 2], "f2": [3, 4], "f3": [5, 6]}, index=["u1", "u2"])
    wide.to_json(tmp_path / "wide.json")
    assert load_table(tmp_path / "wide.json").to_dict("list") == {"f1": [1, 2], "f2": [3, 4],
                                                                  "f3": [5, 6]}
    # more columns than rows by index: the kinds of its columns tell the rows apart
    few = pd.DataFrame({"text": ["a", "b"], "x": [1, 2], "y": [0.5, 1.5]}, index=["p", "q"])
    few.to_json(tmp_path / "few.json", orient="index")
    assert load_table(tmp_path / "few.json").to_dict("list") == {
        "id": ["p", "q"], "text": ["a", "b"], "x": [1, 2], "y": [0.5, 1.5]}
    # ids kept as text when asked
    (tmp_path / "s.json").write_text(json.dumps({"0": {"code": 7}, "1": {"code": 8}}))
    assert load_table(tmp_path / "s.json", string_columns=["code"])["code"].tolist() == ["7",
                                                                                       "8"]


def test_empty_json_files_have_no_rows(tmp_path):
    for name, text in (("e.json", ""), ("e.jsonl", "\n\n"), ("s.json", "  \n")):
        (tmp_path / name).write_text(text)
        with pytest.raises(EmptyDataError, match=f"'.*{name}' has no rows; give a table with "
                                                 f"at least one row"):
            load_table(tmp_path / name)


def test_a_header_repeated_as_data_is_refused_by_row(tmp_path):
    # two exports joined with cat: the second file's header is a data row
    path = tmp_path / "joined.csv"
    path.write_text("id,when,text\n1,2026-01-01,hi\n2,2026-01-02,yo\nid,when,text\n"
                    "3,2026-01-03,hey\n")
    with pytest.raises(DataLoadError, match="'.*joined.csv' repeats its header line as data: "
                                            "row 3, counted from 1 after the header, as files "
                                            "joined with cat keep each file's header. Keep the "
                                            "first header only"):
        load_table(path)
    with pytest.raises(DataLoadError, match="repeats its header line as data: row 3"):
        load_table(path, columns=["a", "b", "c"])  # renamed columns: still the file's header
    # a header ending with a delimiter repeats with its empty field
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("a,b,\nx,y,\na,b,\nz,w,\n")
    with pytest.raises(DataLoadError, match="repeats its header line as data: row 2,"):
        load_table(trailing)
    # a value that equals its column's name in some columns only is data
    ok = tmp_path / "ok.csv"
    ok.write_text("kind,text\nkind,hello\nx,text\n")
    assert load_table(ok)["kind"].tolist() == ["kind", "x"]
    one = tmp_path / "one.csv"
    one.write_text("word\nhello\nword\n")
    assert load_table(one)["word"].tolist() == ["hello", "word"]
    # a file without a header whose first row occurs again (a message sent twice): the
    # header hint, not the one for joined files
    sms = tmp_path / "sms.csv"
    sms.write_text("ham,Need a coffee run tomorrow? Cannot believe it is that time\n"
                   "spam,WIN a prize now\nham,Need a coffee run tomorrow? Cannot believe it is "
                   "that time\n")
    with pytest.raises(DataLoadError, match=r"sms\.csv': its header line looks like data "
                                            r"\('Need a coffee run tomorrow\? Cannot belie\.\.\.'\)"
                                            r" and row 2 \(counted from 1 after it\) repeats "
                                            r"it: the file likely has no header line.*"
                                            r"--no-header --columns a,b"):
        load_table(sms)


def test_rows_with_more_fields_than_the_header_are_refused_not_shifted(tmp_path):
    # an unquoted comma in the first data row: pandas would make the first field the
    # index and read every column's values one place to the left
    path = tmp_path / "t.csv"
    path.write_text("id,text,label\n1,hello, world,ham\n2,fine,spam\n3,ok,ham\n")
    with pytest.raises(DataLoadError, match="more fields than the 3 columns its header names: "
                                            "rows 1 \\(4 fields\\), counted from 1 after the "
                                            "header; a field that holds the delimiter must be "
                                            "in quotes"):
        load_table(path)
    later = tmp_path / "later.csv"
    later.write_text("id,text,label\n1,ok,ham\n2,a, b,spam\n3,c, d, e,ham\n")
    with pytest.raises(DataLoadError, match="rows 2 \\(4 fields\\), 3 \\(5 fields\\)"):
        load_table(later)
    # a delimiter at the end of every line is read as it is
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("id,x,\na,1,\nb,2,\n")
    assert load_table(trailing)[["id", "x"]].to_dict("list") == {"id": ["a", "b"], "x": [1, 2]}
    # ... and at the end of some later lines only is named by row, gzipped or not
    some = tmp_path / "some.csv"
    some.write_text("id,x\na,1\nb,2\nc,3,\nd,4\ne,5,,\n")
    with pytest.raises(DataLoadError, match="more delimiters \\(','\\) at the end of some data "
                                            "rows than of the first: rows 3, 5, counted from 1 "
                                            "after the header, end with empty fields beyond the "
                                            "2 fields of the header and the first row"):
        load_table(some)
    (tmp_path / "one.csv.gz").write_bytes(gzip.compress(b"id;x\na;1\nb;2;\n"))
    with pytest.raises(DataLoadError, match="\\(';'\\) at the end of some data rows than of the "
                                            "first: row 2, counted from 1 after the header, "
                                            "ends"):
        load_table(tmp_path / "one.csv.gz", sep=";")
    # every row ends with a delimiter, one with two: that one is named, not the others
    (tmp_path / "two.csv").write_text("a,b\n1,2,\n3,4,,\n5,6,\n")
    with pytest.raises(DataLoadError, match="row 2, counted from 1 after the header, ends with "
                                            "empty fields beyond the 3 fields"):
        load_table(tmp_path / "two.csv")
    # a quoted CSV read as TSV with --sep ',': told to read it as CSV
    quoted = tmp_path / "q.txt"
    quoted.write_text('a,b,c\n1,"x, y",2\n3,z,4\n')
    with pytest.raises(DataLoadError, match="read it with --format csv"):
        load_table(quoted, format="tsv", sep=",")
    assert load_table(quoted, format="csv")["b"].tolist() == ["x, y", "z"]
    # a separator of several characters (read as a regular expression, unquoted) too
    multi = tmp_path / "multi.txt"
    multi.write_text("a::b\n1::2::3\n4::5\n")
    with pytest.raises(DataLoadError, match="rows 1 \\(3 fields\\)"):
        load_table(multi, format="csv", sep="::")
    multi.write_text("a::b\n1::2\n4::5\n")
    assert load_table(multi, format="csv", sep="::").to_dict("list") == {"a": [1, 4], "b": [2, 5]}
    # a text longer than the csv module's field limit does not stop the check
    long = tmp_path / "long.csv"
    long.write_text("id,text\n1,x,extra\n2," + "y" * 200_000 + "\n")
    with pytest.raises(DataLoadError, match="rows 1 \\(3 fields\\)"):
        load_table(long)


def test_a_missing_column_hints_at_a_file_without_a_header(tmp_path):
    path = tmp_path / "sms.tsv"
    path.write_text("ham\tGo until jurong point, crazy.. Available only in bugis n great world\n"
                    "spam\tFree entry in 2 a wkly comp to win FA Cup final tkts\n")
    df = load_table(path)
    with pytest.raises(MissingColumnError, match="read it with --no-header --columns a,b"):
        prepare_labeled(df, label_column="label", text_column="text")
    headed = pd.DataFrame({"label": ["ham"], "text": ["hi"]})
    with pytest.raises(MissingColumnError) as err:
        prepare_labeled(headed, label_column="y", text_column="text")
    assert "--no-header" not in str(err.value)
    short = pd.DataFrame({"ham": ["spam"], "Ok lar... Joking wif u oni...": ["Free entry"]})
    with pytest.raises(MissingColumnError, match="names look like a first data row"):
        prepare_labeled(short, label_column="label", text_column="text")
    four = pd.DataFrame({"label": ["ham"], "number of items sold": [3]})  # a name, not data
    with pytest.raises(MissingColumnError) as err:
        prepare_labeled(four, label_column="y")
    assert "--no-header" not in str(err.value)
    # a survey's questions renamed by --columns are names: no warning that data is lost
    survey = tmp_path / "survey.csv"
    survey.write_text("How old are you now,Which city do you live in,label\n31,Oslo,a\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(load_table(survey, columns=["age", "city", "label"]).columns) == [
            "age", "city", "label"]
    numbers = pd.DataFrame({"0.5": [1.0], "3": [2.0]})  # a numeric first row as the header
    with pytest.raises(MissingColumnError, match="names look like a first data row"):
        prepare_labeled(numbers, label_column="y")
    # short texts and ids as the names, a label among its own column's values
    comments = tmp_path / "comments.csv"
    comments.write_text("yt0035,song is bad,ham\nyt0036,so good,ham\nyt0038,click here,spam\n")
    with pytest.raises(MissingColumnError, match=re.escape(
            "The name 'ham' is also a value of its column: if the file has no header line, "
            "read it with --no-header --columns a,b,...")):
        prepare_labeled(load_table(comments), label_column="label", text_column="text")
    repeated = pd.DataFrame([["a", "b", 1]], columns=["text", "text", "x"])  # names repeat
    with pytest.raises(MissingColumnError, match="the table has: text, text, x"):
        prepare_labeled(repeated, label_column="label")


def test_functions_that_take_read_options_name_them_in_reading_errors(tmp_path):
    from dataqa.audit import audit
    from dataqa.weak import weak_label
    from labeling_functions import keyword_lf

    path = tmp_path / "SMSSpam"  # no suffix, as the public file
    path.write_text("ham\thi there\nspam\tfree prize\n")
    hint = "pass --format (API: read_options={'format': ...}) with one of csv"
    with pytest.raises(DataLoadError, match=re.escape(hint)):
        weak_label(path, [keyword_lf("free", "free", 1)], cardinality=2)
    with pytest.raises(DataLoadError, match=re.escape(hint)):
        audit(path, label_column="label")
    with pytest.raises(DataLoadError, match=re.escape("pass --format (API: format=) with one")):
        load_table(path)  # load_table itself has the keyword


def test_cp1252_is_suggested_only_for_bytes_it_reads(tmp_path):
    (tmp_path / "dos.csv").write_bytes(b"id,text\n1,\x81ber\n")  # cp850's u-umlaut
    with pytest.raises(DataLoadError, match="byte 0x81 .* e.g. --encoding latin-1 "):
        load_table(tmp_path / "dos.csv")
    (tmp_path / "sheet.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(DataLoadError, match=r"sheet.xlsx' is a spreadsheet \(.xlsx\), which "
                                            r"dataqa does not read; save the sheet as CSV"):
        load_table(tmp_path / "sheet.xlsx")
    # an accented letter first, a euro sign later: cp1252, which latin-1 would misread
    (tmp_path / "win.csv").write_bytes(b"id,text\n1,caf\xe9\n2,win \x805 \x93now\x94\n")
    with pytest.raises(DataLoadError, match=r"byte 0xe9 .* e.g. --encoding cp1252 \(as Windows "
                                            r"and Excel save text: byte 0x80 at byte offset 21 "
                                            r"is a quote"):
        load_table(tmp_path / "win.csv")
    # bytes 0x80-0x9f inside UTF-8 characters (an em dash, a Cyrillic letter) are no sign
    # of cp1252 in a UTF-8 file with one stray latin-1 byte
    (tmp_path / "mixed.csv").write_bytes(b"id,text\n1,caf\xe9\n2,\xe2\x80\x94 dash \xd0\x96\n")
    with pytest.raises(DataLoadError, match=r"byte 0xe9 .* e.g. --encoding cp1252 \(as Windows "
                                            r"and Excel save text; latin-1 reads these bytes "
                                            r"alike\)"):
        load_table(tmp_path / "mixed.csv")
    assert load_table(tmp_path / "win.csv", encoding="cp1252")["text"].tolist() == [
        "café", "win €5 \u201cnow\u201d"]


def test_load_tables_reads_a_folder_or_pattern_as_one_table(tmp_path):
    from dataqa.data import load_tables, table_files

    day = tmp_path / "days"
    day.mkdir()
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_csv(day / "d1.csv", index=False)
    pd.DataFrame({"b": ["z"], "a": [3]}).to_csv(day / "d2.csv", index=False)  # other order
    (day / "README.md").write_text("not a table")
    (day / ".d0.csv").write_text("a,b\n9,hidden\n")
    both = load_tables(day)
    assert both["a"].tolist() == [1, 2, 3] and both["b"].tolist() == ["x", "y", "z"]
    assert both.index.tolist() == [0, 1, 2]
    # which rows came from which file, so a row named in a message can be found
    assert both.attrs["dataqa_source"] == f"{day} (2 files; rows 1-2 d1.csv, 3 d2.csv)"
    from dataqa.data import _file_rows

    many = _file_rows([f"d{k}.csv" for k in range(6)], [pd.DataFrame({"a": [0] * 3})] * 6)
    assert many == "; rows 1-3 d0.csv, 4-6 d1.csv, 7-9 d2.csv, ... (2 more) ..., 16-18 d5.csv"
    assert [f.name for f in table_files(str(day / "d*.csv"))] == ["d1.csv", "d2.csv"]
    assert load_tables(str(day / "d[2]*.csv"))["a"].tolist() == [3]
    # a single file is read as load_table reads it
    assert load_tables(day / "d1.csv").attrs["dataqa_source"] == str(day / "d1.csv")
    pd.DataFrame({"a": [4], "c": [0]}).to_csv(day / "d3.csv", index=False)
    with pytest.raises(DataLoadError, match=r"d3.csv' does not have the columns of '.*d1.csv', "
                                            r"the first file of '.*'; it lacks b; it adds c; "
                                            r"the files read as one table must share"):
        load_tables(day)
    with pytest.raises(DataLoadError, match=r"the pattern '.*nope\*.csv' matches no file"):
        load_tables(str(day / "nope*.csv"))
    (day / "d3.csv").unlink()
    (day / "d0.csv").write_text("a,b\n")  # a day without rows adds none
    with pytest.warns(UserWarning, match=r"1 file\(s\) of '.*' have no rows and add none: "
                                         r"d0.csv"):
        assert load_tables(day)["a"].tolist() == [1, 2, 3]
    # files of one name in several folders: the empty ones are named by their path too
    for k, text in enumerate(["a,b\n1,x\n", "a,b\n", "a,b\n2,y\n"]):
        (tmp_path / "nested" / f"day{k}").mkdir(parents=True)
        (tmp_path / "nested" / f"day{k}" / "data.csv").write_text(text)
    with pytest.warns(UserWarning, match=r"1 file\(s\) of '.*' have no rows and add none: "
                                         r"day1/data.csv\."):
        nested = load_tables(str(tmp_path / "nested" / "*" / "data.csv"))
    assert nested.attrs["dataqa_files"] == [("day0/data.csv", 1), ("day2/data.csv", 1)]
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataLoadError, match=r"folder '.*empty' holds no table file"):
        load_tables(tmp_path / "empty")
    with pytest.raises(DataLoadError, match="does not exist"):
        load_tables(tmp_path / "missing.csv")


def test_a_folders_reading_warnings_come_once(tmp_path):
    """Daily files with the same trouble give one warning naming the first file and
    counting the others, not one per file; a warning of one file alone stays as it is."""
    from dataqa.data import load_tables

    day = tmp_path / "days"
    day.mkdir()
    for i in range(6):
        (day / f"d{i}.csv").write_text("id;x\n" + "".join(f"{j};{j},5\n" for j in range(12)))
    (day / "d6.csv").write_text("id;x\n1;2\n\x00")  # (the error: after the warnings)
    with pytest.warns(UserWarning) as got, pytest.raises(DataLoadError, match="d6.csv"):
        load_tables(day, sep=";")
    said = [str(w.message) for w in got if "decimal comma" in str(w.message)]
    assert len(said) == 1 and said[0].startswith(repr(str(day / "d0.csv")))
    assert said[0].endswith(f"(The same for 5 more file(s) of {str(day)!r}: d1.csv, d2.csv, "
                            f"d3.csv, ...)")
    (day / "d6.csv").unlink()
    for i in range(1, 6):
        (day / f"d{i}.csv").write_text("id;x\n" + "".join(f"{j};{j}\n" for j in range(12)))
    with pytest.warns(UserWarning) as got:
        assert len(load_tables(day, sep=";")) == 72
    said = [str(w.message) for w in got if "decimal comma" in str(w.message)]
    assert len(said) == 1 and "The same for" not in said[0] and "d0.csv" in said[0]


def test_text_labels_are_stripped_with_a_warning_and_case_variants_refused(tmp_path):
    path = tmp_path / "sms.csv"
    labels = ["spam", "spam ", " spam", "ham", "ham", "ham ", "ham\t", "spam"]
    pd.DataFrame({"label": labels, "x": np.arange(8.0)}).to_csv(path, index=False)
    with pytest.warns(UserWarning, match=r"label column 'label' of '.*sms.csv': 4 label cells "
                                         r"have white space around the text \(e.g. 'spam '\); "
                                         r"stripped, so that labels that differ only by it are "
                                         r"one class"):
        t = prepare_labeled(path, label_column="label")
    assert t.class_names == ["ham", "spam"]
    assert t.labels.tolist() == [1, 1, 1, 0, 0, 0, 0, 1]
    assert t.frame["label"].tolist() == ["spam"] * 3 + ["ham"] * 4 + ["spam"]
    # ids are the content hashes of the rows as read, as other commands compute them
    raw = load_table(path)
    assert t.ids.tolist() == make_ids(raw).tolist()
    # case may be meaningful: refused, naming the column and each spelling's count
    cased = pd.DataFrame({"label": ["spam"] * 5 + ["SPAM "] * 2 + ["Spam", "ham", "HAM"],
                          "x": np.arange(10.0)})
    with pytest.raises(LabelError) as err:
        prepare_labeled(cased, label_column="label")
    assert str(err.value) == (
        "label column 'label' of the table spells 2 classes in several cases: 'spam' (5), "
        "'SPAM' (2: rows 6, 7), 'Spam' (1: row 8); 'ham' (1), 'HAM' (1: row 10) (rows counted "
        "from 1 at the table's first row). Case may be meaningful, so they are not merged: "
        "make each class one spelling in the file (e.g. all lower case) and run again.")
    big = pd.DataFrame({"label": ["spam"] * 2301 + ["SPAM"] * 12 + ["ham"] * 10,
                        "x": np.arange(2323.0)})
    with pytest.raises(LabelError, match=r"spells 1 class in several cases: 'spam' \(2,301\), "
                                         r"'SPAM' \(12: rows 2302, 2303, 2304, \.\.\. \(\+9 "
                                         r"more\)\) \(rows counted"):
        prepare_labeled(big, label_column="label")
    # one number written in several ways (a Parquet or text column of labels): one class
    spelled = pd.DataFrame({"label": ["1", "1.0", "0", "0.0", "1", "0", "1.1", "1.10", "01"],
                            "x": np.arange(9.0)})
    with pytest.warns(UserWarning, match=r"label column 'label' of the table writes 2 numbers "
                                         r"in several ways \('1' \(2\), '1\.0' \(1\) -> '1'; "
                                         r"'0' \(2\), '0\.0' \(1\) -> '0'\); read as one class "
                                         r"each"):
        t = prepare_labeled(spelled, label_column="label")
    # no bare spelling: named after the most frequent; -0 is not 0
    with pytest.warns(UserWarning, match=r"'1\.0' \(2\), '1\.00' \(1\) -> '1\.0'"):
        t2 = prepare_labeled(pd.DataFrame({"label": ["1.0", "1.00", "1.0", "2", "-0", "0"],
                                           "x": np.arange(6.0)}), label_column="label")
    assert t2.class_names == ["-0", "0", "1.0", "2"]
    # (codes such as 1.1 and 1.10, or 01, stay as written)
    assert t.class_names == ["0", "01", "1", "1.1", "1.10"]
    assert t.labels.tolist() == [2, 2, 0, 0, 2, 0, 3, 4, 1]
    # numbers beside names: merged the same way (the names are warned of as before)
    with pytest.warns(UserWarning, match="writes 1 number in several ways"):
        t = prepare_labeled(pd.DataFrame({"label": ["1", "1.0", "0", "other"] * 3,
                                          "x": np.arange(12.0)}), label_column="label")
    assert t.class_names == ["0", "1", "other"]
    # -1 beside 0 and 1: the abstain code of weak labels, warned of (not with 0..2 alone)
    weak = pd.DataFrame({"label": [-1, 0, 1, -1, 0, 1, -1, 0], "x": np.arange(8.0)})
    with pytest.warns(UserWarning, match=r"label column 'label' of the table holds the class "
                                         r"-1 \(3 rows\) beside '0', '1': -1 is the abstain "
                                         r"code of weak labels"):
        assert prepare_labeled(weak, label_column="label").class_names == [-1, 0, 1]
    # clean labels and numbers: no warning, values as they were
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = prepare_labeled(pd.DataFrame({"label": [1, 2, 1, 2], "x": [1.0, 2.0, 3.0, 4.0]}),
                            label_column="label")
        assert t.class_names == [1, 2]
        frame = pd.DataFrame({"label": ["a", "b"], "x": [1.0, 2.0]})
        assert prepare_labeled(frame, label_column="label").class_names == ["a", "b"]
        # a blank cell is a missing label, not one to strip
        blank = pd.DataFrame({"label": ["a", "  ", "b"], "x": [1.0, 2.0, 3.0]})
        with pytest.raises(LabelError, match=r"1 missing or empty label \(row 2, counted from 1 "
                                             r"at the table's first row; id "):
            prepare_labeled(blank, label_column="label")


def test_a_headerless_file_read_with_the_wrong_delimiter_suggests_the_tab(tmp_path):
    path = tmp_path / "SMS"
    lines = ["ham\tGo until jurong point, crazy", "ham\tOk lar", "spam\tFree entry"]
    lines += ["ham\tyes, no, maybe"] + [f"ham\tline {i}" for i in range(10)]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataLoadError) as err:
        load_table(path, format="csv", header=False, columns=["label", "text"])
    msg = str(err.value)
    assert "Error tokenizing data. C error: Expected 2 fields in line 4, saw 3" in msg
    assert msg.endswith("Each of its first 14 lines holds tabs (1 per line): if they separate "
                        "the fields, pass --sep tab (or --format tsv) (API: sep=)")
    # a first line without a comma: one field, named as such, with the same hint
    path.write_text("\n".join(lines[1:]) + "\n")
    with pytest.raises(DataLoadError, match=r"has 1 fields per row but --columns \(API: columns=\) "
                                            r"names 2; give one name per field. Each of its "
                                            r"first 13 lines holds tabs \(1 per line\): if they "
                                            r"separate the fields, pass --sep tab"):
        load_table(path, format="csv", header=False, columns=["label", "text"])
    assert load_table(path, sep="\t", format="csv", header=False,
                      columns=["label", "text"]).shape == (13, 2)


def test_columns_replacing_a_header_that_looks_like_data_warn(tmp_path):
    path = tmp_path / "SMS"
    path.write_text("ham\tGo until jurong point, crazy.. Available only in bugis n great\n"
                    "ham\tOk lar\nspam\tFree entry\n")
    with pytest.warns(UserWarning, match=r"'.*SMS': --columns \(API: columns=\) replaces the names "
                                         r"in its header line \('ham', 'Go until jurong point, "
                                         r"crazy.. Available...'\), which look like data .* If "
                                         r"the file has no header line, its first row is lost "
                                         r"this way: pass --no-header with --columns"):
        df = load_table(path, format="tsv", columns=["label", "text"])
    assert len(df) == 2
    # a short label as a name, found among the column's values, is enough
    path.write_text("ham,hi\nspam,win\nham,yo\n")
    with pytest.warns(UserWarning, match=r"names in its header line \('ham', 'hi'\)"):
        load_table(path, format="csv", columns=["label", "text"])
    path.write_text("0.5,3\n1.5,4\n")
    with pytest.warns(UserWarning, match=r"header line \('0.5', '3'\)"):
        load_table(path, format="csv", columns=["x", "y"])
    # ordinary headers (a year among them) are renamed without a word
    path.write_text("label,text,2019\nspam,win a prize now or never my friend ok,1\nham,hi,2\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_table(path, format="csv", columns=["a", "b", "c"]).shape == (2, 3)
        assert len(load_table(path, format="csv", header=False, columns=["a", "b", "c"])) == 3


def test_no_feature_column_names_the_cli_options_and_the_api(frame):
    with pytest.raises(FeatureTypeError) as err:
        prepare_labeled(frame[["label", "text"]], label_column="label")
    assert str(err.value) == (
        "the table has no numeric feature columns besides the id and label; name a text "
        "column with --text-column (API: text_column=...) or numeric feature columns with "
        "--feature-column (API: feature_columns=[...]).")


def test_missing_ids_are_named_by_row_counted_from_one():
    df = pd.DataFrame({"id": ["a", "b", None, "d", None], "x": range(5)})
    with pytest.raises(DuplicateIdError, match=r"has 2 missing values \(rows 3, 5, counted "
                                               r"from 1 at the table's first row\)"):
        make_ids(df, "id")


def test_categorical_labels_with_spaces_are_stripped():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=40), "label": pd.Categorical(["a ", "b"] * 20)})
    with pytest.warns(UserWarning, match="20 label cells have white space"):
        table = prepare_labeled(df, label_column="label")
    assert list(table.class_names) == ["a", "b"]


def test_a_utf8_file_read_as_cp1252_is_warned_about(tmp_path):
    """Read as cp1252, UTF-8 text turns each accented letter into two characters without
    an error: a warning names one."""
    (tmp_path / "u8.csv").write_text("a,b\nna\u00efve,1\nx,2\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="u8.csv' is read as cp1252, but it is valid UTF-8 "
                                         "text with characters beyond ASCII: '\u00ef' is read "
                                         "as '\u00c3\u00af'. If the file is UTF-8, pass "
                                         "--encoding utf-8"):
        df = load_table(tmp_path / "u8.csv", encoding="cp1252")
    assert df["a"].tolist() == ["na\u00c3\u00afve", "x"]  # read as asked
    # a cp1252 file, an ASCII file, or UTF-8 read as UTF-8: no warning
    (tmp_path / "w.csv").write_bytes("a,b\ncaf\u00e9,1\n".encode("cp1252"))
    (tmp_path / "plain.csv").write_text("a,b\nx,1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_table(tmp_path / "w.csv", encoding="cp1252")["a"].tolist() == ["caf\u00e9"]
        load_table(tmp_path / "plain.csv", encoding="cp1252")
        load_table(tmp_path / "u8.csv", encoding="utf-8")
    # a folder of a UTF-8 file and a cp1252 one: one --encoding reads both, so said
    from dataqa.data import load_tables

    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.csv").write_text("a,b\nna\u00efve,1\n", encoding="utf-8")
    (tmp_path / "parts" / "b.csv").write_bytes("a,b\ncaf\u00e9,1\n".encode("cp1252"))
    with pytest.warns(UserWarning, match=r"a\.csv' is read as cp1252, but it is valid UTF-8 .*"
                                         r"--encoding applies to every file of .*parts': if "
                                         r"some of them are in another encoding, save them all "
                                         r"in one \(UTF-8\) first\."):
        load_tables(tmp_path / "parts", encoding="cp1252")


def test_a_cp1252_file_read_as_latin1_is_warned_about(tmp_path):
    """latin-1 reads a Windows file's curly quotes and dashes as invisible control
    characters, without an error: a warning names the byte and cp1252."""
    (tmp_path / "w.csv").write_bytes("a,b\n\u201cnaive\u201d \u2013 x,1\n".encode("cp1252"))
    with pytest.warns(UserWarning, match=r"w.csv' is read as latin-1, in which byte 0x93 \(at "
                                         r"offset 4\) is an invisible control character; in "
                                         r"cp1252, as Windows and Excel save text, it is "
                                         "'\u201c'. If the file comes from Windows or Excel, "
                                         r"pass --encoding cp1252"):
        df = load_table(tmp_path / "w.csv", encoding="latin-1")
    assert df["a"].tolist() == ["\x93naive\x94 \x96 x"]  # read as asked
    # latin-1 text without those bytes (an accented letter): no warning
    (tmp_path / "l1.csv").write_bytes("a,b\ncaf\u00e9,1\n".encode("latin-1"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_table(tmp_path / "l1.csv", encoding="latin-1")["a"].tolist() == ["caf\u00e9"]
        assert load_table(tmp_path / "w.csv", encoding="cp1252")["a"].tolist() == [
            "\u201cnaive\u201d \u2013 x"]


def test_utf8_read_as_latin1_is_not_taken_for_cp1252_where_the_scan_ends(tmp_path, monkeypatch):
    # the scan of the first bytes can end inside a character: its cut bytes (0x80 of
    # U+5000) are no cp1252 quote, and the UTF-8 warning stays the one given
    import dataqa.data

    monkeypatch.setattr(dataqa.data, "_MOJIBAKE_SCAN", 13)  # ends after E5 80
    (tmp_path / "cjk.csv").write_bytes("a,b\nxxxx\u5000\u5000,1\n".encode("utf-8"))
    with pytest.warns(UserWarning) as caught:
        load_table(tmp_path / "cjk.csv", encoding="latin-1")
    said = [str(w.message) for w in caught]
    assert len(said) == 1 and "is valid UTF-8 text" in said[0], said


def test_a_txt_file_with_sep_is_read_as_delimited_text(tmp_path):
    (tmp_path / "data.txt").write_text("text\tlabel\nhello\tham\n")
    df = load_table(tmp_path / "data.txt", sep="\t")
    assert df.to_dict("list") == {"text": ["hello"], "label": ["ham"]}
    with pytest.raises(DataLoadError, match="cannot tell the format of .*data.txt' from its "
                                            "suffix '.txt'; pass --format"):
        load_table(tmp_path / "data.txt")


def test_a_repeated_id_in_a_table_of_several_files_names_the_file_and_its_row(tmp_path):
    from dataqa.data import load_tables, make_ids

    (tmp_path / "a.csv").write_text("id,text\n1,x\n2,y\n")
    (tmp_path / "b.csv").write_text("id,text\n3,z\n4,w\n4,w\n")
    df = load_tables(tmp_path / "*.csv")
    with pytest.raises(DuplicateIdError, match=r"'4' in rows 4 \(b.csv row 2\), 5 \(b.csv row "
                                               r"3\), counted from 1 after the header\); ids "
                                               r"must be unique. 1 row is an exact copy of an "
                                               r"earlier row: drop them \(pandas: "
                                               r"df.drop_duplicates\(\)\), or leave out the id "
                                               r"column \(--id-column\)"):
        make_ids(df, "id")
    # a filtered table's rows no longer line up with the files: plain row numbers
    with pytest.raises(DuplicateIdError, match=r"'4' in rows 3, 4, counted from 1"):
        make_ids(df[df["id"] != 1].reset_index(drop=True), "id")
    # five files are all named (eliding one of them would save nothing)
    for i in range(3):
        (tmp_path / f"c{i}.csv").write_text(f"id,text\n{10 + i},t\n")
    names = str(load_tables(tmp_path / "*.csv").attrs["dataqa_source"])
    assert "more)" not in names and "c1.csv" in names


def test_numbers_with_a_decimal_comma_read_as_text_are_warned_about(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("price;qty;code\n10,5;1;7,1\n11,25;2;8\n9;3;9,0\n")
    with pytest.warns(UserWarning, match=r"prices.csv': the values are read as text. "
                                         r"Column\(s\) 'price', 'code' hold numbers with a "
                                         r"decimal comma \(e.g. '10,5'\): read the file with "
                                         r"--decimal ','"):
        df = load_table(path, sep=";")
    assert not pd.api.types.is_numeric_dtype(df["price"]) and df["qty"].dtype.kind == "i"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = load_table(path, sep=";", decimal=",")  # read as numbers: nothing to say
        assert df["price"].tolist() == [10.5, 11.25, 9.0]
        # columns asked for as strings (ids, codes) are text on purpose
        load_table(path, sep=";", string_columns=["price", "code"])
        # a comma-separated file's quoted "1,2" is as likely a list (or a US thousands
        # separator): no word; nor for commas each followed by three digits
        quoted = tmp_path / "quoted.csv"
        quoted.write_text('price,qty\n"10,5",1\n"11,25",2\n')
        load_table(quoted)
        thousands = tmp_path / "thousands.csv"
        thousands.write_text("price;qty\n1,299;1\n12,500;2\n")
        load_table(thousands, sep=";")


def test_a_header_line_that_looks_like_data_is_warned_about(tmp_path):
    path = tmp_path / "sms.tsv"
    path.write_text("ham\tGo until jurong point, crazy.. Available only in bugis n great\n"
                    "spam\tFree entry in 2 a wkly comp to win FA Cup final tkts 21st May\n")
    with pytest.warns(UserWarning, match=r"sms.tsv': the names in its header line look like "
                                         r"data \('Go until jurong point, crazy.. Available\.\.\.'"
                                         r": like the values under them\). If the file has no "
                                         r"header line, its first row is read as the names: "
                                         r"read it with --no-header --columns a,b,..."):
        load_table(path)
    # '1' over a column of 0/1 looks like a value; '0.93' outside its column's range does not
    numbers = tmp_path / "scores.csv"
    numbers.write_text("id,0.93,1\nx,0.5,0\ny,0.2,1\n")
    with pytest.warns(UserWarning, match=r"look like data \('1': like the values"):
        load_table(numbers)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_table(path, header=False, columns=["label", "text"])
        # the columns of a saved array count up from 0: names, not data; a year is a name
        pixels = tmp_path / "pixels.csv"
        pixels.write_text("0,1,2,3,label,2019\n1,2,3,4,a,5\n")
        load_table(pixels)
        # a survey's long question over short answers; wavelengths over absorbances
        survey = tmp_path / "survey.csv"
        survey.write_text("id,How satisfied are you with our service overall?,label\n"
                          "1,Very satisfied,a\n2,Not at all,b\n")
        load_table(survey)
        spectra = tmp_path / "spectra.csv"
        spectra.write_text("1100,1102,1104,label\n0.52,0.61,0.7,a\n0.4,0.45,0.5,b\n")
        load_table(spectra)


def test_a_missing_column_names_a_near_match_and_a_comma_list():
    from dataqa.errors import MissingColumnError

    e = MissingColumnError("CONTENT", ["DATE", "CONTENT ", "CLASS"], role="text column")
    assert str(e).startswith("text column 'CONTENT' is not in the table; the table has: DATE, "
                             "'CONTENT ', CLASS. 'CONTENT ' differs from 'CONTENT' only in "
                             "white space around it: is that the one? Pass one of these names.")
    e = MissingColumnError("CONTENT", ["date", "content"], role="text column")
    assert "'content' differs from 'CONTENT' only in its case: is that the one?" in str(e)
    e = MissingColumnError("CONTENT", ["date", "content "], role="text column")
    assert ("'content ' differs from 'CONTENT' only in its case and white space around it"
            in str(e))
    e = MissingColumnError("amount,city", ["amount", "city"], role="feature column")
    assert ("'amount,city' names 2 columns: name one per option, repeating the option (e.g. "
            "--feature-column amount --feature-column city; API: a list).") in str(e)
    e = MissingColumnError("CONTNET", ["COMMENT_ID", "CONTENT", "CLASS"], role="text column")
    assert str(e) == ("text column 'CONTNET' is not in the table; the table has: COMMENT_ID, "
                      "CONTENT, CLASS. Did you mean 'CONTENT'? Pass one of these names.")
    e = MissingColumnError("lable", ["text", "Label"], role="label column")
    assert "Did you mean 'Label'?" in str(e)
    # no guess for numbers, short names or a tie
    for column, names in ((10, [0, 1, 100, 101]), ("age", ["page", "id"]),
                          ("f1", ["f10", "f11"]), ("feat", ["feat1", "feat2"])):
        assert "Did you mean" not in str(MissingColumnError(column, names))
    e = MissingColumnError("nope", ["a", "b"])
    assert str(e) == "column 'nope' is not in the table; the table has: a, b. Pass one of these names."


def test_a_separator_of_several_characters_is_read_as_written_or_as_a_pattern(tmp_path):
    pipes = tmp_path / "pipes.csv"
    pipes.write_text("id||amount||city\n1||2.5||Lyon\n2||3.5||Nice\n")
    df = load_table(pipes, sep="||")  # as written: a pattern '||' would split every character
    assert list(df.columns) == ["id", "amount", "city"]
    assert df["amount"].tolist() == [2.5, 3.5] and df["city"].tolist() == ["Lyon", "Nice"]
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("id;amount,city\n1;2.5,Lyon\n")
    df = load_table(mixed, sep="[;,]")  # not in the file as written: a pattern
    assert list(df.columns) == ["id", "amount", "city"] and df["city"].tolist() == ["Lyon"]


def test_a_headerless_file_with_a_delimiter_at_each_line_end(tmp_path):
    (tmp_path / "t.tsv").write_text("ham\thello there\t\nspam\twin cash now\t\n")
    with pytest.warns(UserWarning, match=r"t.tsv': every line ends with 1 empty field\(s\) "
                                         r"after the 2 that --columns names \(a delimiter at "
                                         r"the end of each line\); left out\.$"):
        df = load_table(tmp_path / "t.tsv", header=False, columns=["label", "text"])
    assert df.to_dict("list") == {"label": ["ham", "spam"], "text": ["hello there", "win cash now"]}
    (tmp_path / "t.csv").write_text('ham,hello,\nspam,"win, now",\n')
    with pytest.warns(UserWarning, match="every line ends with 1 empty field"):
        assert load_table(tmp_path / "t.csv", header=False,
                          columns=["label", "text"])["text"].tolist() == ["hello", "win, now"]
    # a value in the extra field on some line: still one field too many, refused
    (tmp_path / "v.csv").write_text("ham,hello,\nspam,win,x\n")
    with pytest.raises(DataLoadError, match="has 3 fields per row but --columns"):
        load_table(tmp_path / "v.csv", header=False, columns=["label", "text"])


def test_free_text_read_as_labels_is_named_before_its_case_variants():
    # columns named in the wrong order: the texts are read as labels, and two of them
    # differ only in case; what is wrong is the column, not the spelling
    texts = [f"message number {i}" for i in range(118)] + ["See you later", "see you later"]
    df = pd.DataFrame({"id": range(120), "label": texts, "text": ["ham"] * 120})
    with pytest.raises(SmallClassError) as err:
        prepare_labeled(df, label_column="label", id_column="id", text_column="text")
    assert str(err.value).startswith(
        "the labels of label column 'label' of the table hold 120 distinct values in 120 "
        "rows: they look like free text")


def test_a_numeric_id_column_not_named_is_no_feature():
    import warnings

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"id": np.arange(100, 140), "x": rng.normal(size=40),
                       "label": ["a", "b"] * 20, "text": [f"note {k}" for k in range(40)]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = prepare_labeled(df[["id", "x", "label"]], label_column="label")
    said = [str(w.message) for w in caught]
    assert table.feature_columns == ["x"]
    assert any("pass --id-column id" in m and m.endswith(
        "'id' is left out of the features (numbers that name rows say nothing of their "
        "class).") for m in said), said
    with warnings.catch_warnings(record=True) as caught:  # beside a text column: no hint
        warnings.simplefilter("always")
        prepare_labeled(df[["id", "label", "text"]], label_column="label", text_column="text")
    assert not [w for w in caught if "--feature-column" in str(w.message)]
    # named as a feature, it stays one (said only as a missing id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = prepare_labeled(df, label_column="label", feature_columns=["id", "x"])
    assert table.feature_columns == ["id", "x"]
    assert not [w for w in caught if "left out of the features" in str(w.message)]
    # another id beside the named one: left out too, said once
    with pytest.warns(UserWarning, match=r"'order_id' looks like another id \(an id-like "
                                         r"name, a distinct whole number in every row\) and is "
                                         r"left out of the features; name the feature columns"):
        table = prepare_labeled(df[["id", "x", "label"]].assign(order_id=np.arange(40) * 7),
                                label_column="label", id_column="id")
    assert table.feature_columns == ["x"]


def test_rows_without_any_value_are_not_rows(tmp_path):
    # a spreadsheet's export: empty ';;;' lines below the data (CRLF), decimal commas
    path = tmp_path / "export.csv"
    path.write_bytes(b"id;amount;city\r\n7;1,5;Lyon\r\n8;2,25;Nice\r\n;;\r\n;;\r\n")
    with pytest.warns(UserWarning, match=r"2 rows of '.*export.csv' hold no value in any "
                                         r"field \(data rows 3, 4, counted from 1 after the "
                                         r"header: lines such as ';;;;' that"):
        df = load_table(path, sep=";", decimal=",")
    assert df["id"].tolist() == [7, 8] and df["id"].dtype == np.int64  # not 7.0, 8.0
    assert df["amount"].tolist() == [1.5, 2.25] and df["city"].tolist() == ["Lyon", "Nice"]
    # a row with one value is a row; a one-column file keeps its missing values
    path.write_text("id,amount,city\n7,,\n8,2,Nice\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_table(path)) == 2
    path.write_text("label\nham\n\"\"\nspam\n")
    assert len(load_table(path)) == 3


def test_empty_rows_leave_the_columns_types_as_the_data_gives_them(tmp_path):
    # ids above 2**53 (tweet ids) stay exact, booleans stay booleans
    path = tmp_path / "tweets.csv"
    ids = [9007199254740993, 9007199254740995, 1234567890123456789]
    path.write_text("id,flag,score\n" + "".join(f"{i},True,{k}.5\n" for k, i in
                                                enumerate(ids)) + ",,\n,,\n")
    with pytest.warns(UserWarning, match="2 rows of .* hold no value in any field"):
        df = load_table(path)
    assert df["id"].tolist() == ids and df["id"].dtype == np.int64
    assert df["flag"].dtype == bool and df["score"].tolist() == [0.5, 1.5, 2.5]
    assert make_ids(df, "id").tolist() == [str(i) for i in ids]
    # fields that are missing-value words (NA, null) are values: the row is kept
    path.write_text("a,b\nx,y\nNA,null\n")
    assert len(load_table(path, text_columns=["a", "b"])) == 2
    assert len(load_table(path)) == 2
    # empty rows between rows of data (and a first line, without a header): left out,
    # the columns typed as without them
    path.write_text(f"id,flag,text\n{ids[0]},true,a\n,,\n{ids[1]},False,b\n,,\n"
                    f"{ids[2]},TRUE,c\n")
    with pytest.warns(UserWarning, match="2 rows of .* \\(data rows 2, 4,"):
        df = load_table(path)
    assert df["id"].tolist() == ids and df["id"].dtype == np.int64
    assert df["flag"].tolist() == [True, False, True] and df["flag"].dtype == bool
    path.write_text(f",\n{ids[0]},1.5\n{ids[1]},2\n")
    with pytest.warns(UserWarning, match="1 row of .* \\(data row 1, counted from line 1"):
        df = load_table(path, header=False, columns=["id", "x"])
    assert df["id"].tolist() == ids[:2] and df["x"].tolist() == [1.5, 2.0]
    # an empty row between rows of data: left out, the rows after it renumbered
    path.write_text("id,text\n1,a\n,\n2,b\n")
    with pytest.warns(UserWarning, match="1 row of .* holds no value in any field \\(data "
                                         "row 2, counted from 1 after the header.*it is left "
                                         "out.*the rows after it are numbered without it"):
        df = load_table(path)
    assert df["text"].tolist() == ["a", "b"] and len(df) == 2
    # only empty rows: no rows
    path.write_text("id,text\n,\n,\n")
    with pytest.warns(UserWarning, match="2 row"), pytest.raises(EmptyDataError):
        load_table(path)
    # without a header, the same (a TSV of two fields, empty lines of one tab below)
    path = tmp_path / "t.tsv"
    path.write_text("7\tham\n8\tspam\n\t\n")
    with pytest.warns(UserWarning, match="1 row of .* \\(data row 3, counted from line 1: "
                                         "lines such as tabs alone"):
        df = load_table(path, header=False, columns=["id", "label"])
    assert df["id"].tolist() == [7, 8] and df["id"].dtype == np.int64


@pytest.mark.parametrize(("line", "shown", "option"), [
    ("sep=;", "'sep=;'", "--sep ';'"), ("sep=\t", "'sep=\\t'", "--sep tab"),
    ("\ufeffsep=,", "'sep=,'", "--sep ','")])
def test_a_spreadsheets_delimiter_line_is_named(tmp_path, line, shown, option):
    # (a damaged compressed file is still said to be one)
    import lzma

    broken = bytearray(lzma.compress(b"a,b\n" + b"1,2\n" * 2000))
    broken[40:60] = b"\x00" * 20
    (tmp_path / "cut.csv.xz").write_bytes(bytes(broken))
    with pytest.raises(DataLoadError, match="could not be decompressed as xz"):
        load_table(tmp_path / "cut.csv.xz")
    path = tmp_path / "excel.csv"
    path.write_text(f"{line}\r\na;b\r\n1;2\r\n", encoding="utf-8")
    with pytest.raises(DataLoadError, match=re.escape(
            f"the first line of {str(path)!r} is {shown}, the "
            f"delimiter hint a spreadsheet writes, not a header or a row; delete that line "
            f"(e.g. sed -i 1d FILE) and read the file with {option} (API: sep=).")):
        load_table(path, sep=";")


def test_rows_of_a_file_without_a_header_are_counted_from_its_first_line(tmp_path):
    path = tmp_path / "noheader.tsv"
    path.write_text("a\tham\nb\tspam\na\tham\n")
    df = load_table(path, header=False, columns=["id", "label"])
    with pytest.raises(DuplicateIdError, match=r"'a' in rows 1, 3, counted from line 1\); "
                                               r"ids must be unique"):
        make_ids(df, "id")
    path = tmp_path / "header.csv"
    path.write_text("id,label\na,ham\nb,spam\na,ham\n")
    with pytest.raises(DuplicateIdError, match=r"counted from 1 after the header\)"):
        make_ids(load_table(path), "id")
    # the dev labels of dataqa weak, read without a header, say so too
    from dataqa.weak.pipeline import _dev_labels

    dev = tmp_path / "dev.tsv"
    dev.write_text("hello\t1\nwin\t\n")
    frame = load_table(dev, header=False, columns=["text", "gold"])
    with pytest.raises(LabelError, match=r"rows 2, counted from line 1\)"):
        _dev_labels(frame, "gold", 2, None)


def test_ids_rounded_by_a_spreadsheet_are_named_with_the_one_id_they_can_be():
    from dataqa.errors import _lost_zeros_hint, format_rows

    known = ["1050510640795243", "2050510640795243", "abc"]
    hint = _lost_zeros_hint(["1.05051E+15"], known, whose="the plan's", read_as="-")
    assert hint.startswith(" (it is the plan's all-digit id rounded by a spreadsheet, e.g. "
                           "'1.05051E+15' (perhaps '1050510640795243', the one id it can be)")
    # two ids it can be: neither is named; a European spreadsheet's decimal comma too
    hint = _lost_zeros_hint(["1,05051E+15", "x"], [*known, "1050510640799999"],
                            whose="the ledger's", read_as="-")
    assert hint.startswith(" (1 of them is the ledger's all-digit id rounded by a "
                           "spreadsheet, e.g. '1,05051E+15': the digits are lost")
    # nothing to say without all-digit ids, or for other unknown ids
    assert _lost_zeros_hint(["1.05051E+15"], ["abc"], whose="the plan's", read_as="-") == ""
    assert _lost_zeros_hint(["zzz"], known, whose="the plan's", read_as="-") == ""
    assert format_rows([0, 4, 9]) == "1, 5, 10"
    assert format_rows(range(7)) == "1, 2, 3, 4, 5, ... (+2 more)"


def test_byte_order_marks_inside_a_file_are_removed_and_a_repeated_header_still_named(tmp_path):
    # two "CSV UTF-8" exports joined with cat: each keeps its byte-order mark
    bom = b"\xef\xbb\xbf"
    part1 = b"id,n,text\n1,10,a\n2,20,b\n"
    (tmp_path / "joined.csv").write_bytes(bom + part1 + bom + b"id,n,text\n3,30,c\n")
    with pytest.raises(DataLoadError, match="repeats its header line as data: row 3, counted"):
        load_table(tmp_path / "joined.csv")
    # the second part without its header: the mark is removed, the ids stay numbers
    (tmp_path / "mid.csv").write_bytes(bom + part1 + bom + b"3,30,c\n")
    with pytest.warns(UserWarning, match=r"mid.csv': row 3 \(counted from 1 after the header\) "
                                         r"starts with a byte-order mark, as files joined "
                                         r"with cat keep each file's; removed"):
        df = load_table(tmp_path / "mid.csv")
    assert df["id"].tolist() == [1, 2, 3] and df["id"].dtype.kind == "i"
    # an id column read as text keeps its text, without the mark
    with pytest.warns(UserWarning, match="starts with a byte-order mark"):
        df = load_table(tmp_path / "mid.csv", string_columns=["id"])
    assert df["id"].tolist() == ["1", "2", "3"]
    # fields quoted behind the mark (R's write.csv, QUOTE_ALL); a decimal comma
    (tmp_path / "q.csv").write_bytes(bom + b'"id","n"\n"1","a"\n' + bom + b'"id","n"\n')
    with pytest.raises(DataLoadError, match="repeats its header line as data: row 2"):
        load_table(tmp_path / "q.csv")
    (tmp_path / "q.csv").write_bytes(bom + b'"id","n"\n"1","a"\n' + bom + b'"2","b"\n')
    with pytest.warns(UserWarning, match="starts with a byte-order mark"):
        df = load_table(tmp_path / "q.csv")
    assert df["id"].tolist() == [1, 2] and df["id"].dtype == np.int64
    (tmp_path / "eu.csv").write_bytes(bom + b"x;n\n1,5;a\n" + bom + b"2,5;b\n")
    with pytest.warns(UserWarning, match="starts with a byte-order mark"):
        df = load_table(tmp_path / "eu.csv", sep=";", decimal=",")
    assert df["x"].tolist() == [1.5, 2.5] and df["x"].dtype == np.float64
    # '3.250' with a decimal comma is no number (a thousands point): text, as unmarked
    (tmp_path / "eu2.csv").write_bytes(bom + b"x;n\n1.500;a\n" + bom + b"3.250;b\n")
    with pytest.warns(UserWarning, match="starts with a byte-order mark"):
        df = load_table(tmp_path / "eu2.csv", sep=";", decimal=",")
    assert df["x"].tolist() == ["1.500", "3.250"]
    # headerless
    (tmp_path / "bare.csv").write_bytes(bom + b"1,10,a\n" + bom + b"2,20,b\n")
    with pytest.warns(UserWarning, match=r"row 2 \(counted from line 1\) starts with"):
        df = load_table(tmp_path / "bare.csv", header=False, columns=["id", "n", "text"])
    assert df["id"].tolist() == [1, 2]


def test_points_that_may_separate_thousands_are_warned_about(tmp_path):
    views = ["473.715", "1.200.000", "12.500", "7.001", "999.999", "2.345", ""]
    (tmp_path / "eu.csv").write_text("id;views\n" + "".join(
        f"{i};{v}\n" for i, v in enumerate(views)))
    with pytest.warns(UserWarning, match=r"eu.csv': column\(s\) 'views' hold numbers with "
                                         r"exactly three digits after every '.' \(e.g. "
                                         r"'473.715'\), read as text \(a number has one '.' "
                                         r"at most\). '.' separates thousands there"):
        df = load_table(tmp_path / "eu.csv", sep=";")
    assert not pd.api.types.is_numeric_dtype(df["views"])  # 1.200.000 is no number
    views = views[:1] + views[2:]
    (tmp_path / "eu2.csv").write_text("id;views\n" + "".join(
        f"{i};{v}\n" for i, v in enumerate(views)))
    with pytest.warns(UserWarning, match=r"\(e.g. '473.715'\), read as decimals \(473.715\). "
                                         r"If '.' separates thousands there"):
        assert load_table(tmp_path / "eu2.csv", sep=";")["views"].dtype.kind == "f"
    # a blank line above the header
    (tmp_path / "eu3.csv").write_text("\n" + (tmp_path / "eu2.csv").read_text())
    with pytest.warns(UserWarning, match="read as decimals"):
        load_table(tmp_path / "eu3.csv", sep=";")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # decimals of other lengths, a comma-separated file, a leading 0: nothing to say
        (tmp_path / "dec.csv").write_text("id;v\n" + "".join(f"{i};{i}.25\n" for i in range(9)))
        load_table(tmp_path / "dec.csv", sep=";")
        (tmp_path / "us.csv").write_text("id,v\n" + "".join(f"{i},{i + 1}.125\n" for i in range(9)))
        load_table(tmp_path / "us.csv")
        (tmp_path / "small.csv").write_text("id;v\n" + "".join(f"{i};0.{i}25\n" for i in range(9)))
        load_table(tmp_path / "small.csv", sep=";")
        # IPv4 addresses whose last three parts have three digits
        (tmp_path / "ip.csv").write_text("id;ip\n" + "".join(
            f"{i};192.168.{100 + i}.{200 + i}\n" for i in range(9)))
        assert load_table(tmp_path / "ip.csv", sep=";")["ip"].iloc[0] == "192.168.100.200"
    # grouped numbers beside whole numbers below 1,000, which have no group to separate:
    # 1.065 was read as 1.065 without a word
    vals = ["1.065", "735", "1.050", "1.185", "980", "1.480", "520", "1.290"]
    (tmp_path / "mixed.csv").write_text("id;proline\n" + "".join(
        f"{i};{v}\n" for i, v in enumerate(vals)))
    with pytest.warns(UserWarning, match=r"'proline' hold numbers with exactly three digits "
                                         r"after every '.' \(e.g. '1.065'\) \(and whole numbers "
                                         r"below 1,000, which have no group to separate\), "
                                         r"read as decimals \(1.065\)"):
        load_table(tmp_path / "mixed.csv", sep=";")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # read with --thousands '.': the numbers as written, nothing to say
        got = load_table(tmp_path / "mixed.csv", sep=";", thousands=".", decimal=",")
        assert got["proline"].tolist() == [1065, 735, 1050, 1185, 980, 1480, 520, 1290]
        # whole numbers beside a few 3-decimal values (weights, prices): nothing to say
        (tmp_path / "few.csv").write_text("id;v\n" + "".join(
            f"{i};{v}\n" for i, v in enumerate(["1.125", "7", "12", "3.500", "41", "1.750"])))
        load_table(tmp_path / "few.csv", sep=";")
    # amounts in billions with a group above 255 are no addresses
    (tmp_path / "bn.csv").write_text("id;v\n" + "".join(
        f"{i};1.{100 + i}.256.000\n" for i in range(9)))
    with pytest.warns(UserWarning, match="exactly three digits after every '.'"):
        load_table(tmp_path / "bn.csv", sep=";")


def test_a_comma_file_named_tsv_is_told_to_read_as_csv(tmp_path):
    # quoted commas inside texts: --sep ',' would keep TSV's quoting off and split them
    path = tmp_path / "commas.tsv"
    path.write_text('id,text,label\n1,"hi, there",a\n2,plain,b\n')
    with pytest.raises(DataLoadError, match=r"fields separated by ',': pass --format csv \(and "
                                            r"no --sep tab: CSV reads quoted fields, TSV does "
                                            r"not; API: format='csv'\)"):
        load_table(path)
    assert load_table(path, format="csv")["text"].tolist() == ["hi, there", "plain"]


def test_zip_archives_are_named_by_what_they_hold_and_macos_extras_left_out(tmp_path):
    import zipfile

    table = "id,text\n1,a\n2,b\n"
    with zipfile.ZipFile(tmp_path / "mac.zip", "w") as z:  # as macOS "Compress" makes it
        z.writestr("comments.csv", table)
        z.writestr("__MACOSX/._comments.csv", b"\x00\x05\x16\x07")
        z.writestr(".DS_Store", b"\x00")
    assert load_table(tmp_path / "mac.zip")["text"].tolist() == ["a", "b"]
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as z:
        z.writestr("a.csv", table)
        z.writestr("b.csv", table)
    # said without --format (it was "cannot tell the format ... from its suffix '.zip'")
    with pytest.raises(DataLoadError, match=r"two.zip' is a zip archive of 2 files \('a.csv', "
                                            r"'b.csv'\); a zip archive is read when it holds "
                                            r"one table"):
        load_table(tmp_path / "two.zip")
    (tmp_path / "cut.zip").write_bytes(b"PK\x03\x04cut off")
    with pytest.raises(DataLoadError, match="could not be decompressed as zip"):
        load_table(tmp_path / "cut.zip")


def test_a_file_whose_name_does_not_tell_its_format_gets_the_options_its_first_line_needs(
        tmp_path):
    (tmp_path / "u.txt").write_text("id\ttext\n1\ta\n", encoding="utf-16")  # Excel's Unicode text
    with pytest.raises(DataLoadError, match=r"Its first line is UTF-16 text \(as Excel saves "
                                            r"'Unicode text'\) with tabs between fields: pass "
                                            r"--format tsv --encoding utf-16\."):
        load_table(tmp_path / "u.txt")
    assert load_table(tmp_path / "u.txt", format="tsv", encoding="utf-16")["text"].tolist() == ["a"]
    (tmp_path / "s.txt").write_text("id;text\n1;a\n")
    with pytest.raises(DataLoadError, match="with ';' between fields: pass --format csv --sep ';'"):
        load_table(tmp_path / "s.txt")


def test_broken_json_is_named_by_line(tmp_path):
    lines = [json.dumps({"id": i, "text": f"t{i}"}) for i in range(5)]
    lines[3] = lines[3][:-5]  # a line cut off
    (tmp_path / "cut.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataLoadError, match=r"cut.jsonl' as jsonl: line 4 is not valid JSON "
                                            r"\(.*\); fix or drop that line"):
        load_table(tmp_path / "cut.jsonl")
    (tmp_path / "bad.json").write_text('[\n {"id": 1},\n {"id": }\n]\n')
    with pytest.raises(DataLoadError, match=r"bad.json' as json: it is not valid JSON at line 3, "
                                            r"column 9 \(Expecting value\)"):
        load_table(tmp_path / "bad.json")


def test_reading_edge_cases_of_archives_json_and_format_hints(tmp_path):
    import zipfile

    # a zip whose one file is encrypted: named, not a traceback
    with zipfile.ZipFile(tmp_path / "enc.zip", "w") as z:
        z.writestr("data.csv", "id,label\n1,a\n")
    raw = bytearray((tmp_path / "enc.zip").read_bytes())
    raw[6] |= 1  # the encrypted flag, in the local header and the central directory
    raw[raw.find(b"PK\x01\x02") + 8] |= 1
    (tmp_path / "enc.zip").write_bytes(bytes(raw))
    with pytest.raises(DataLoadError, match="enc.zip' is a zip archive whose file 'data.csv' "
                                            "cannot be read here .*encrypted"):
        load_table(tmp_path / "enc.zip")
    # a line separator inside a JSON string is no line break: the bad line is line 3
    lines = [json.dumps({"id": 1, "t": "a\u2028b"}, ensure_ascii=False), '{"id": 2}',
             '{"id": 3']
    (tmp_path / "sep.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataLoadError, match="line 3 is not valid JSON"):
        load_table(tmp_path / "sep.jsonl")
    # the hint reads a compressed file's text, and knows JSON
    with gzip.open(tmp_path / "d.txt.gz", "wt") as fh:
        fh.write("id,text\n1,a\tb\n")
    with pytest.raises(DataLoadError, match="Its first line is text with ',' between fields: "
                                            "pass --format csv"):
        load_table(tmp_path / "d.txt.gz")
    (tmp_path / "r.txt").write_text('{"id": 1}\n{"id": 2}\n')
    with pytest.raises(DataLoadError, match="Its first line looks like JSON: pass --format jsonl"):
        load_table(tmp_path / "r.txt")
    (tmp_path / "a.txt").write_text('[\n  {"id": 1}\n]\n')
    with pytest.raises(DataLoadError, match="Its first line looks like JSON: pass --format json\\."):
        load_table(tmp_path / "a.txt")
    # a header of bracketed names is a delimited header, not JSON
    (tmp_path / "b.txt").write_text("[id],[text]\n1,a\n")
    with pytest.raises(DataLoadError, match="Its first line is text with ',' between fields"):
        load_table(tmp_path / "b.txt")


def test_a_comma_before_three_digits_gets_one_hint_naming_both_readings(tmp_path):
    # 1,000 / 2,037 in a ';' file: a decimal comma or a thousands separator, not both said
    path = tmp_path / "amb.csv"
    path.write_text("a;b;label\n" + "".join(
        f"{1 + i % 9},{(i * 37) % 1000:03d};{i % 7};{'x' if i % 2 else 'y'}\n" for i in range(40)))
    df = load_table(path, sep=";")
    with pytest.raises(FeatureTypeError) as err:
        prepare_labeled(df, label_column="label", feature_columns=["a", "b"])
    msg = str(err.value)
    assert ("Column(s) 'a' hold numbers written with a comma followed by three digits (e.g. "
            "'1,000'): if the comma separates thousands, read the file with --thousands ',' "
            "(API: thousands=','); if it is the decimal mark, read the file with --decimal "
            "',' (API: decimal=',').") in msg
    assert "group their thousands" not in msg
    # in a comma-separated file --decimal ',' cannot be given: the other advice
    (tmp_path / "q.csv").write_text("id,price,label\n" + "".join(
        f'{i},"{1 + i % 9},{(i * 37) % 1000:03d}",{"x" if i % 2 else "y"}\n' for i in range(20)))
    with pytest.raises(FeatureTypeError, match="if the comma separates thousands, read the file "
                                               "with --thousands ','.*; if it is the decimal "
                                               "mark, save the file with ';' between fields and "
                                               "read it with --sep ';' --decimal ','"):
        prepare_labeled(load_table(tmp_path / "q.csv"), label_column="label",
                        feature_columns=["price"])
    # one group of thousands after a space: no decimal mark, so grouped thousands
    spaced = pd.DataFrame({"price": ["1 299", "2 500", "3 100", "14 750"], "label": list("abab")})
    with pytest.raises(FeatureTypeError, match="holds numbers that group their thousands"):
        prepare_labeled(spaced, label_column="label", feature_columns=["price"])
    # European amounts read with --decimal ',': 3.184,81 beside 12,50 (below a thousand,
    # no separator) are grouped thousands, said alone (no --text-column advice)
    (tmp_path / "eu.csv").write_text("id;text;amount;label;city\n1;hello;12,50;a;Rome\n"
                                     "2;win cash;3.184,81;b;Oslo\n3;hi;1.348,93;a;Rome\n"
                                     "4;ok;7,00;b;Oslo\n")
    with pytest.raises(FeatureTypeError) as err:
        prepare_labeled(load_table(tmp_path / "eu.csv", sep=";", decimal=","),
                        label_column="label", feature_columns=["amount"], text_column="text")
    assert str(err.value).endswith(
        "are not numeric. Column 'amount' holds numbers that group their thousands (e.g. "
        "'3.184,81'), which are read as text: read the file with --thousands '.' --decimal "
        "',' (API: thousands='.'), or save them without the separator.")
    # ... and read so, they are numbers
    eu = load_table(tmp_path / "eu.csv", sep=";", decimal=",", thousands=".")
    assert eu["amount"].tolist() == [12.5, 3184.81, 1348.93, 7.0]
    assert eu["id"].tolist() == [1, 2, 3, 4] and eu["text"].tolist()[1] == "win cash"
    # another column beside it that is text: told to encode that one
    with pytest.raises(FeatureTypeError) as err:
        prepare_labeled(load_table(tmp_path / "eu.csv", sep=";", decimal=","),
                        label_column="label", feature_columns=["amount", "city"],
                        text_column="text")
    assert ("feature column(s) 'amount', 'city' of" in str(err.value)
            and "are not numeric; encode 'city' as numbers. Column 'amount' holds numbers "
                "that group their thousands (e.g. '3.184,81')" in str(err.value))


def test_a_folder_keeps_what_its_files_were_read_with(tmp_path):
    from dataqa.data import _DECIMAL_WARNED_ATTR, _SEP_ATTR, load_tables

    for j in range(2):
        (tmp_path / f"p{j}.csv").write_text("a;b\n" + "".join(f"0,{i}5;{i}\n" for i in range(5)))
    with pytest.warns(UserWarning, match="decimal comma"):
        df = load_tables(tmp_path, sep=";")
    # a later hint about these columns is not said a third time
    assert df.attrs[_SEP_ATTR] == ";" and df.attrs[_DECIMAL_WARNED_ATTR] == ["a"]


def test_an_over_long_cell_in_a_folder_is_named_with_its_file(tmp_path, monkeypatch):
    import dataqa.data as data

    monkeypatch.setattr(data, "MAX_CELL_CHARS", 10)
    (tmp_path / "a.csv").write_text("id,text\n1,short\n2,short\n")
    (tmp_path / "b.csv").write_text("id,text\n3,short\n4,far too long a cell\n")
    df = data.load_tables(tmp_path)
    with pytest.raises(FeatureTypeError, match=r"has a cell of 19 characters in row 4 \(b.csv "
                                               r"row 2\) \(id '4'\)"):
        data.check_text_column(df, "text", df["id"].astype(str).to_numpy())
    # sorted after reading, the table keeps its attrs but no longer lines up with its files:
    # its rows are numbered without a file rather than named in the wrong one
    moved = df.sort_values("id", ascending=False)
    with pytest.raises(FeatureTypeError, match=r"has a cell of 19 characters in row 1 \(id '4'\)"):
        data.check_text_column(moved, "text", moved["id"].astype(str).to_numpy())
    assert data._row_in_file(moved, 0) == "1"
    assert data._row_in_file(df, 3) == "4 (b.csv row 2)"


def test_the_cell_cap_holds_in_drift_and_active_learning_too(tmp_path, monkeypatch):
    # an unclosed quote swallows a file's rest into one cell: audit refused it, drift and
    # al init took it (and al init stored it in the ledger)
    import dataqa.data as data
    from dataqa.active.store import store_table
    from dataqa.drift import detect_drift
    from dataqa.ledger import Ledger

    monkeypatch.setattr(data, "MAX_CELL_CHARS", 50)
    words = ["win cash now", "see you at lunch", "free prize", "thanks for the notes"]
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(40)],
                          "text": [f"{words[i % 4]} {i}" for i in range(40)]})
    long = frame.copy()
    long.loc[7, "text"] = "x " * 60
    long.to_csv(tmp_path / "long.csv", index=False)
    with pytest.raises(FeatureTypeError, match=r"long.csv'\) has a cell of 120 characters in "
                                               r"row 8 \(id 'r7'\); cells are capped at 50"):
        detect_drift(frame, tmp_path / "long.csv", text_column="text", id_column="id",
                     n_permutations=19, progress=False)
    with pytest.raises(FeatureTypeError, match=r"has a cell of 120 characters in row 8; cells"):
        detect_drift(tmp_path / "long.csv", frame, text_column="text", id_column="id",
                     n_permutations=19, progress=False)
    with Ledger(tmp_path / "l.db") as led:
        with pytest.raises(FeatureTypeError, match=r"has a cell of 120 characters in row 8 "
                                                   r"\(id 'r7'\)"):
            store_table(led, tmp_path / "long.csv", text_column="text", id_column="id")
        assert led.summary()["items"] == 0
    # a list column of texts is checked as the columns it is compared as (notes[0], ...;
    # looking them up in the table as given was a KeyError)
    rng = np.random.default_rng(0)
    vocab = "the a cat dog sat on mat red blue green runs fast slow big small".split()

    def sentence():
        return " ".join(rng.choice(vocab, 8))

    ref = pd.DataFrame({"notes": [[sentence(), sentence()] for _ in range(120)]})
    cur = pd.DataFrame({"notes": [[sentence(), sentence()] for _ in range(120)]})
    res = detect_drift(ref, cur, n_permutations=19, progress=False)
    assert set(res.columns["kind"]) == {"text"}
    cur.at[5, "notes"] = ["y " * 40, "z"]
    with pytest.raises(FeatureTypeError, match=r"text column 'notes\[0\]' of the current table "
                                               r"has a cell of 80 characters in row 6"):
        detect_drift(ref, cur, n_permutations=19, progress=False)


def test_a_json_file_of_one_bare_value_is_named_as_no_table(tmp_path):
    (tmp_path / "one.json").write_text('"hello"\n')
    with pytest.raises(DataLoadError, match=r"one\.json' holds a single JSON value \(str: "
                                            r"'hello'\), not a table: give a list of records"):
        load_table(tmp_path / "one.json")
    (tmp_path / "n.json").write_text("42")
    with pytest.raises(DataLoadError, match=r"single JSON value \(int: '42'\)"):
        load_table(tmp_path / "n.json")


def test_the_zero_led_byte_scan_reads_a_file_read_with_its_byte_order_mark_as_utf8(tmp_path):
    from pathlib import Path

    from dataqa.data import _may_hold_zero_led

    path = tmp_path / "n.csv"
    path.write_text("a,b\n1,100\n2,205\n")
    for enc in ("utf-8", "utf-8-sig", "UTF8", "latin-1"):
        assert not _may_hold_zero_led(Path(path), None, {"sep": ",", "encoding": enc}), enc
    path.write_text("a,b\n1,007\n")
    assert _may_hold_zero_led(Path(path), None, {"sep": ",", "encoding": "utf-8-sig"})
    assert _may_hold_zero_led(Path(path), None, {"sep": ",", "encoding": "utf-16"})  # (unread)


def test_a_missing_text_column_is_told_before_any_warning_on_other_columns(tmp_path):
    import warnings

    from dataqa.errors import MissingColumnError

    path = tmp_path / "t.csv"
    path.write_text("uid,text,label\na1,hello,ham\na2,buy now,spam\na3,hi there,ham\n")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(MissingColumnError, match="text column 'txt' is not in .*its columns "
                                                     "are: uid, text, label"):
            prepare_labeled(path, label_column="label", text_column="txt")
    assert [str(w.message) for w in seen] == []


def test_two_digit_label_codes_keep_their_leading_zeros(tmp_path):
    import warnings

    path = tmp_path / "codes.csv"
    path.write_text("hour,x,label\n07,1.5,01\n08,2.5,02\n09,3.5,03\n10,4.0,01\n11,0.5,02\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (a class is a name: nothing to warn about)
        df = load_table(path, text_columns=["label"])
    assert df["label"].tolist() == ["01", "02", "03", "01", "02"]
    assert df["hour"].tolist() == [7, 8, 9, 10, 11]  # a zero-padded hour stays a number
    table = prepare_labeled(path, label_column="label", feature_columns=["x"])
    assert [str(c) for c in table.class_names] == ["01", "02", "03"]
    # and headerless, as --no-header --columns reads it
    (tmp_path / "bare.csv").write_text("1.5,01\n2.5,02\n3.5,01\n")
    bare = load_table(tmp_path / "bare.csv", header=False, columns=["x", "label"],
                      text_columns=["label"])
    assert bare["label"].tolist() == ["01", "02", "01"]
    # a stray "01" among "1"s would split class 1 in two: read as numbers, as before,
    # and said (they might be two classes)
    (tmp_path / "stray.csv").write_text("x,label\n1.5,1\n2.5,2\n3.5,1\n4.5,2\n5.5,01\n")
    with pytest.warns(UserWarning, match=r"column 'label' writes a class both with and without "
                                         r"leading zeros \(e\.g\. '01' and '1'\): read as "
                                         r"numbers, so they are one class \(1\)\. If they are "
                                         r"different classes, name them so that they differ "
                                         r"otherwise \(e\.g\. 'c01'\)"):
        stray = load_table(tmp_path / "stray.csv", text_columns=["label"])
    assert stray["label"].tolist() == [1, 2, 1, 2, 1]


def test_grouped_thousands_read_as_text_are_warned_about(tmp_path):
    # 5.100,58 in a ';' file was read as text without a word: drift then called the column
    # an identifier and left it out ("no drift" for a shift it sees once read as numbers)
    def write(name, text):
        (tmp_path / name).write_text(text)
        return tmp_path / name

    cases = [
        ("eu.csv", "a;b\n" + "".join(f"{k}.234,5;{k}\n" for k in range(1, 8)), {"sep": ";"},
         r"'a' look like numbers that group their thousands \(e.g. '1.234,5'\) and are read "
         r"as text, so they are not compared or used as numbers: read the file with "
         r"--thousands '.' --decimal ',' \(API: thousands='.', decimal=','\)", {"sep": ";",
                                                                              "thousands": ".",
                                                                              "decimal": ","}),
        ("us.csv", "a,b\n" + "".join(f'"{k * 37},234,567",{k}\n' for k in range(1, 8)), {},
         r"\(e.g. '37,234,567'\) .* --thousands ',' \(API: thousands=','\)",
         {"thousands": ","}),
        # a decimal comma in one value only; no-break spaces are typed as ' '
        ("nb.tsv", "a\tb\n" + "".join(f"{k * 13}\u00a0500\t{k}\n" for k in range(1, 7))
         + "45\u00a0600,5\t7\n", {"format": "tsv"}, r"--thousands ' ' --decimal ','",
         {"format": "tsv", "thousands": " ", "decimal": ","}),
        ("fr.tsv", "a\tb\n" + "".join(f"{k} 234,5\t{k}\n" for k in range(1, 8)),
         {"format": "tsv"}, r"--thousands ' ' --decimal ','", {"format": "tsv",
                                                                "thousands": " ",
                                                                "decimal": ","}),
        # amounts of one size in two groups (salaries): amounts, not codes
        ("sal.csv", "a;b\n" + "".join(f"8{k} 542;{k}\n" for k in range(1, 8)), {"sep": ";"},
         r"\(e.g. '81 542'\) .* --thousands ' ' \(API: thousands=' '\)",
         {"sep": ";", "thousands": " "}),
        # --decimal ',' given, the thousands mark not: only the latter is asked for
        ("de.csv", "a;b\n" + "".join(f"{k}.234,5;{k}\n" for k in range(1, 8)),
         {"sep": ";", "decimal": ","}, r"read the file with --thousands '.' \(API: "
                                       r"thousands='.'\)", {"sep": ";", "decimal": ",",
                                                            "thousands": "."}),
    ]
    for name, text, kw, message, fix in cases:
        path = write(name, text)
        with pytest.warns(UserWarning, match=message):
            assert not pd.api.types.is_numeric_dtype(load_table(path, **kw)["a"])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = load_table(path, **fix)["a"]
        assert pd.api.types.is_numeric_dtype(got) and got.iloc[0] in (1234.5, 37234567,
                                                                       13500, 81542)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # codes, a single comma before three digits (either reading: the decimal
        # warnings' case), fewer than five values, numbers written in groups of one
        # layout (phone numbers, also with +34 or a leading 0): nothing said
        load_table(write("ids.csv", "a,b\n" + "".join(f"A{k}-1,{k}\n" for k in range(8))))
        for phone in ("6{k}2 345 678", "+34 6{k}2 345 678", "0{k}6 454 286"):
            load_table(write("ph.csv", "a;b\n" + "".join(
                phone.format(k=k) + f";{k}\n" for k in range(1, 8))), sep=";")
        load_table(write("one.csv", "a;b\n" + "".join(f"{k},234;{k}\n" for k in range(1, 8))),
                   sep=";")
        load_table(write("few.csv", "a,b\n" + "".join(f'"{k},234,567",{k}\n'
                                                       for k in range(1, 3))))
    # 1.500.000 in a ';' file is said once, by the points' own warning
    with pytest.warns(UserWarning) as record:
        load_table(write("pts.csv", "a;b\n" + "".join(f"{k}.500.000;{k}\n"
                                                      for k in range(1, 8))), sep=";")
    assert len(record) == 1 and "exactly three digits after every '.'" in str(record[0].message)


def test_numeric_like_with_a_decimal_comma_keeps_cells_read_as_numbers():
    # pandas reads a large file in chunks: a column can hold floats and strings together;
    # the floats' str() holds a '.', which is no bad cell
    from dataqa.data import _numeric_like

    col = pd.Series([1.5, 2.25, "1,4", "3,5", "x", None], dtype=object)
    assert _numeric_like(col, ",").tolist() == [4]
    assert _numeric_like(pd.Series(["1,4", "14.2", "3,5"], dtype=object), ",").tolist() == [1]


def test_numbers_written_with_a_unicode_minus_sign_are_read_as_numbers(tmp_path):
    path = tmp_path / "temps.csv"
    path.write_text("id,temp,word,code\n1,\u22123.5,a\u2212b,\u22127\n2,4,c,8\n"
                    "3,\uff0d0.25,d,9\n4,,e,10\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"temps.csv': values written with the minus sign "
                                         r"'\u2212' \(U\+2212\) or a hyphen-minus look-alike "
                                         r"are read as negative numbers in column 'temp' "
                                         r"\(2 such as '\u22123.5'\)\.$"):
        df = load_table(path, string_columns=["code"])
    assert df["temp"].dtype.kind == "f"
    assert df["temp"].tolist()[:3] == [-3.5, 4.0, -0.25] and pd.isna(df["temp"].iloc[3])
    # a minus inside a word stays text; an id column asked for as strings keeps it
    assert df["word"].tolist()[0] == "a\u2212b" and df["code"].tolist()[0] == "\u22127"
    # a decimal-comma file: the comma is read too
    semi = tmp_path / "semi.csv"
    semi.write_text("x;y\n\u22121,5;1\n2,25;2\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"column 'x' \(1 such as '\u22121,5'\)"):
        assert load_table(semi, sep=";", decimal=",")["x"].tolist() == [-1.5, 2.25]
    # one value that is not a number after the change: the column stays text, no word
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("x\n\u22121\nabc\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_table(mixed)["x"].tolist() == ["\u22121", "abc"]


def test_a_quote_never_closed_is_named_by_its_line(tmp_path):
    path = tmp_path / "notes.csv"
    # the first record spans two lines, so the open quote is on line 6, record 5
    path.write_text('a,b,label\n1,"x\ny",0\n2,y,1\n3,z,0\n4,"w,1\n5,v,0\n')
    with pytest.raises(DataLoadError, match=r"notes.csv' as csv: the quoted field that opens "
                                            r"on line 6 \('4,\"w,1'\) is never closed, so "
                                            r"every line after it would be read into that one "
                                            r"field. Close the quote, remove it, or write a "
                                            r"'\"' that is part of the text as '\"\"'.$"):
        load_table(path)
    gz = tmp_path / "last.csv.gz"
    gz.write_bytes(gzip.compress(b'a,b\n1,x\n5,"v'))
    with pytest.raises(DataLoadError, match=r"opens on line 3 \('5,\"v'\)"):
        load_table(gz)


def test_the_minus_sign_reading_leaves_other_digits_and_grouped_thousands_as_text(tmp_path):
    # full-width digits (a Japanese export) are no ASCII number: text, no error
    wide = tmp_path / "wide.csv"
    wide.write_text("a,b\n\uff0d\uff13,1\n\u22121,2\n", encoding="utf-8")
    assert load_table(wide)["a"].tolist() == ["\uff0d\uff13", "\u22121"]
    # a '.' beside a decimal comma groups thousands: not read as a decimal point
    grouped = tmp_path / "grouped.csv"
    grouped.write_text("a;b\n\u22121.500;1\n2.000;2\n3.250;3\n", encoding="utf-8")
    assert load_table(grouped, sep=";", decimal=",")["a"].tolist() == ["\u22121.500", "2.000",
                                                                      "3.250"]
    # whole numbers stay whole
    whole = tmp_path / "whole.csv"
    whole.write_text("a,b\n\u22123,1\n2,2\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="read as negative numbers in column 'a'"):
        a = load_table(whole)["a"]
    assert a.tolist() == [-3, 2] and a.dtype.kind == "i"
