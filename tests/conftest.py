"""Shared fixtures: the repository's paths, the real logs, one demo run per session."""

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
