"""The peer benchmark's own side (benchmarks/peers.py) on a tiny log: our DFG, variants and
language distance equal pm4py's exactly. No timing is asserted; peers that are not installed are skipped."""

from __future__ import annotations

import importlib.util
import warnings

import pandas as pd
import pytest

from benchmarks import peers

CASE, ACT, TS = peers.CASE, peers.ACT, peers.TS


def _frame(traces: dict[str, str]) -> pd.DataFrame:
    rows = []
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    for k, (case, acts) in enumerate(traces.items()):
        for i, a in enumerate(acts):
            rows.append({CASE: case, ACT: a, TS: t0 + pd.Timedelta(hours=10 * k + i), "org:resource": "r"})
    return pd.DataFrame(rows)


A = {"a1": "abcd", "a2": "abcd", "a3": "abd", "a4": "acbd", "a5": "ab"}
B = {"b1": "abcd", "b2": "abd", "b3": "abd", "b4": "aecd", "b5": "abcbd"}


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    pm4py = pytest.importorskip("pm4py")
    folder = tmp_path_factory.mktemp("peers")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, traces in (("unitA", A), ("unitB", B)):
            pm4py.write_xes(pm4py.convert_to_event_log(_frame(traces)), str(folder / f"{name}.xes"))
    return folder


def test_our_dfg_and_variants_equal_pm4py(logs):
    import pm4py

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = peers.ours_profile_digest(logs)
        assert set(ours) == {"unitA", "unitB"}
        for unit in ours:
            theirs = peers.pm4py_profile_digest(pm4py.read_xes(str(logs / f"{unit}.xes")))
            assert ours[unit]["dfg"] == theirs["dfg"]
            assert ours[unit]["variants"] == theirs["variants"]
            assert peers.pandas_dfg_variants(_frame(A if unit == "unitA" else B)) == theirs


def test_our_language_distance_equals_pm4py_compute_emd(logs):
    import pm4py

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = peers.ours_profile_digest(logs)
        la, lb = ours["unitA"]["variants"], ours["unitB"]["variants"]
        mine = peers.ours_language(la, lb)
        theirs = pm4py.compute_emd(peers._shares(la), peers._shares(lb))
    assert mine == pytest.approx(theirs, abs=1e-12)
    assert 0 < mine < 1


def test_digest_round_trip_and_slang():
    d = {"u": {"dfg": {("a", "b"): 2}, "variants": {("a", "b"): 2}}}
    assert peers._from_json(peers._jsonable(d)) == d
    text = peers._slang({("a", "b"): 2, ("a",): 2})
    assert "1/2" in text and text.startswith("finite stochastic language")


@pytest.mark.skipif(importlib.util.find_spec("ebi") is None, reason="ebi-pm not installed (pip install '.[peers]')")
def test_ebi_emsc_is_one_minus_our_distance(logs):
    import ebi

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = peers.ours_profile_digest(logs)
        la, lb = ours["unitA"]["variants"], ours["unitB"]["variants"]
        got = ebi.conformance_earth_movers(peers._slang(la), peers._slang(lb))
    emsc = float(got[0]) if isinstance(got, (list, tuple)) else float(got)
    assert 1 - emsc == pytest.approx(peers.ours_language(la, lb), abs=1e-9)


@pytest.mark.skipif(importlib.util.find_spec("r4pm") is None, reason="r4pm not installed (pip install '.[peers]')")
def test_r4pm_digest_equals_ours(logs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = peers._jsonable(peers.ours_profile_digest(logs))
        files = sorted(str(p) for p in logs.iterdir() if p.suffix == ".xes")
        theirs = peers._work("profile", "r4pm", files, str(logs), None)
    assert peers._compare_profile(ours, theirs).startswith("=")
