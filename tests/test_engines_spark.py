"""The Spark engine in local mode gives exactly the pandas engine's results.

One local Spark session for the module and one Spark analysis of the whole of
sample_logs/ (hr as .xes.gz, read by the pandas reader and handed to Spark as
the engine does; finance as CSV and procurement as Parquet, read by Spark).
Its summary.json is compared with the session's pandas run
(``pandas_summary``, conftest.py), and the aggregates it computed on the way
with the pandas engine's. Two small runs check ties in time, awkward file
names and a path that is not a local file. Skipped without PySpark or Java.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from divergence.engines import aggregate

pytestmark = pytest.mark.filterwarnings("ignore::divergence.errors.DivergenceWarning")

pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'divergence[spark]'); Spark tests skipped")


def _java_problem() -> str | None:
    """Why PySpark cannot start a JVM here, or None when a new enough Java runs."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if home and not Path(java).exists():
        return f"Java is missing: JAVA_HOME={home} has no bin/java; Spark tests skipped"
    if java is None:
        return "Java is missing: the Spark engine needs a Java runtime (JAVA_HOME or java on PATH); Spark tests skipped"
    proc = subprocess.run([java, "-version"], capture_output=True, text=True)
    found = re.search(r'version "(\d+)(?:\.(\d+))?', proc.stderr + proc.stdout)
    if proc.returncode != 0 or not found:
        return f"Java is installed but `{java} -version` failed; Spark tests skipped"
    major = int(found[2]) if found[1] == "1" else int(found[1])  # "1.8.0" is Java 8
    need = 17 if int(pyspark.__version__.split(".")[0]) >= 4 else 8
    if major < need:
        return f"Java {major} found; PySpark {pyspark.__version__} needs Java {need}+; Spark tests skipped"
    return None


_NO_JAVA = _java_problem()
if _NO_JAVA:
    pytest.skip(_NO_JAVA, allow_module_level=True)

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
TABLES = ("variants", "edges", "activities", "resources", "durations", "units", "edge_waits")
MASTER = "local[2]"


def assert_same(expected, got) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(expected, name), getattr(got, name), check_exact=True, obj=name)


@pytest.fixture(scope="module")
def spark_master():
    """The module's one local Spark session, stopped afterwards."""
    from divergence.engines import spark as engine

    with pytest.MonkeyPatch.context() as mp:
        # few shuffle partitions: the test data is tiny, and each partition is a task
        mp.setenv("DIVERGENCE_SPARK_PARTITIONS", "2")
        session = engine.spark_session(MASTER)
    yield MASTER
    engine._SESSIONS.pop(MASTER, None)
    session.stop()


@pytest.fixture(scope="module")
def spark_run(spark_master, tmp_path_factory):
    """``analyse sample_logs --engine spark``: its summary.json and the aggregates Spark computed."""
    from divergence import engines
    from test_engines_cli import run_analyse

    if not any(SAMPLES.glob("*/*.*")):
        pytest.skip("sample_logs/ not generated")
    seen = []
    real = engines.aggregate
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engines, "aggregate", lambda source, **kw: seen.append(real(source, **kw)) or seen[-1])
        out = tmp_path_factory.mktemp("spark") / "out"
        summary = run_analyse(out, str(SAMPLES), "--engine", "spark", "--spark-master", spark_master)
    (agg,) = seen
    return summary, agg


def test_spark_aggregates_equal_pandas_on_sample_logs(spark_run):
    _, got = spark_run
    expected = aggregate(SAMPLES, engine="pandas")
    assert_same(expected, got)
    assert got.extra["engine"] == "spark"
    assert got.extra["sources"] == expected.extra["sources"]


def test_spark_summary_equals_pandas_on_sample_logs(spark_run, pandas_summary):
    """The whole analysis on Spark's aggregates gives pandas' summary.json, input hashes included."""
    from test_engines_cli import assert_same_summary

    got, _ = spark_run
    assert got["options"]["engine"] == "spark"
    assert got["options"]["spark_master"] == MASTER
    assert {s["format"] for s in got["inputs"]} == {"xes", "csv", "parquet"}
    assert all(len(s["sha256"]) == 64 and s["events"] > 0 for s in got["inputs"])
    assert_same_summary(pandas_summary, got)


def test_spark_on_tiny_log_with_ties_and_awkward_names(spark_master, tmp_path):
    """Ties in time, duplicates, blanks; a space, '+' and '%' in the folder and file names."""
    from test_engines import tiny_csv

    folder = tmp_path / "north+1 %x"
    folder.mkdir()
    tiny = tiny_csv(folder / "tiny log.csv")
    expected = aggregate(tiny, engine="pandas")
    got = aggregate(tiny, engine="spark", spark_master=spark_master)
    assert_same(expected, got)
    assert got.extra["sources"] == expected.extra["sources"]
    assert "tiny log" in set(got.units["unit"])


def test_spark_records_a_path_it_reads_itself_without_hash(spark_master, tmp_path):
    """A URL (here file://) is read by Spark alone: its record has path, format and events, no sha256."""
    from test_engines import tiny_csv

    (tmp_path / "north").mkdir()
    tiny = tiny_csv(tmp_path / "north" / "tiny.csv")
    expected = aggregate(tiny, engine="pandas")
    got = aggregate(tiny.as_uri(), engine="spark", spark_master=spark_master)
    assert_same(expected, got)  # unit and process from the file name, as for a local file given alone
    assert got.extra["sources"] == [{"path": tiny.as_uri(), "format": "csv", "events": expected.extra["sources"][0]["events"]}]


def test_analyse_passes_urls_to_spark_unchanged(spark_master, tmp_path):
    """``analyse`` keeps a URL whole for Spark (a Path would fold ``scheme://`` into ``scheme:/``)."""
    from test_engines import tiny_csv

    from divergence import analyse

    (tmp_path / "north").mkdir()
    uri = tiny_csv(tmp_path / "north" / "tiny.csv").as_uri()
    result = analyse(uri, engine="spark", spark_master=spark_master, bootstrap=0)
    assert result.options["inputs"] == [uri]
    assert [s["path"] for s in result.sources] == [uri]


def test_a_path_spark_cannot_read_is_a_one_line_input_error(spark_master, tmp_path):
    from divergence.errors import InputError

    missing = (tmp_path / "nowhere" / "events.parquet").as_uri()
    with pytest.raises(InputError) as err:
        aggregate(missing, engine="spark", spark_master=spark_master)
    message = str(err.value)
    assert message.startswith(f"{missing}: Spark could not read it: ") and "\n" not in message
