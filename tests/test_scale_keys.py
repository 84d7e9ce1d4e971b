"""Whole-table keys of the streaming pass: exact duplicate and identifier counts across batches and
partitions, the identifier-span shortcut and its fall-back, checked against polars on the same rows.

The records are a real table (scikit-learn's diabetes cohort, 442 records) with copies planted at
known positions, written as several Parquet files so that keys meet across batches and partitions.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from datacert.profile import profile_guide
from datacert.scale._partition import KEY_DTYPE, ScanOptions, _BucketWriter, scan_partition, spans_need_keys
from datacert.scale._pass import stream_pass
from datacert.scale._source import plan_source

COPIES = {5: [100, 300, 441], 17: [18], 250: [420]}  # record -> positions later overwritten by copies of it


@pytest.fixture(scope="module")
def records() -> pl.DataFrame:
    from sklearn.datasets import load_diabetes

    frame = pl.from_pandas(load_diabetes(as_frame=True, scaled=False).frame)
    rows = np.arange(frame.height)
    for source, targets in COPIES.items():
        rows[targets] = source
    return frame[rows]


def _write(frame: pl.DataFrame, folder, sizes: list[int]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    start = 0
    for i, size in enumerate(sizes):
        frame.slice(start, size).write_parquet(folder / f"part-{i:02d}.parquet", row_group_size=40)
        start += size
    return str(folder / "*.parquet")


def _options(frame: pl.DataFrame, id_column: str | None, batch_rows: int = 37, bits: int = 3) -> ScanOptions:
    return ScanOptions(
        record_columns=tuple(c for c in frame.columns if c != id_column),
        id_column=id_column,
        sample_threshold=2**64,
        seed=0,
        batch_rows=batch_rows,
        bucket_bits=bits,
        guide=profile_guide(frame.head(50)),
    )


def _truth(frame: pl.DataFrame, columns: list[str]) -> tuple[int, int, list[int], list[tuple[int, ...]]]:
    """(groups, rows, repeated positions, groups by first position) as polars counts them."""
    indexed = frame.with_row_index("position").drop_nulls(columns)
    repeated = indexed.filter(pl.struct(columns).is_duplicated())
    groups = repeated.group_by(columns).agg(pl.col("position").sort()).get_column("position").to_list()
    groups = sorted((tuple(int(p) for p in g) for g in groups), key=lambda g: g[0])
    return len(groups), repeated.height, sorted(repeated.get_column("position").to_list()), groups


def _check(found, truth) -> None:
    n_groups, n_rows, rows, groups = truth
    assert (found.n_groups, found.n_rows) == (n_groups, n_rows)
    assert found.rows.tolist() == rows
    assert list(found.groups) == groups
    assert found.pairs == sum(len(g) * (len(g) - 1) // 2 for g in groups)


@pytest.mark.parametrize(
    ("bits", "key_budget"),
    [
        pytest.param(0, 0, id="one bucket, all on disk"),
        pytest.param(3, 0, id="8 buckets, all on disk"),
        pytest.param(3, 1_500, id="8 buckets, the first partitions held, the others on disk"),
        pytest.param(3, 10**9, id="8 buckets, all held in memory"),
        pytest.param(9, 1_500, id="512 buckets (two-byte bucket numbers), some held"),
    ],
)
def test_duplicate_records_are_counted_exactly_across_batches_and_files(records, tmp_path, bits, key_budget):
    source = _write(records, tmp_path / "records", [150, 150, records.height - 300])
    plan = plan_source(source, partition_rows=60)
    assert len(plan.partitions) > 3
    options = _options(records, None, bits=bits)
    result = stream_pass(plan, options, sample_rows=10, threads=2, key_budget=key_budget)
    _check(result.duplicate_records, _truth(records, records.columns))
    assert result.repeated_ids is None


def _with_ids(records: pl.DataFrame, ids: list) -> pl.DataFrame:
    return records.with_columns(pl.Series("record_id", ids))


def test_increasing_ids_are_summed_up_by_spans_and_give_no_keys(records, tmp_path):
    frame = _with_ids(records, [f"P{i:05d}" for i in range(records.height)])
    source = _write(frame, tmp_path / "ordered", [200, records.height - 200])
    plan = plan_source(source, partition_rows=60)
    options = _options(frame, "record_id")
    scanned = [scan_partition(p, options) for p in plan.partitions]
    assert all(s.id_span is not None and s.id_keys == 0 for s, _, _ in scanned)
    assert all(not len(piece) for _, _, ids in scanned for piece in ids)
    assert not spans_need_keys([s for s, _, _ in scanned])
    result = stream_pass(plan, options, sample_rows=10)
    assert (result.repeated_ids.n_groups, result.repeated_ids.n_rows) == (0, 0)
    # the copies still count as copies: the id is not part of a record's identity
    _check(result.duplicate_records, _truth(frame, [c for c in frame.columns if c != "record_id"]))


@pytest.mark.parametrize(
    "ids",
    [
        # every partition increasing, but two spans overlap (a later file restarts the numbering)
        lambda n: [*range(200), *range(150, 150 + n - 200)],
        # one partition out of order beside increasing ones
        lambda n: [*range(100), *reversed(range(100, 200)), *range(200, n - 1), 3],
        # a repeat inside one batch, missing ids around it
        lambda n: [None if i % 97 == 5 else (i if i != 60 else 59) for i in range(n)],
    ],
    ids=["overlapping spans", "unordered partition", "repeat within a batch"],
)
def test_repeated_ids_are_exact_whatever_the_order(records, tmp_path, ids):
    frame = _with_ids(records, ids(records.height)).with_columns(pl.col("record_id").cast(pl.Int64))
    source = _write(frame, tmp_path / "ids", [200, records.height - 200])
    plan = plan_source(source, partition_rows=60)
    result = stream_pass(plan, _options(frame, "record_id"), sample_rows=10)
    _check(result.repeated_ids, _truth(frame, ["record_id"]))
    absent = frame.with_row_index("p").filter(pl.col("record_id").is_null()).get_column("p").to_list()
    assert result.missing_ids.n_rows == len(absent)
    assert result.missing_ids.rows.tolist() == absent


def test_float_ids_are_hashed_not_spanned(records, tmp_path):
    frame = _with_ids(records, np.arange(records.height, dtype=np.float64))
    plan = plan_source(_write(frame, tmp_path / "float", [records.height]), partition_rows=60)
    summary, _, ids = scan_partition(plan.partitions[0], _options(frame, "record_id"))
    assert summary.id_span is None and summary.id_keys == plan.partitions[0].rows
    assert sum(len(piece) for piece in ids) == plan.partitions[0].rows


def test_positions_past_32_bits_take_the_wide_key_layout(records, tmp_path):
    """A partition whose positions pass 2**32 keeps them whole; its keys meet compact ones in a bucket."""
    from dataclasses import replace

    from datacert.scale._partition import KEY_DTYPE, WIDE_KEY_DTYPE, combine_repeated
    from datacert.scale._pass import _Spill

    plan = plan_source(_write(records, tmp_path / "wide", [records.height]), partition_rows=10_000)
    near, far = plan.partitions[0], replace(plan.partitions[0], index=1, offset=2**32 - 100)
    options = _options(records, None)
    spill = _Spill(tmp_path / "spill", options.buckets)
    (tmp_path / "spill").mkdir()
    for partition, layout in ((near, KEY_DTYPE), (far, WIDE_KEY_DTYPE)):
        _, buckets, _ = scan_partition(partition, options)
        assert {b.dtype for b in buckets} == {layout}
        spill.append("records", buckets)
    found = combine_repeated(spill.reduce("records", threads=2))
    # every record of the far copy repeats its near twin, and the planted copies repeat within each
    twice = pl.concat([records, records])
    n_groups, n_rows, _, groups = _truth(twice, twice.columns)
    shift = 2**32 - 100 - records.height
    assert (found.n_groups, found.n_rows) == (n_groups, n_rows)
    assert list(found.groups) == [tuple(p if p < records.height else p + shift for p in g) for g in groups]
    assert found.rows.dtype == np.int64 and found.rows.max() > 2**32 - 100


@pytest.mark.parametrize(
    "ids",
    [lambda n: list(range(1000, 1000 + n)), lambda n: [*range(300), *range(250, 250 + n - 300)]],
    ids=["increasing ids", "ids repeated across files"],
)
def test_the_certificate_equals_the_in_memory_one_with_an_id_column(records, tmp_path, ids):
    """Apart from what names the files and the sampling note, the out-of-core certificate is the
    in-memory one, whether the identifiers are proven unique by their spans or counted from keys."""
    from datacert.assay import certify
    from datacert.dataset import build_dataset
    from datacert.io import read_table
    from datacert.roles import Roles
    from datacert.scale import check_partitioned

    frame = _with_ids(records, ids(records.height))
    roles = Roles.build(id="record_id", target="target")
    whole = tmp_path / "whole.parquet"
    frame.write_parquet(whole)
    source = _write(frame, tmp_path / "parts", [300, records.height - 300])
    partitioned = check_partitioned(source, roles).to_dict(include_run=False)
    in_memory = certify(build_dataset(read_table(whole), roles)).to_dict(include_run=False)
    for document in (partitioned, in_memory):
        for key in ("path", "fingerprint", "files"):
            document["dataset"].pop(key, None)
        document["lineage"]["source"].pop("path")
        document["lineage"]["source"].pop("fingerprint")
        document["lineage"].pop("table")
    assert partitioned["profile"].pop("population_rows") == records.height
    assert partitioned["profile"].pop("sampling")["sampled_rows"] == records.height
    assert partitioned == in_memory
    repeated = [f for f in in_memory["findings"] if f["check"] == "duplicate_ids"]
    assert bool(repeated) == (frame.get_column("record_id").n_unique() < frame.height)


@pytest.mark.parametrize("bits", [1, 4, 8, 9, 12])
def test_buckets_hold_their_keys_in_the_order_they_came(bits):
    """Each bucket is the keys whose first hash starts with its number, in the order they were added
    (batches of consecutive positions and of given positions), whatever the width of the numbers."""
    rng = np.random.default_rng(bits)
    writer = _BucketWriter(bits, KEY_DTYPE, 3_000)
    h1 = rng.integers(0, 2**64, 3_000, dtype=np.uint64)
    h1[:50] = 2**64 - 1 - np.arange(50, dtype=np.uint64)  # the last bucket is not empty
    h2 = rng.integers(0, 2**64, 3_000, dtype=np.uint64)
    positions = np.r_[np.arange(1_000), rng.permutation(2_000) + 5_000]
    writer.add(pl.Series(h1[:1_000]), pl.Series(h2[:1_000]), 0)
    writer.add(pl.Series(h1[1_000:]), pl.Series(h2[1_000:]), positions[1_000:])
    pieces = writer.buckets()
    assert len(pieces) == 2**bits and sum(len(p) for p in pieces) == 3_000
    top = h1 >> np.uint64(64 - bits)
    for b, piece in enumerate(pieces):
        mine = np.flatnonzero(top == b)
        assert piece["h1"].tolist() == h1[mine].tolist()
        assert piece["h2"].tolist() == (h2[mine] & np.uint64(0xFFFFFFFF)).tolist()
        assert piece["position"].tolist() == positions[mine].tolist()
