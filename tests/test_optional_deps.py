"""Point 8 of issue 13: every optional dependency missing gives one line with the pip hint, exit 2."""

from __future__ import annotations

import sys

import pytest

from divergence.cli import main
from divergence.errors import MissingDependencyError, OptionError
from divergence.optional import require
from conftest import SAMPLE_LOGS


def test_require_returns_the_module():
    assert require("json", "none", "reading JSON").__name__ == "json"


@pytest.mark.parametrize("module, extra", [("duckdb", "duckdb"), ("pyspark.sql", "spark"), ("sqlalchemy", "postgres")])
def test_a_missing_module_names_the_extra(monkeypatch, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    with pytest.raises(MissingDependencyError) as info:
        require(module, extra, f"the {extra} engine")
    assert isinstance(info.value, OptionError)
    assert str(info.value) == (
        f"the {extra} engine needs the Python package {module!r}, which is not installed: "
        f"pip install 'divergence[{extra}]'"
    )


@pytest.mark.parametrize(
    "blocked, args, extra",
    [
        ("duckdb", ["--engine", "duckdb"], "duckdb"),
        ("pyspark.sql", ["--engine", "spark"], "spark"),
        ("sqlalchemy", ["--sql", "postgresql+psycopg://u@localhost/db", "--sql-table", "events"], "postgres"),
    ],
)
def test_cli_one_line_exit_2(monkeypatch, tmp_path, capsys, blocked, args, extra):
    monkeypatch.setitem(sys.modules, blocked, None)
    if blocked == "pyspark.sql":
        monkeypatch.setitem(sys.modules, "pyspark", None)
    inputs = [] if "--sql" in args else [str(SAMPLE_LOGS / "hr")]
    code = main(["analyse", *inputs, *args, "--out", str(tmp_path / "out"), "--quiet", "--no-graphs"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert err[0].startswith("divergence: error: ") and f"pip install 'divergence[{extra}]'" in err[0]
    assert "Traceback" not in err[0] and "internal error" not in err[0]
    assert not (tmp_path / "out").exists()
