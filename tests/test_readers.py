"""Readers: every format and encoding gives the same table, row positions stay exact."""

from __future__ import annotations

import polars as pl
import pytest

from datacert.io import InputError, read_table


@pytest.fixture
def accented() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "patient": ["P1", "P2", "P3", "P4"],
            "ville": ["Besançon", "Orléans", "Nîmes", "Évry"],
            "poids": [70.5, 82.25, 64.0, 91.75],
            "age": [34, 58, 71, 45],
        }
    )


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters_are_sniffed(tmp_path, accented, delimiter):
    path = tmp_path / "t.csv"
    accented.write_csv(path, separator=delimiter)
    table = read_table(path)
    assert table.facts["delimiter"] == delimiter
    assert table.frame.equals(accented)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_csv_encodings_keep_accents(tmp_path, accented, encoding):
    text = accented.write_csv(separator=";")
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding))
    table = read_table(path)
    assert table.frame.get_column("ville").to_list() == accented.get_column("ville").to_list()
    assert list(table.frame.columns) == list(accented.columns)


def test_decimal_comma_is_read_as_numbers(tmp_path):
    path = tmp_path / "fr.csv"
    path.write_text("id;glycemie;age\nA;5,4;61\nB;6,1;70\nC;12,5;55\n", encoding="utf-8")
    table = read_table(path)
    assert table.frame.get_column("glycemie").to_list() == [5.4, 6.1, 12.5]
    assert table.frame.schema["age"] == pl.Int64
    assert table.facts["decimal_comma"] is True


def test_quoted_newlines_keep_record_positions(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text('id,note,x\n1,"ligne un\nligne deux",3\n2,simple,4\n3,"a, b",5\n', encoding="utf-8")
    frame = read_table(path).frame
    assert frame.height == 3
    assert frame.get_column("note")[0] == "ligne un\nligne deux"
    assert frame.get_column("x").to_list() == [3, 4, 5]


def test_mixed_column_stays_text(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("crp\n4.5\n<5\n12\nNR\n", encoding="utf-8")
    frame = read_table(path).frame
    assert frame.schema["crp"] == pl.String
    assert frame.get_column("crp").to_list() == ["4.5", "<5", "12", "NR"]


def test_parquet_excel_jsonl_sas(tmp_path, accented):
    accented.write_parquet(tmp_path / "t.parquet")
    accented.write_excel(tmp_path / "t.xlsx")
    accented.write_ndjson(tmp_path / "t.jsonl")
    for name in ("t.parquet", "t.xlsx", "t.jsonl"):
        frame = read_table(tmp_path / name).frame
        assert frame.get_column("ville").to_list() == accented.get_column("ville").to_list(), name
        assert frame.get_column("poids").to_list() == accented.get_column("poids").to_list(), name
    pyreadstat = pytest.importorskip("pyreadstat")
    ascii_frame = accented.with_columns(pl.col("ville").str.replace_all(r"[^A-Za-z]", "x"))
    pyreadstat.write_xport(ascii_frame.to_pandas(), str(tmp_path / "t.xpt"))
    frame = read_table(tmp_path / "t.xpt").frame
    assert frame.get_column("poids").to_list() == accented.get_column("poids").to_list()
    assert frame.height == 4


def test_input_file_is_never_modified(tmp_path, accented):
    path = tmp_path / "t.csv"
    accented.write_csv(path)
    before = path.read_bytes()
    stat = path.stat()
    read_table(path)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stat.st_mtime_ns


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("missing.csv", None, "does not exist"),
        ("empty.csv", b"", "empty"),
        ("binary.csv", b"\x00\x01\x02\x03", "binary"),
        ("broken.parquet", b"PAR1not really parquet", "could not be read"),
    ],
)
def test_unreadable_inputs_raise_one_sentence(tmp_path, name, content, expected):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_table(path)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_settings_files_share_one_error_shape(tmp_path):
    from datacert.io._settings import read_settings_file

    class Bad(Exception):
        pass

    (tmp_path / "ok.yaml").write_text("a: 1\n")
    assert read_settings_file(tmp_path / "ok.yaml", Bad, "x") == {"a": 1}
    (tmp_path / "bad.json").write_text('{"a": ')
    for name, words in (("missing.yaml", "does not exist"), ("bad.json", "not valid JSON")):
        with pytest.raises(Bad, match=words) as info:
            read_settings_file(tmp_path / name, Bad, "Settings file")
        assert str(info.value).startswith("Settings file") and "\n" not in str(info.value)
