"""Engines compute exactly the pandas engine's aggregates (DuckDB always runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from divergence.engines import AUTO_DUCKDB_BYTES, aggregate, choose_engine, profile_source
from divergence.errors import OptionError, TimestampError
from divergence.profile import assemble_profiles

pytest.importorskip("duckdb")

pytestmark = pytest.mark.filterwarnings("ignore::divergence.errors.DivergenceWarning")

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
TABLES = ("variants", "edges", "activities", "resources", "durations", "units", "edge_waits")


def assert_same(a, b) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)


def tiny_csv(path: Path) -> Path:
    """Ties in time, a duplicate, blanks, control characters, naive and offset times."""
    path.write_text(
        "case_id,activity,timestamp,resource,department\n"
        "c1,A,2024-01-01T09:00:00Z,ann,north\n"
        "c1,C,2024-01-01T10:00:00Z,bob,north\n"
        "c1,B,2024-01-01T10:00:00Z,bob,north\n"  # tie with C: file order decides (C then B)
        "c1,B,2024-01-01T10:00:00Z,bob,north\n"  # exact duplicate: dropped
        "c2,A,2024-01-01T11:00:00+02:00,,north\n"
        "c2,B\x01,2024-01-01 12:30:00,ann,north\n"  # control character stripped, naive time = UTC
        "c3,A,2024-01-02T08:00:00Z,ann,\n"  # blank unit: file stem
        "c3,,2024-01-02T09:00:00Z,ann,south\n"  # no activity: dropped
        ",A,2024-01-02T09:00:00Z,ann,south\n"  # no case: dropped
        "c4,A,2024-01-03T08:00:00.5Z,cy,south\n"
        "c4,B,2024-01-03T08:00:00.5Z,cy,south\n"
        "c4,A,2024-01-03T09:15:00Z,cy,south\n"
        "c5,B,2024-01-04T08:00:00Z,cy,south\n"
        "c5,A,2024-01-04T07:00:00Z,cy,south\n",  # out of order: sorted by time
        encoding="utf-8",
    )
    return path


def lifecycle_parquet(path: Path) -> Path:
    frame = pd.DataFrame(
        {
            "case:concept:name": ["k1", "k1", "k1", "k1", "k2", "k2", "k2"],
            "concept:name": ["A", "A", "B", "B", "A", "A", "C"],
            "time:timestamp": pd.to_datetime(
                ["2024-02-01T08:00", "2024-02-01T09:00", "2024-02-01T09:30", "2024-02-01T11:00",
                 "2024-02-02T08:00", "2024-02-02T08:45", "2024-02-02T09:00"], utc=True
            ),
            "lifecycle:transition": ["start", "complete", "start", "complete", "start", "complete", "schedule"],
            "org:resource": ["r1", "r1", "r2", "r2", None, "r1", "r1"],
            "unit": ["east"] * 7,
        }
    )
    frame.to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def sample_aggs():
    if not any(SAMPLES.glob("*/*.*")):
        pytest.skip("sample_logs/ not generated")
    return aggregate(SAMPLES, engine="pandas"), SAMPLES


def test_duckdb_matches_pandas_on_sample_logs(sample_aggs):
    expected, root = sample_aggs
    got = aggregate(root, engine="duckdb", memory_limit="1GB", threads=2)
    assert_same(expected, got)
    assert got.extra["engine"] == "duckdb"
    strip = lambda recs: [{k: r[k] for k in ("path", "sha256", "format", "events")} for r in recs]  # noqa: E731
    assert strip(got.extra["sources"]) == strip(expected.extra["sources"])


def test_duckdb_matches_pandas_on_tiny_logs(tmp_path):
    tiny = tiny_csv(tmp_path / "tiny.csv")
    life = lifecycle_parquet(tmp_path / "life.parquet")
    expected = aggregate([tiny, life], engine="pandas")
    got = aggregate([tiny, life], engine="duckdb")
    assert_same(expected, got)
    v = got.variants.set_index(["unit", "variant"])["cases"]
    assert v[("north", "A\x1fC\x1fB")] == 1  # tie kept in file order
    assert v[("tiny", "A")] == 1  # blank unit -> file stem
    a = got.activities.set_index(["unit", "activity"])
    assert a.loc[("east", "A"), "median_service_s"] == 3150.0  # k1 3600 s, k2 2700 s
    assert a.loc[("east", "B"), "median_service_s"] == 5400.0
    assert got.units.set_index("unit").loc["east", "events"] == 3  # starts folded, schedule dropped


def test_exact_medians_even_counts(tmp_path):
    rows = ["case,activity,timestamp,unit"]
    for i, seconds in enumerate([1, 2, 4, 7, 1.1, 2.3]):
        rows.append(f"x{i},A,2024-01-01T00:00:00Z,u")
        rows.append(f"x{i},B,2024-01-01T00:00:{seconds:09.6f}Z,u".replace(":00:0", ":00:0"))
    path = tmp_path / "m.csv"
    path.write_text("\n".join(rows) + "\n")
    expected = aggregate(path, engine="pandas")
    got = aggregate(path, engine="duckdb")
    assert_same(expected, got)
    assert got.edges["median_wait_s"].iloc[0] == np.median([1, 2, 4, 7, 1.1, 2.3])


def test_duckdb_on_a_frame_and_partitioned_parquet(tmp_path):
    from divergence.io import read_logs

    tiny = tiny_csv(tmp_path / "tiny.csv")
    events = read_logs(tiny)
    assert_same(aggregate(events, engine="pandas"), aggregate(events, engine="duckdb"))
    parts = tmp_path / "parts"
    parts.mkdir()
    canon = events.drop(columns=[c for c in events.columns if c not in ("process", "unit", "case", "activity", "timestamp", "resource")])
    for k, (_, chunk) in enumerate(canon.groupby(np.arange(len(canon)) // 4)):
        chunk.to_parquet(parts / f"part-{k:03d}.parquet", index=False)
    assert_same(aggregate(parts, engine="pandas"), aggregate(parts, engine="duckdb"))
    assert_same(aggregate(parts, engine="pandas"), aggregate(str(parts / "part-*.parquet"), engine="duckdb"))


def test_profiles_from_duckdb_equal_pandas(tmp_path):
    tiny = tiny_csv(tmp_path / "tiny.csv")
    a = profile_source(tiny, engine="pandas")
    b = assemble_profiles(aggregate(tiny, engine="duckdb"))
    assert a.keys() == b.keys()
    for p in a:
        for u in a[p]:
            pa_, pb = a[p][u], b[p][u]
            assert (pa_.cases, pa_.events, pa_.first, pa_.last) == (pb.cases, pb.events, pb.first, pb.last)
            for t in ("variants", "edges", "activities", "resources", "durations", "edge_waits"):
                pd.testing.assert_frame_equal(getattr(pa_, t), getattr(pb, t), check_exact=True)


def test_bad_timestamp_is_a_timestamp_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("case,activity,timestamp\n1,A,not a time\n")
    with pytest.raises(TimestampError):
        aggregate(path, engine="duckdb")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"engine": "polars"}, "valid: auto, pandas, duckdb, postgres, spark"),
        ({"engine": "pandas", "memory_limit": "1GB"}, "memory_limit"),
        ({"engine": "duckdb", "sql_table": "t"}, "sql_table"),
    ],
)
def test_bad_options(tmp_path, kwargs, match):
    with pytest.raises(OptionError, match=match):
        aggregate(tiny_csv(tmp_path / "t.csv"), **kwargs)


def test_auto_choice(tmp_path):
    tiny = tiny_csv(tmp_path / "tiny.csv")
    assert AUTO_DUCKDB_BYTES == 2 * 1024**3
    assert choose_engine(tiny) == "pandas"
    assert choose_engine(tiny, threshold=10) == "duckdb"
    assert choose_engine("postgresql://x/y", sql_table="events") == "postgres"
    assert aggregate(tiny).extra["engine"] == "pandas"
