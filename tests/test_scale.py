"""Out-of-core and distributed checks: the whole table counted, the sample checked, engines agreeing.

The table is a real one (scikit-learn's breast cancer cohort, 569 records) with six records copied,
cut into Parquet files with small row groups so that a few hundred records make many partitions.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from datacert.assay import certify
from datacert.cli import app
from datacert.dataset import build_dataset
from datacert.io import LoadedTable, read_table
from datacert.profile import ProfileGuide, compute_profile, finish_profile, partial_profile
from datacert.roles import Roles
from datacert.scale import check_partitioned, parse_memory_limit, plan_source
from datacert.scale._assay import whole_table_pass
from datacert.scale._partition import (
    KEY_DTYPE,
    POSITION,
    WIDE_KEY_DTYPE,
    _key_order,
    hinted_counts,
    repeated_keys,
    sample_candidates,
    sample_keys,
    value_hints,
)
from datacert.scale._source import ScaleInputError

COPIED = [3, 50, 51, 200, 400, 568]  # records copied at the end of the table
runner = CliRunner()


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    from sklearn.datasets import load_breast_cancer

    frame = pl.from_pandas(load_breast_cancer(as_frame=True).frame)
    return pl.concat([frame, frame[COPIED]])


def _write_parts(frame: pl.DataFrame, folder, sizes: list[int], row_group: int = 64):
    folder.mkdir(parents=True, exist_ok=True)
    start = 0
    for i, size in enumerate(sizes):
        frame.slice(start, size).write_parquet(folder / f"part-{i:02d}.parquet", row_group_size=row_group)
        start += size
    return folder


@pytest.fixture(scope="module")
def parts(cohort, tmp_path_factory):
    return _write_parts(cohort, tmp_path_factory.mktemp("parts"), [200, 200, cohort.height - 400])


def test_the_plan_cuts_files_at_row_groups_and_numbers_rows_across_files(parts, cohort):
    plan = plan_source(parts / "*.parquet", partition_rows=100)
    assert len(plan.files) == 3
    assert plan.rows == cohort.height
    offsets = [p.offset for p in plan.partitions]
    assert offsets == sorted(offsets) and offsets[0] == 0
    assert [p.offset + p.rows for p in plan.partitions[:-1]] == offsets[1:]


def test_whole_table_run_agrees_with_the_in_memory_check(parts, cohort):
    """With a sample as large as the table, the partitioned run finds what the in-memory run finds."""
    roles = Roles.build(target="target")
    partitioned = check_partitioned(str(parts), roles, sample_rows=10_000)
    in_memory = certify(build_dataset(LoadedTable(cohort, "parquet"), roles))
    assert partitioned.dataset["rows"] == cohort.height
    assert partitioned.profile["sampling"]["sampled_rows"] == cohort.height
    duplicates = [f for f in partitioned.findings if f.check == "duplicate_rows"]
    assert len(duplicates) == 1
    assert duplicates[0].evidence["numerator"] == len(COPIED)
    expected_rows = sorted(COPIED + list(range(569, 569 + len(COPIED))))
    assert list(duplicates[0].rows) == expected_rows
    assert duplicates[0].evidence["group_rows"] == [[r, 569 + i] for i, r in enumerate(COPIED)]

    def found(certificate):
        return {(f.check, f.severity, f.columns, f.rows) for f in certificate.findings}

    assert found(partitioned) == found(in_memory)
    assert partitioned.verdict == in_memory.verdict


def test_a_table_that_fits_the_sample_gets_the_in_memory_certificate(parts, cohort, tmp_path):
    """Apart from what names the files (path, count, fingerprint) and the sampling note, it is the same."""
    roles = Roles.build(target="target")
    whole = tmp_path / "whole.parquet"
    cohort.write_parquet(whole)
    partitioned = check_partitioned(str(parts), roles).to_dict(include_run=False)
    in_memory = certify(build_dataset(read_table(whole), roles)).to_dict(include_run=False)
    for document in (partitioned, in_memory):
        for key in ("path", "fingerprint", "files"):
            document["dataset"].pop(key, None)
        document["lineage"]["source"].pop("path")
        document["lineage"]["source"].pop("fingerprint")
        document["lineage"].pop("table")
    assert partitioned["profile"].pop("population_rows") == cohort.height
    assert partitioned["profile"].pop("sampling")["sampled_rows"] == cohort.height
    assert partitioned == in_memory


def test_the_fingerprint_is_what_sha256sum_gives_for_the_files(parts):
    certificate = check_partitioned(str(parts), Roles.build(target="target"), sample_rows=100)
    digests = "".join(
        hashlib.sha256(path.read_bytes()).hexdigest() + "\n" for path in sorted(parts.glob("*.parquet"))
    )
    assert certificate.dataset["fingerprint"] == "sha256:" + hashlib.sha256(digests.encode()).hexdigest()


def test_the_whole_table_profile_merges_from_partitions_and_batches(parts, cohort):
    """Counts and extremes are exact, moments exact up to rounding, over 3 files."""
    plan, _, result = whole_table_pass(str(parts), Roles.build(target="target"), sample_rows=150)
    assert len(plan.partitions) == 3
    sample = compute_profile(result.sample.drop(POSITION))
    merged, whole = finish_profile(result.partial, sample), compute_profile(cohort)
    for stat in ("count", "null_count", "min", "max", "zero_count", "negative_count", "n_unique"):
        assert merged.columns.get_column(stat).to_list() == whole.columns.get_column(stat).to_list(), stat
    for stat in ("mean", "std", "skewness", "kurtosis"):
        np.testing.assert_allclose(
            merged.columns.get_column(stat).to_numpy(), whole.columns.get_column(stat).to_numpy(), rtol=1e-9
        )
    assert merged.top_values["target"] == whole.top_values["target"]  # counted exactly
    assert merged.column("mean radius")["q50"] == sample.column("mean radius")["q50"]


def test_a_sampled_run_counts_duplicates_on_the_whole_table_and_names_whole_table_rows(parts, cohort):
    certificate = check_partitioned(str(parts / "*.parquet"), Roles.build(target="target"), sample_rows=150)
    sampling = certificate.profile["sampling"]
    assert (sampling["sampled_rows"], sampling["population_rows"]) == (150, cohort.height)
    assert certificate.profile["rows"] == cohort.height
    assert certificate.dataset["rows"] == cohort.height
    duplicates = next(f for f in certificate.findings if f.check == "duplicate_rows")
    assert duplicates.evidence["numerator"] == len(COPIED)  # found although most copies are not sampled
    assert duplicates.evidence["denominator"] == cohort.height
    sampled = [f for f in certificate.findings if f.check != "duplicate_rows" and f.rows]
    assert all(0 <= r < cohort.height for f in sampled for r in f.rows)
    assert any(max(f.rows) >= 150 for f in sampled)  # positions of the whole table, not of the sample
    note = f"Checked on a seeded sample of 150 of {cohort.height:,} records"
    for rendered in (certificate.to_text(), certificate.to_markdown(), certificate.to_html()):
        assert note in " ".join(rendered.split())


def test_repeated_ids_and_missing_ids_are_counted_on_the_whole_table(tmp_path, cohort):
    ids = np.arange(cohort.height, dtype=np.float64)
    ids[[10, 300]] = 7  # 7 is repeated three times in all
    ids[[20, 500]] = np.nan
    frame = cohort.with_columns(pl.Series("record_id", ids).fill_nan(None).cast(pl.Int64))
    folder = _write_parts(frame, tmp_path / "ids", [300, frame.height - 300])
    certificate = check_partitioned(str(folder), Roles.build(id="record_id"), sample_rows=100)
    found = [f for f in certificate.findings if f.check == "duplicate_ids"]
    repeated = next(f for f in found if f.severity == "error")
    missing = next(f for f in found if f.severity == "warning")
    assert list(repeated.rows) == [7, 10, 300]
    assert list(missing.rows) == [20, 500]
    # with the id left out, the six copied records are still copies
    copies = next(f for f in certificate.findings if f.check == "duplicate_rows")
    assert copies.evidence["numerator"] == len(COPIED)


def test_the_sample_does_not_depend_on_how_the_table_is_cut(tmp_path, cohort):
    roles = Roles.build(target="target")
    one = _write_parts(cohort, tmp_path / "one", [cohort.height], row_group=1_000)
    three = _write_parts(cohort, tmp_path / "three", [100, 250, cohort.height - 350], row_group=37)
    _, _, a = whole_table_pass(str(one), roles, sample_rows=120)
    _, _, b = whole_table_pass(str(three), roles, sample_rows=120)
    assert a.sample.equals(b.sample)
    assert a.duplicate_records.groups == b.duplicate_records.groups
    assert a.duplicate_records.rows.tolist() == b.duplicate_records.rows.tolist()


def test_bucket_reduction_matches_polars_on_random_keys():
    rng = np.random.default_rng(7)
    keys = np.empty(5_000, dtype=KEY_DTYPE)
    keys["h1"] = rng.integers(0, 400, 5_000).astype(np.uint64)
    keys["h2"] = rng.integers(0, 3, 5_000).astype(np.uint64)
    keys["position"] = rng.permutation(5_000)
    counted = repeated_keys([keys[:2_000], keys[2_000:]])
    frame = pl.DataFrame({"a": keys["h1"], "b": keys["h2"], "p": keys["position"]})
    duplicated = frame.filter(pl.struct("a", "b").is_duplicated())
    assert counted.n_rows == duplicated.height
    assert counted.n_groups == duplicated.select(pl.struct("a", "b").n_unique()).item()
    assert list(counted.rows) == sorted(duplicated["p"].to_list())


def _same_partial(a, b) -> None:
    """Two partial profiles hold the same statistics, bit for bit, and the same value counts."""
    assert (a.n_rows, a.names, a.dtypes) == (b.n_rows, b.names, b.dtypes)
    for name in ("minimum", "maximum", "length_min", "length_max", "mean", "m2", "m3", "m4"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    for name, values in a.sums.items():
        assert np.array_equal(values, b.sums[name], equal_nan=True), name
    assert a.values == b.values
    assert all(np.array_equal(x, y) for x, y in zip(a.sketch, b.sketch, strict=True))


def test_values_counted_by_comparison_give_the_group_by_partial():
    """Integers (negative ones too), booleans and text with nulls, counted from hints, give the
    partial the group-by gives; a batch with a value outside the hints, a column with too many
    values to hint and floating-point columns are grouped."""
    rng = np.random.default_rng(3)
    n = 5_000
    frame = pl.DataFrame(
        {
            "small": rng.integers(-3, 3, n).astype(np.int8),
            "flag": rng.integers(0, 2, n).astype(bool),
            "wide": rng.integers(-(2**40), 2**40, n) % 97 - 50,  # 97 values: too many to hint
            "site": rng.choice(np.array(["A", "B", "Cé", ""]), n),
            "big": rng.choice(np.array([2**63 + 5, 0, 7], dtype=np.uint64), n),
            "score": rng.integers(0, 4, n).astype(np.float64),
        }
    ).with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 3).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("small", "flag", "site", "big")
    )
    guide = ProfileGuide(counted=frozenset(frame.columns))
    first, rest = frame[:2_000], frame[2_000:]
    hints = value_hints(partial_profile(first, guide))
    assert set(hints) == {"small", "flag", "site", "big"}
    known = hinted_counts(rest, hints, guide.counted)
    assert set(known) == {"small", "flag", "site", "big"}
    _same_partial(partial_profile(rest, guide, known), partial_profile(rest, guide))
    # a value the hints do not hold, and a batch where a hinted value is absent
    other = rest.with_columns(
        pl.when(pl.int_range(pl.len()) == 10).then(pl.lit(9, pl.Int8)).otherwise("small").alias("small"),
        pl.when(pl.col("site") == "B").then(pl.lit("A")).otherwise("site").alias("site"),
    )
    known = hinted_counts(other, hints, guide.counted)
    assert "small" not in known and "B" not in known["site"]
    _same_partial(partial_profile(other, guide, known), partial_profile(other, guide))
    # every value missing: nothing counted, as the group-by finds nothing
    missing = rest.with_columns(pl.lit(None, pl.Int8).alias("small"))
    assert hinted_counts(missing, hints, guide.counted)["small"] == {}
    _same_partial(
        partial_profile(missing, guide, hinted_counts(missing, hints, guide.counted)),
        partial_profile(missing, guide),
    )


def test_the_pass_gives_the_same_result_with_and_without_value_hints(parts):
    """The hints change how the later partitions count, not what the pass finds."""
    plan = plan_source(str(parts))
    roles = Roles.build(target="target")
    given: list[dict] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "datacert.scale._pass.value_hints",
            lambda partial: given.append(value_hints(partial)) or given[-1],
        )
        _, _, hinted = whole_table_pass(str(parts), roles, sample_rows=150)
    assert "target" in given[0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("datacert.scale._pass.value_hints", lambda partial: {})
        _, _, grouped = whole_table_pass(str(parts), roles, sample_rows=150)
    assert len(plan.partitions) > 2
    _same_partial(hinted.partial, grouped.partial)


@pytest.mark.parametrize("dtype", [KEY_DTYPE, WIDE_KEY_DTYPE], ids=["compact", "wide"])
def test_keys_are_ordered_as_lexsort_orders_them(dtype):
    """Many ties on both hashes, first hashes past 2**63 and positions past 2**32 (wide keys)."""
    rng = np.random.default_rng(11)
    keys = np.empty(20_000, dtype=dtype)
    keys["h1"] = rng.integers(0, 300, 20_000).astype(np.uint64) + np.uint64(2**63)
    keys["h2"] = rng.integers(0, 3, 20_000).astype(np.uint64) + np.uint64(2**32 - 3)
    offset = 2**33 if dtype is WIDE_KEY_DTYPE else 0
    keys["position"] = rng.permutation(20_000) * 7 + offset
    expected = np.lexsort((keys["position"], keys["h2"], keys["h1"]))
    assert _key_order(keys).tolist() == expected.tolist()


def test_sample_keys_are_seeded_and_spread():
    positions = np.arange(100_000)
    a, b = sample_keys(positions, 0), sample_keys(positions, 1)
    assert np.array_equal(a, sample_keys(positions, 0)) and not np.array_equal(a, b)
    share = (a < np.uint64(2**62)).mean()  # a quarter of the keys lie in the lowest quarter
    assert 0.24 < share < 0.26


@pytest.mark.parametrize(
    ("start", "n", "seed", "threshold"),
    [(0, 200_000, 0, 2**60), (123_456_789, 100_003, 7, 2**62), (5, 70_000, 3, 2**64), (2**40, 1, 1, 2**63)],
)
def test_sample_candidates_are_the_positions_whose_key_is_under_the_threshold(start, n, seed, threshold):
    positions = np.arange(start, start + n)
    keys = sample_keys(positions, seed)
    kept = keys < np.uint64(min(threshold, 2**64 - 1)) if threshold < 2**64 else np.ones(n, bool)
    chosen, chosen_keys = sample_candidates(start, n, seed, threshold)
    assert kept.sum() > 0
    assert np.array_equal(chosen, positions[kept]) and np.array_equal(chosen_keys, keys[kept])


def test_memory_limit_is_read_as_bytes_and_rejected_when_unreadable():
    assert parse_memory_limit("4GB") == 4 * 10**9
    assert parse_memory_limit("512MiB") == 512 * 2**20
    with pytest.raises(ScaleInputError, match="not a size"):
        parse_memory_limit("lots")
    with pytest.raises(ScaleInputError, match="too small"):
        parse_memory_limit("1MB")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["{folder}/nothing-*.parquet"], "no file matches the pattern"),
        (["{folder}/mixed"], "different schemas"),
        (["{folder}/*"], "not a Parquet file"),
        (["{folder}/ok", "--memory-limit", "plenty"], "not a size"),
        (["{folder}/ok", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask"),
    ],
)
def test_bad_partitioned_input_exits_2_with_one_sentence(tmp_path, cohort, arguments, message, monkeypatch):
    monkeypatch.setattr("datacert.scale._dask.SCHEDULER_TIMEOUT", "1s")
    (tmp_path / "notes.txt").write_text("not a table")
    _write_parts(cohort.head(100), tmp_path / "ok", [50, 50])
    mixed = _write_parts(cohort.head(100), tmp_path / "mixed", [50, 50])
    cohort.head(50).with_columns(pl.col("target").cast(pl.String)).write_parquet(mixed / "part-01.parquet")
    result = runner.invoke(app, ["check", *[a.format(folder=tmp_path) for a in arguments]])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_a_missing_dask_extra_is_one_sentence(monkeypatch, parts):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ScaleInputError, match=r"pip install 'datacert\[dask\]'"):
        check_partitioned(str(parts), engine="dask", sample_rows=50)


def test_cli_checks_a_glob_out_of_core_and_writes_the_certificate(parts, tmp_path, cohort):
    out = tmp_path / "certificate.json"
    result = runner.invoke(
        app,
        [
            "check",
            str(parts / "part-*.parquet"),
            "--target",
            "target",
            "--memory-limit",
            "1GB",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code in (0, 3, 4), result.output
    document = json.loads(out.read_text())
    assert document["dataset"]["rows"] == cohort.height
    assert document["run"]["engine"]["name"] == "streaming"
    assert document["run"]["engine"]["memory_limit"] == 10**9


def _comparable(certificate) -> dict:
    document = certificate.to_dict(include_run=False)
    document.pop("run", None)
    return document


@pytest.mark.slow
def test_dask_certificate_equals_the_streaming_certificate(parts):
    pytest.importorskip("distributed")
    roles = Roles.build(target="target")
    streaming = check_partitioned(str(parts), roles, sample_rows=300)
    distributed = check_partitioned(str(parts), roles, engine="dask", workers=2, sample_rows=300)
    assert distributed.run["engine"]["name"] == "dask"
    assert distributed.run["engine"]["workers"] == 2
    assert _comparable(distributed) == _comparable(streaming)


@pytest.mark.slow
def test_dask_certificate_equals_the_streaming_one_with_an_inferred_id(cohort, tmp_path):
    """The Dask pass takes the id before the head's types are inferred (beside the scans): the
    certificate must still equal the streaming one, whose head is built first."""
    pytest.importorskip("distributed")
    ids = np.random.default_rng(1).permutation(cohort.height) * 7 + 11
    frame = cohort.select(pl.Series("record_id", ids), pl.all())
    folder = _write_parts(frame, tmp_path / "with-id", [200, 200, frame.height - 400])
    roles = Roles.build(target="target")
    streaming = check_partitioned(str(folder), roles, sample_rows=300)
    distributed = check_partitioned(str(folder), roles, engine="dask", workers=2, sample_rows=300)
    assert streaming.dataset["roles"]["id"] == "record_id"
    assert _comparable(distributed) == _comparable(streaming)
