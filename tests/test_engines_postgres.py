"""The PostgreSQL engine against a real server (``.ci/postgres start`` sets the URL)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from divergence.engines import aggregate
from divergence.errors import OptionError

pytestmark = pytest.mark.filterwarnings("ignore::divergence.errors.DivergenceWarning")

URL = os.environ.get("DIVERGENCE_TEST_PG_URL")
SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
TABLES = ("variants", "edges", "activities", "resources", "durations", "units", "edge_waits")

if not URL:
    pytest.skip(
        "no PostgreSQL server: DIVERGENCE_TEST_PG_URL is not set (start one with "
        "`eval \"$(bash .ci/postgres start)\"`)",
        allow_module_level=True,
    )
sa = pytest.importorskip("sqlalchemy", reason="the postgres extra (sqlalchemy, psycopg) is not installed")
pytest.importorskip("psycopg", reason="the postgres extra (sqlalchemy, psycopg) is not installed")


def _load(frame: pd.DataFrame, table: str) -> None:
    """Load canonical events into ``table`` with COPY, in frame order."""
    engine = sa.create_engine(URL)
    with engine.begin() as conn:
        cur = conn.connection.driver_connection.cursor()
        cur.execute(f'DROP TABLE IF EXISTS "{table}"')
        cur.execute(
            f'CREATE TABLE "{table}" (process text, unit text, case_id text, activity text, '
            '"timestamp" timestamptz, resource text)'
        )
        with cur.copy(f'COPY "{table}" FROM STDIN') as copy:
            for row in frame[["process", "unit", "case", "activity", "timestamp", "resource"]].itertuples(index=False):
                copy.write_row([None if pd.isna(v) else v for v in row])
    engine.dispose()


@pytest.fixture(scope="module")
def sample_events():
    from divergence.io import read_logs

    if not any(SAMPLES.glob("*/*.*")):
        pytest.skip("sample_logs/ not generated")
    events = read_logs(SAMPLES)
    _load(events, "dv_test_events")
    return events


def test_postgres_matches_pandas_on_sample_logs(sample_events):
    expected = aggregate(sample_events, engine="pandas")
    got = aggregate(URL, engine="postgres", sql_table="dv_test_events")
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(expected, name), getattr(got, name), check_exact=True, obj=name)
    assert got.extra["engine"] == "postgres"
    assert got.extra["sources"][0]["events"] == len(sample_events)


def test_postgres_query_with_keys(sample_events):
    query = (
        "SELECT case_id AS ticket, activity AS step, \"timestamp\" AS at, unit AS office, process "
        "FROM dv_test_events WHERE process = 'finance'"
    )
    got = aggregate(URL, engine="postgres", sql_query=query, case_id_key="ticket",
                    activity_key="step", timestamp_key="at", unit_key="office")
    expected = aggregate(sample_events[sample_events["process"] == "finance"].drop(columns="resource"), engine="pandas")
    for name in ("variants", "edges", "durations", "units"):
        pd.testing.assert_frame_equal(getattr(expected, name), getattr(got, name), check_exact=True, obj=name)
    assert len(got.resources) == 0


def test_postgres_needs_table_or_query():
    with pytest.raises(OptionError, match="exactly one"):
        aggregate(URL, engine="postgres")
