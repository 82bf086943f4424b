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


def _in_fresh_python(code: str) -> str:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_skipping_scipy_doc_notes_keeps_scipy_working_and_docstrings_as_written():
    out = _in_fresh_python(
        "from divergence.warmup import skip_scipy_doc_notes\n"
        "import scipy._lib._array_api as a\n"
        "done = skip_scipy_doc_notes()\n"
        "import scipy.stats as st, scipy.optimize\n"
        "print(done, a.FunctionDoc.__name__ == '_DocAsIs' if done else None,\n"
        "      round(float(st.hypergeom.sf(2, 20, 7, 12)), 12), st.mannwhitneyu([1, 2, 3], [4, 5, 6]).pvalue,\n"
        "      (st.mannwhitneyu.__doc__ or '').count('Array API') == 0)\n"
    )
    done, swapped, sf, p, no_note = out.split()
    if done == "False":  # a SciPy without the docstring rewriting: nothing to skip
        return
    assert swapped == "True"
    from scipy import stats

    assert float(sf) == round(float(stats.hypergeom.sf(2, 20, 7, 12)), 12)
    assert float(p) == stats.mannwhitneyu([1, 2, 3], [4, 5, 6]).pvalue
    assert no_note == "True"


def test_skipping_scipy_doc_notes_does_nothing_once_scipy_stats_is_imported():
    out = _in_fresh_python(
        "import scipy.stats\n"
        "from divergence.warmup import skip_scipy_doc_notes\n"
        "print(skip_scipy_doc_notes())\n"
    )
    assert out == "False"
