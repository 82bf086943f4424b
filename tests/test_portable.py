"""Portable profiles (issue 15 part 2): the analysis from profiles equals the analysis from logs; no ids or names leave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SAMPLE_LOGS
from divergence.cli import main
from divergence import schema
from divergence.io import read_logs
from divergence.portable import SCHEMA, load_profiles

QUICK = ["--target", "auto", "--bootstrap", "0", "--no-graphs", "--quiet"]


def _run(*args: str) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("portable")


@pytest.fixture(scope="module")
def raw_summary(work) -> dict:
    assert _run("analyse", SAMPLE_LOGS, "--out", work / "raw", *QUICK) == 0
    return json.loads((work / "raw" / "summary.json").read_text())


@pytest.fixture(scope="module")
def k1_profiles(work) -> dict[str, Path]:
    out = {}
    for p in ("finance", "hr", "procurement"):
        out[p] = work / "k1" / f"{p}.profile.json"
        assert _run("profile", SAMPLE_LOGS / p, "--out", out[p], "--min-cases", "1", "--quiet") == 0
    return out


def _same(a, b, path=""):
    """Equal, floats to 1e-9 (relative above 1)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _same(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert abs(a - b) <= 1e-9 * max(1.0, abs(a)), (path, a, b)
    else:
        assert a == b, (path, a, b)


FAMILY_KEYS = ("families", "divergence", "harmonisation", "family_costs_gbp", "total_cost_gbp", "total_effort_days",
               "total_annual_effect_gbp", "target", "waves", "common_core")


def _compare(raw: dict, other: dict) -> None:
    assert set(raw["processes"]) == set(other["processes"])
    for p, r in raw["processes"].items():
        o = other["processes"][p]
        for key in FAMILY_KEYS:
            _same(r[key], o[key], f"{p}/{key}")
        for u, ru in r["units"].items():
            ou = o["units"][u]
            for key in ("cases", "events", "variants", "activities", "family", "cases_per_year", "low_evidence"):
                _same(ru[key], ou[key], f"{p}/units/{u}/{key}")


def test_analysis_from_k1_profiles_equals_analysis_from_logs(work, raw_summary, k1_profiles):
    assert _run("analyse", *k1_profiles.values(), "--out", work / "from_profiles", *QUICK) == 0
    _compare(raw_summary, json.loads((work / "from_profiles" / "summary.json").read_text()))
    for csv in (work / "raw").rglob("*.csv"):  # every table too
        assert csv.read_bytes() == (work / "from_profiles" / csv.relative_to(work / "raw")).read_bytes(), csv


def test_profiles_mixed_with_raw_logs(work, raw_summary, k1_profiles):
    out = work / "mixed"
    assert _run("analyse", SAMPLE_LOGS / "hr", k1_profiles["finance"], k1_profiles["procurement"], "--out", out,
                *QUICK) == 0
    summary = json.loads((out / "summary.json").read_text())
    _compare(raw_summary, summary)
    assert [s["format"] for s in summary["inputs"]].count("profile") == 2


def test_default_k_profile_holds_no_case_id_and_no_staff_name(work, raw_summary):
    out = work / "k5" / "all.profile.json"
    assert _run("profile", SAMPLE_LOGS, "--out", out, "--quiet") == 0
    text = out.read_text()
    doc = json.loads(text)
    assert doc["min_cases"] == 5 and doc["schema"] == SCHEMA and len(doc["sha256"]) == 64
    events = read_logs([SAMPLE_LOGS])
    cases = events[schema.CASE].astype(str).unique()
    staff = events[schema.RESOURCE].dropna().astype(str).unique()
    assert len(cases) > 1000 and len(staff) > 50
    assert [c for c in cases if c in text] == []
    assert [s for s in staff if s in text] == []
    assert "T0" not in text.replace("(other)", "")  # no ISO timestamps
    for u in doc["content"]["units"]:
        assert all(c >= 5 for v, c, _d in u["variants"] if v != ["(other)"])
        assert all(n >= 5 or len(acts) == 1 for acts, n in u["staff"])
        assert all(n >= 5 for _d, n in u["durations"]) and sum(n for _d, n in u["durations"]) == u["cases"]
    # and it analyses: on the sample logs (3-11% of cases folded) the families stay those of the logs
    assert _run("analyse", out, "--out", work / "k5_out", *QUICK) == 0
    k5 = json.loads((work / "k5_out" / "summary.json").read_text())
    for p, r in raw_summary["processes"].items():
        assert sorted(sorted(f["units"]) for f in r["families"].values()) == \
            sorted(sorted(f["units"]) for f in k5["processes"][p]["families"].values())
        central = r["total_cost_gbp"]["central"]
        assert abs(k5["processes"][p]["total_cost_gbp"]["central"] - central) <= 0.05 * central


def _refused(capsys, path: Path, *words: str) -> None:
    code = _run("analyse", path, "--out", path.parent / "never", *QUICK)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("divergence: error: ") and "\n" not in err, err
    assert str(path) in err, err
    for w in words:
        assert w in err, err
    assert not (path.parent / "never").exists()


@pytest.fixture
def good(work, k1_profiles) -> str:
    return k1_profiles["hr"].read_text()


def test_tampered_profile_is_refused(tmp_path, capsys, good):
    doc = json.loads(good)
    doc["content"]["units"][0]["cases"] += 1
    bad = tmp_path / "tampered.profile.json"
    bad.write_text(json.dumps(doc))
    _refused(capsys, bad, "SHA-256")


def test_truncated_profile_is_refused(tmp_path, capsys, good):
    bad = tmp_path / "cut.profile.json"
    bad.write_text(good[: len(good) // 2])
    _refused(capsys, bad, "truncated")


def test_foreign_file_is_refused(tmp_path, capsys):
    bad = tmp_path / "foreign.profile.json"
    bad.write_text(json.dumps({"units": []}))
    _refused(capsys, bad, "not a divergence profile")


def test_future_schema_is_refused(tmp_path, capsys, good):
    doc = json.loads(good)
    doc["schema"] = SCHEMA + 1
    bad = tmp_path / "future.profile.json"
    bad.write_text(json.dumps(doc))
    _refused(capsys, bad, "newer")


def test_unit_in_both_a_log_and_a_profile_is_refused(tmp_path, capsys, k1_profiles):
    code = _run("analyse", SAMPLE_LOGS / "hr", k1_profiles["hr"], "--out", tmp_path / "x", *QUICK)
    err = capsys.readouterr().err
    assert code == 2 and "is in both" in err and str(k1_profiles["hr"]) in err


def test_load_round_trip_keeps_staff_counts(k1_profiles):
    from divergence.harmonise.aligned import staff_of
    from divergence.profile import profile_units

    raw = profile_units(read_logs([SAMPLE_LOGS / "hr"]))["hr"]
    loaded = load_profiles(k1_profiles["hr"])["hr"]
    for u, prof in raw.items():
        a, b = staff_of(prof), staff_of(loaded[u])
        assert {k: len(v) for k, v in a.items()} == {k: len(v) for k, v in b.items()}
        acts = sorted(a)
        for i in range(len(acts) - 1):  # unions over sets of activities are kept exactly
            pair = acts[i : i + 2]
            assert len(a[pair[0]] | a[pair[1]]) == len(b[pair[0]] | b[pair[1]])


def test_profile_file_is_deterministic(work, k1_profiles, tmp_path):
    again = tmp_path / "hr.profile.json"
    assert _run("profile", SAMPLE_LOGS / "hr", "--out", again, "--min-cases", "1", "--quiet") == 0
    assert again.read_bytes() == k1_profiles["hr"].read_bytes()


def test_profile_name_must_end_in_profile_json(tmp_path, capsys):
    assert _run("profile", SAMPLE_LOGS / "hr", "--out", tmp_path / "hr.json", "--quiet") == 2
    assert ".profile.json" in capsys.readouterr().err


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_traces = st.lists(
    st.tuples(st.lists(st.sampled_from("abcd"), min_size=1, max_size=5),  # activities
              st.lists(st.integers(1, 50), min_size=5, max_size=5),       # minutes between events
              st.lists(st.sampled_from(["ann", "bob", "cy", None]), min_size=5, max_size=5)),
    min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(_traces, st.integers(1, 4))
def test_round_trip_keeps_what_the_analysis_reads(traces, k):
    import pandas as pd

    from divergence.harmonise.aligned import staff_of
    from divergence.portable import dump_profiles
    from divergence.profile import profile_units

    t0 = pd.Timestamp("2024-03-05 10:00", tz="UTC")
    rows = []
    for n, (acts, gaps, who) in enumerate(traces):
        t = t0 + pd.Timedelta(days=n)
        for i, a in enumerate(acts):
            t += pd.Timedelta(minutes=gaps[i])
            rows.append({"process": "P", "unit": "U", "case": f"case-{n}", "activity": a, "timestamp": t,
                         "resource": who[i]})
    raw = profile_units(pd.DataFrame(rows))["P"]["U"]
    doc = dump_profiles({"P": {"U": raw}}, min_cases=k)
    text = json.dumps(doc)
    assert "case-" not in text and "ann" not in text and "bob" not in text and "2024-03-05T" not in text
    path = Path(__import__("tempfile").mkdtemp()) / "u.profile.json"
    path.write_text(text)
    got = load_profiles(path)["P"]["U"]
    assert got.cases == raw.cases and got.events == raw.events
    assert abs(got.cases_per_year - raw.cases_per_year) <= 1e-9 * raw.cases_per_year
    assert int(got.durations["cases"].sum()) == raw.cases and int(got.variants["cases"].sum()) == raw.cases
    if k == 1:
        for name in ("variants", "edges", "activities", "durations"):
            pd.testing.assert_frame_equal(getattr(got, name), getattr(raw, name), check_dtype=False)
        a, b = staff_of(raw), staff_of(got)
        assert {x: len(v) for x, v in a.items()} == {x: len(v) for x, v in b.items()}
        assert len(set().union(*a.values())) == len(set().union(*b.values()))


def test_a_folder_of_profiles_is_an_input(work, raw_summary, k1_profiles):
    folder = next(iter(k1_profiles.values())).parent
    assert _run("analyse", folder, "--out", work / "folder", *QUICK) == 0
    _compare(raw_summary, json.loads((work / "folder" / "summary.json").read_text()))


def test_inconsistent_profile_is_refused_even_with_a_matching_hash(tmp_path, capsys, good):
    from divergence.portable import _digest

    doc = json.loads(good)
    doc["content"]["units"][0]["cases"] += 1
    doc["sha256"] = _digest(doc["content"])
    bad = tmp_path / "forged.profile.json"
    bad.write_text(json.dumps(doc))
    _refused(capsys, bad, "malformed", "do not add up")
