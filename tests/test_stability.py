"""Tests of divergence.families.stability: the bootstrap's number of families, chosen and runner-up groupings."""

from __future__ import annotations

import numpy as np
import pytest

from divergence.families.cluster import _redraw, bootstrap_stability, find_families
from divergence.measures.compute import compute_measures
from divergence.families.stability import FamilyStability, bootstrap_families, grouping_of
from tinylogs import make_profiles


def _language(profiles):
    return compute_measures(profiles, names=["language"]).matrices["language"]


def _swing():
    """a, b run AB; x, y run XY; c runs AB twice and XY once, so it sides with a and b.

    A resample of c's three cases keeps it with a and b when at least two
    are AB (probability 20/27); otherwise it moves to x and y.
    """
    ps = make_profiles({"a": [("AB", 3)], "b": [("AB", 3)], "c": [("AB", 2), ("XY", 1)], "x": [("XY", 3)], "y": [("XY", 3)]})
    fam = find_families(_language(ps), [p.unit for p in ps])
    return ps, fam


def _c_ab_cases(ps, fam, n, seed):
    """Replay the bootstrap's draws: per resample, how many of c's cases are AB."""
    by = {p.unit: p for p in ps}
    out = []
    for ss in np.random.SeedSequence(seed).spawn(n):
        rng = np.random.default_rng(ss)
        for u in fam.units:  # each unit's variants, then its durations
            v = _redraw(by[u].variants["cases"].to_numpy(dtype=float), rng)
            _redraw(by[u].durations["cases"].to_numpy(dtype=float), rng)
            if u == "c":
                ab = int(v[[tuple(x) == ("A", "B") for x in by[u].variants["variant"]]].sum())
        out.append(ab)
    return out


def test_swing_unit_gives_the_chosen_grouping_as_often_as_it_stays():
    ps, fam = _swing()
    assert grouping_of(fam.members) == (("a", "b", "c"), ("x", "y"))
    n, seed = 40, 3
    stays = [ab >= 2 for ab in _c_ab_cases(ps, fam, n, seed)]
    share = sum(stays) / n
    assert 0.0 < share < 1.0  # the draws really move c
    fs = bootstrap_families(ps, _language, fam, n=n, seed=seed, workers=1)
    assert isinstance(fs, FamilyStability) and fs.n_resamples == n
    assert fs.family_counts == {2: 1.0}
    assert fs.chosen == (("a", "b", "c"), ("x", "y"))
    assert fs.chosen_share == share
    assert fs.runner_up == (("c", "x", "y"), ("a", "b"))
    assert fs.runner_up_share == 1.0 - share
    # each family reappears exactly when c stays: it is part of F1, and F2 = {x, y} only without c
    assert fs.per_family == {"F1": share, "F2": share}
    assert bootstrap_stability(ps, _language, fam, n=n, seed=seed, workers=1) == fs.per_family
    assert fs.tentative_families == (tuple(fs.per_family) if share < 0.5 else ())
    # the same with the resamples split over forked workers
    assert bootstrap_families(ps, _language, fam, n=n, seed=seed, workers=2) == fs


def test_tentative_below_one_half_and_runner_up_from_the_resamples():
    # c half AB, half XY over 2 cases: at distance 1/2 from both pairs, its
    # own family. A resample keeps that only with 1 AB + 1 XY; 2 AB sides it
    # with a and b, 0 AB with x and y
    ps = make_profiles({"a": [("AB", 4)], "b": [("AB", 4)], "c": [("AB", 1), ("XY", 1)], "x": [("XY", 4)], "y": [("XY", 4)]})
    fam = find_families(_language(ps), [p.unit for p in ps])
    assert grouping_of(fam.members) == (("a", "b"), ("x", "y"), ("c",))
    n, seed = 30, 0
    ab = _c_ab_cases(ps, fam, n, seed)
    share = {k: ab.count(k) / n for k in (0, 1, 2)}
    fs = bootstrap_families(ps, _language, fam, n=n, seed=seed, workers=1)
    assert fs.family_counts == {2: share[0] + share[2], 3: share[1]}
    assert fs.chosen_share == share[1]
    with_ab, with_xy = (("a", "b", "c"), ("x", "y")), (("c", "x", "y"), ("a", "b"))
    assert share[0] != share[2]  # no tie between the other two groupings
    if share[2] > share[0]:
        assert (fs.runner_up, fs.runner_up_share) == (with_ab, share[2])
    else:
        assert (fs.runner_up, fs.runner_up_share) == (with_xy, share[0])
    # c alone reappears only when the resample keeps it in the middle
    assert fs.per_family["F3"] == share[1]
    assert fs.tentative("F3") == (share[1] < 0.5)
    assert (fs.per_family, fs.family_counts, fs.chosen_share, fs.runner_up_share) == (
        {"F1": 0.7, "F2": 0.5, "F3": 0.5}, {2: 0.5, 3: 0.5}, 0.5, 0.3)  # seed 0, pinned


def test_well_separated_families_always_come_back_with_no_runner_up():
    ps = make_profiles({"a": [("ABC", 5)], "b": [("ABC", 4)], "x": [("XYZ", 5)], "y": [("XYZ", 6)]})
    fam = find_families(_language(ps), [p.unit for p in ps])
    fs = bootstrap_families(ps, _language, fam, n=12, seed=1, workers=1)
    assert fs.family_counts == {2: 1.0}
    assert fs.chosen_share == 1.0 and fs.runner_up is None and fs.runner_up_share == 0.0
    assert fs.per_family == {"F1": 1.0, "F2": 1.0} and fs.tentative_families == ()


def test_a_given_number_of_families_is_kept_in_the_resamples():
    ps, _ = _swing()
    fam = find_families(_language(ps), [p.unit for p in ps], n_families=3)
    fs = bootstrap_families(ps, _language, fam, n=10, seed=2, workers=1)
    assert fs.family_counts == {3: 1.0}


# ------------------------------------------------------------------ summary.json and report.html


def _events(spec):
    import pandas as pd

    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    rows = []
    for unit, variants in spec.items():
        n = 0
        for var, count in variants:
            for _ in range(count):
                for i, act in enumerate(var):
                    rows.append({"process": "P", "unit": unit, "case": f"{unit}-{n}", "activity": act,
                                 "timestamp": t0 + pd.Timedelta(hours=i * (1 + n % 3)), "resource": "r"})
                n += 1
    return pd.DataFrame(rows)


def test_summary_and_report_carry_the_bootstrap_and_a_caveat(tmp_path):
    import json
    import warnings

    from divergence import analyse_events
    from divergence.report import write_outputs
    from divergence.report.html import _stability_caveat

    ev = _events({"a": [("ABC", 6)], "b": [("ABC", 6)], "c": [("ABC", 3), ("XYZ", 3)], "x": [("XYZ", 6)], "y": [("XYZ", 6)]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyse_events(ev, bootstrap=20, seed=0)
    pr = res["P"]
    fs = pr.family_bootstrap
    assert isinstance(fs, FamilyStability) and fs.n_resamples == 20
    assert pr.stability == fs.per_family
    # c, half ABC and half XYZ, is its own family; resampled, it often sides with a pair
    assert grouping_of(pr.families.members) == (("a", "b"), ("x", "y"), ("c",))
    assert fs.chosen_share < 0.5 and fs.runner_up is not None
    write_outputs(res, tmp_path, graphs=False, generated_at="2024-01-01T00:00:00Z")
    s = json.loads((tmp_path / "summary.json").read_text())["processes"]["P"]
    assert s["bootstrap_resamples"] == 20
    assert s["family_count_distribution"] == {str(k): v for k, v in fs.family_counts.items()}
    assert sum(s["family_count_distribution"].values()) == pytest.approx(1.0)
    assert s["chosen_grouping_share"] == fs.chosen_share
    assert s["runner_up_grouping"] == [list(g) for g in fs.runner_up]
    assert s["runner_up_grouping_share"] == fs.runner_up_share
    for f, fam in s["families"].items():
        assert fam["tentative"] is (fam["stability"] < 0.5)
    html = (tmp_path / "report.html").read_text()
    caveat = _stability_caveat(pr)
    assert caveat and caveat in html
    assert "came back in " + f"{fs.chosen_share:.0%}" in caveat
    assert "{" + ", ".join(fs.runner_up[0]) + "}" in caveat


def test_caveat_names_tentative_families_and_is_absent_when_stable():
    from types import SimpleNamespace

    from divergence.report.html import _stability_caveat, _tentative_pill

    weak = FamilyStability(10, {"F1": 0.9, "F2": 0.4}, {2: 0.6, 3: 0.4}, (("a", "b"), ("c",)), 0.6,
                           (("a",), ("b",), ("c",)), 0.4)
    pr = SimpleNamespace(process="P", family_bootstrap=weak, stability=weak.per_family)
    text = _stability_caveat(pr)
    assert "Tentative families: F2 (0.40)." in text
    assert "came back in 60% of them (2 families in 60%, 3 families in 40%)" in text
    assert "in 40% of the resamples, is {a}; {b}; {c}." in text
    assert _tentative_pill(pr, "F2") and not _tentative_pill(pr, "F1")
    firm = FamilyStability(10, {"F1": 1.0}, {1: 1.0}, (("a", "b"),), 1.0, None, 0.0)
    assert _stability_caveat(SimpleNamespace(process="P", family_bootstrap=firm, stability=firm.per_family)) == ""
    assert _stability_caveat(SimpleNamespace(process="P", family_bootstrap=None, stability={})) == ""
