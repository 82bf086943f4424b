"""Reading with work for the main process meanwhile gives the same events, and runs that work."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from divergence.io import read_logs
from divergence.warmup import MODULES, preload

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


def test_read_with_meanwhile_gives_the_same_frame_and_runs_it():
    calls = []
    one = SAMPLES / "hr"
    plain = read_logs(one)
    warmed = read_logs(one, meanwhile=lambda: calls.append(1))
    assert calls, "the meanwhile work did not run"
    pd.testing.assert_frame_equal(plain, warmed)
    assert plain.attrs["sources"] == warmed.attrs["sources"]


def test_preload_imports_pm4py_and_the_listed_modules():
    import sys

    preload()
    assert "pm4py" in sys.modules
    assert all(name in sys.modules for name in MODULES)
