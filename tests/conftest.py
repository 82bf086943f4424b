"""Shared fixtures: the repository's paths, the real logs, one demo run and one pandas engine run per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LOGS = ROOT / "sample_logs"
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real logs not available: {path} is absent (they live in ../shared/data beside the repository)")
    return path


def run_cli(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``divergence`` as a user would, in a fresh interpreter."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DIVERGENCE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "divergence.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=ROOT,
    )


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """``divergence analyse sample_logs`` once per session; returns the output folder."""
    out = tmp_path_factory.mktemp("demo") / "reports"
    proc = run_cli("analyse", str(SAMPLE_LOGS), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def demo_summary(demo_run) -> dict:
    return json.loads((demo_run / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def pandas_summary(tmp_path_factory) -> dict:
    """summary.json of ``analyse sample_logs --engine pandas`` with the engine tests' quick options.

    The run the other engines' summaries are compared with (test_engines_cli,
    test_engines_spark): no graphs and 3 bootstrap draws, about 5 s, where
    :func:`demo_run`'s defaults (graphs, 50 draws) take about 35 s.
    """
    from test_engines_cli import run_analyse

    if not any(SAMPLE_LOGS.glob("*/*.*")):
        pytest.skip("sample_logs/ not generated")
    summary = run_analyse(tmp_path_factory.mktemp("pandas") / "out", str(SAMPLE_LOGS), "--engine", "pandas")
    assert summary["options"]["engine"] == "pandas"
    return summary
