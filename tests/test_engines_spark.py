"""The Spark engine in local mode gives exactly the pandas engine's aggregates.

Kept short (one Spark session for the module, one process folder of the
sample logs plus the tiny log with ties): Spark's start-up and per-query
overhead dominate, and all seven sample folders took 143 s. The DuckDB and
PostgreSQL tests cover the whole of sample_logs/; the SQL is the same idea.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from divergence.engines import aggregate

pytestmark = pytest.mark.filterwarnings("ignore::divergence.errors.DivergenceWarning")

pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'divergence[spark]'); Spark tests skipped")
if shutil.which("java") is None:
    pytest.skip("Java is missing: the Spark engine needs a Java 17+ runtime on PATH", allow_module_level=True)
if subprocess.run(["java", "-version"], capture_output=True).returncode != 0:
    pytest.skip("Java is installed but does not run (java -version failed)", allow_module_level=True)

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
TABLES = ("variants", "edges", "activities", "resources", "durations", "units")


@pytest.fixture(scope="session")
def spark_master():
    import os

    from divergence.engines.spark import spark_session

    # few shuffle partitions: the test data is tiny, and each partition is a task
    os.environ.setdefault("DIVERGENCE_SPARK_PARTITIONS", "2")
    spark_session("local[2]")
    return "local[2]"


def _inputs() -> list[Path]:
    """The procurement folder (Parquet) and one XES file (read by pandas, handed to Spark)."""
    folder = SAMPLES / "procurement"
    xes = sorted(SAMPLES.glob("hr/*.xes*"))[:1]
    if not any(folder.glob("*.parquet")) or not xes:
        pytest.skip("sample_logs/ not generated")
    return [folder, *xes]


def test_spark_matches_pandas_on_sample_logs(spark_master):
    files = _inputs()
    expected = aggregate(files, engine="pandas")
    got = aggregate(files, engine="spark", spark_master=spark_master)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(expected, name), getattr(got, name), check_exact=True, obj=name)
    assert got.extra["engine"] == "spark"


def test_spark_on_tiny_log_with_ties(spark_master, tmp_path):
    from test_engines import tiny_csv

    tiny = tiny_csv(tmp_path / "tiny.csv")
    expected = aggregate(tiny, engine="pandas")
    got = aggregate(tiny, engine="spark", spark_master=spark_master)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(expected, name), getattr(got, name), check_exact=True, obj=name)


def test_spark_summary_equals_pandas_on_sample_procurement(spark_master, tmp_path):
    """The whole analysis on Spark's aggregates gives pandas' summary.json."""
    from test_engines_cli import assert_same_summary, run_analyse

    folder = SAMPLES / "procurement"
    target = ["--target", f"procurement={SAMPLES / 'targets' / 'procurement.bpmn'}"]
    expected = run_analyse(tmp_path / "pandas", str(folder), *target)
    got = run_analyse(tmp_path / "spark", str(folder), *target, "--engine", "spark", "--spark-master", spark_master)
    assert got["options"]["engine"] == "spark"
    # Spark does not report per-file hashes yet: compare everything else
    expected.pop("inputs"), got.pop("inputs")
    assert_same_summary(expected, got)
