"""The whole analysis gives the same summary.json whichever engine profiles the events.

Each run is the real command (``divergence.cli.main(["analyse", ...])``),
in this process. Default alignments are deterministic; :func:`run_analyse`
also lifts pm4py A*'s time limit in case a run takes that route, so that
the comparison is about the engines, not about the machine's load. The
pandas run they are compared with is ``pandas_summary`` (conftest.py), made
once per session for these tests and the Spark ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
PG_URL = os.environ.get("DIVERGENCE_TEST_PG_URL")

#: Fields that differ between runs by design: when, with which engine, how long.
VOLATILE = ("generated_at",)
VOLATILE_OPTIONS = ("engine", "inputs", "sql_table", "sql_query", "spark_master", "memory_limit")

pytestmark = pytest.mark.filterwarnings("ignore::divergence.errors.DivergenceWarning")


def run_analyse(out: Path, *args: str) -> dict:
    """``divergence analyse ARGS`` (no graphs, 3 bootstrap draws, no A* time limit): its summary.json."""
    from divergence import cli
    from divergence.model import pm

    argv = ["analyse", *args, "--out", str(out), "--no-graphs", "--bootstrap", "3", "--quiet"]
    original = pm._astar
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pm, "_astar", lambda trace, model, timeout_s: original(trace, model, 600.0))
        assert cli.main(argv) == 0
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def comparable(summary: dict) -> dict:
    """The summary without the fields that name the run rather than the result."""
    out = {k: v for k, v in summary.items() if k not in VOLATILE}
    out["options"] = {k: v for k, v in summary["options"].items() if k not in VOLATILE_OPTIONS}
    return _strip_timings(out)


def _strip_timings(obj):
    if isinstance(obj, dict):
        return {k: _strip_timings(v) for k, v in obj.items() if "timing" not in k and not k.endswith("_seconds")}
    if isinstance(obj, list):
        return [_strip_timings(v) for v in obj]
    return obj


def assert_same_summary(expected: dict, got: dict) -> None:
    a, b = comparable(expected), comparable(got)
    if a != b:  # name the first differing paths instead of a wall of JSON
        diffs: list[str] = []
        _diff(a, b, "", diffs)
        pytest.fail("summary.json differs:\n" + "\n".join(diffs[:20]))


def _diff(x, y, path: str, out: list[str]) -> None:
    if type(x) is not type(y):
        out.append(f"{path}: {x!r:.80} != {y!r:.80}")
    elif isinstance(x, dict):
        for k in sorted(set(x) | set(y), key=str):
            if k not in x or k not in y:
                out.append(f"{path}/{k}: only in {'expected' if k in x else 'got'}")
            else:
                _diff(x[k], y[k], f"{path}/{k}", out)
    elif isinstance(x, list):
        if len(x) != len(y):
            out.append(f"{path}: {len(x)} items != {len(y)}")
        for i, (p, q) in enumerate(zip(x, y)):
            _diff(p, q, f"{path}[{i}]", out)
    elif x != y:
        out.append(f"{path}: {x!r:.80} != {y!r:.80}")


def test_duckdb_summary_equals_pandas(pandas_summary, tmp_path):
    pytest.importorskip("duckdb")
    got = run_analyse(tmp_path / "out", str(SAMPLES), "--engine", "duckdb", "--memory-limit", "1GB")
    assert got["options"]["engine"] == "duckdb"
    assert got["options"]["memory_limit"] == "1GB"
    assert [s["path"] for s in got["inputs"]] == [s["path"] for s in pandas_summary["inputs"]]
    assert_same_summary(pandas_summary, got)


def test_postgres_summary_equals_pandas(pandas_summary, tmp_path):
    if not PG_URL:
        pytest.skip("no PostgreSQL server: DIVERGENCE_TEST_PG_URL is not set "
                    "(start one with `eval \"$(bash .ci/postgres start)\"`)")
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    from divergence.io import read_logs
    from test_engines_postgres import _load

    # the database holds the canonical frame of the sample logs, so units and
    # processes come from its columns and the inputs list is the table
    _load(read_logs(SAMPLES), "dv_cli_events")
    # without an input folder there is no targets/ folder to find: name the same models
    targets = [a for f in sorted((SAMPLES / "targets").glob("*.bpmn")) for a in ("--target", f"{f.stem}={f}")]
    got = run_analyse(tmp_path / "out", "--sql", PG_URL, "--sql-table", "dv_cli_events", *targets)
    assert got["options"]["engine"] == "postgres"
    assert got["options"]["sql_table"] == "dv_cli_events"
    expected = dict(pandas_summary, options={k: v for k, v in pandas_summary["options"].items() if k != "target"})
    expected.pop("inputs")
    # the files' own warnings (the OCEL sample skipped in the folder) stay with the files, not the table
    expected["warnings"] = [w for w in expected["warnings"] if w["code"] != "ocel_skipped"]
    got = dict(got, options={k: v for k, v in got["options"].items() if k != "target"})
    # the same models, named explicitly here and found by the folder convention there
    for p in got["processes"].values():
        p["target"]["reason"] = p["target"]["reason"].replace("given by the user", "found in the input's targets/ folder (shared-service standard)")
    assert len(got.pop("inputs")) == 1
    assert_same_summary(expected, got)


def test_auto_engine_is_pandas_for_small_inputs(tmp_path):
    pytest.importorskip("duckdb")
    from divergence import cli

    args = cli.build_parser().parse_args(["analyse", "x", "--engine", "auto"])
    assert cli._engine_of(args) == "auto"
    args = cli.build_parser().parse_args(["analyse", "--sql", "postgresql://h/db", "--sql-table", "t"])
    assert cli._engine_of(args) == "postgres"
    assert cli._sql_inputs(args) == ["postgresql://h/db"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--sql", "postgresql://h/db", "--engine", "duckdb"], "cannot be used with --engine duckdb"),
        (["x.csv", "--sql", "postgresql://h/db", "--sql-table", "t"], "give no INPUT"),
        (["--engine", "postgres"], "needs --sql"),
        (["sample_logs", "--engine", "pandas", "--memory-limit", "1GB"], "memory_limit"),
    ],
)
def test_engine_option_errors(argv, message, capsys):
    from divergence import cli

    assert cli.main(["analyse", *argv, "--out", "/nonexistent/never-written", "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_cli_help_lists_engine_options():
    proc = subprocess.run([sys.executable, "-m", "divergence.cli", "analyse", "--help"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    for flag in ("--engine", "--sql URL", "--sql-table", "--sql-query", "--spark-master", "--memory-limit"):
        assert flag in proc.stdout
    # the CLI stays quick: no engine module is imported to answer --help
    code = ("import sys, divergence.cli as c; c.build_parser(); "
            "print(any(m.startswith(('divergence.engines', 'duckdb', 'pyspark')) for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_database_password_is_not_recorded():
    pytest.importorskip("sqlalchemy")
    from divergence.engines.step import safe_input as _safe_input

    assert _safe_input("postgresql+psycopg://ann:s3cret@db:5432/erp") == "postgresql+psycopg://ann:***@db:5432/erp"
    assert _safe_input(Path("logs/a.csv")) == "logs/a.csv"


def test_spark_flag_is_passed_through(tmp_path, monkeypatch):
    """The options reach the engine (the Spark analysis itself is checked in test_engines_spark)."""
    import divergence
    from divergence import engines

    seen = {}

    def fake_aggregate(source, **kw):
        seen.update(kw)
        raise engines.OptionError("stop here")

    monkeypatch.setattr(engines, "aggregate", fake_aggregate)
    with pytest.raises(engines.OptionError, match="stop here"):
        divergence.analyse([SAMPLES], engine="spark", spark_master="local[1]")
    assert seen["engine"] == "spark" and seen["spark_master"] == "local[1]" and seen["memory_limit"] is None
