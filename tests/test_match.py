"""Activity alignment (issue 15 part 1): proposals against a planted renaming, the mapping applied at ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import SAMPLE_LOGS
from divergence.cli import main
from divergence.match import lexical_similarity, tokens
from divergence.samples.renamed import RENAMINGS, rename_activity, score_mapping, write_renamed

QUICK = ["--target", "auto", "--bootstrap", "0", "--no-graphs", "--quiet"]


def _run(*args) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def renamed(tmp_path_factory) -> Path:
    return write_renamed(tmp_path_factory.mktemp("renamed"))


@pytest.fixture(scope="module")
def mapping(renamed) -> Path:
    out = renamed / "mapping.csv"
    assert _run("match", renamed / "hr", "--out", out, "--quiet") == 0
    return out


def test_normalised_tokens_and_lexical_similarity():
    assert tokens("PRE_EMPLOYMENT_CHECKS") == tokens("Pre-employment checks") == ["pre", "employment", "checks"]
    assert tokens("setUpPayroll") == ["set", "up", "payroll"]
    assert lexical_similarity("Budget check", "Check budget") == 1.0
    assert lexical_similarity("Chec. bdgt", "Check budget") > 0.8
    assert lexical_similarity("Security vetting", "Security clearance") < 0.8
    assert lexical_similarity("Advertise", "Interview") < 0.5


def test_renaming_styles():
    assert rename_activity("Check budget", "reorder") == "Budget check"
    assert rename_activity("Set up payroll", "code") == "SET_UP_PAYROLL"
    assert rename_activity("Check budget", "abbreviate") == "Chec. bdgt"
    assert set(RENAMINGS) <= {"hmrc", "mod", "dft", "moj_prisons"}


def test_generator_is_deterministic_and_leaves_sample_logs_alone(renamed, tmp_path):
    again = write_renamed(tmp_path / "again")
    for f in sorted((renamed / "hr").iterdir()):
        assert f.read_bytes() == (again / "hr" / f.name).read_bytes()
    assert (renamed / "truth.csv").read_bytes() == (again / "truth.csv").read_bytes()
    truth = pd.read_csv(renamed / "truth.csv")
    assert set(truth["unit"]) == set(RENAMINGS) and (truth["activity"] != truth["original"]).sum() >= 45


def test_proposed_mapping_recovers_the_planted_names(renamed, mapping):
    table = pd.read_csv(mapping, keep_default_na=False)
    got = score_mapping(table, pd.read_csv(renamed / "truth.csv"))
    assert got["expected"] >= 40
    assert got["precision"] >= 0.95 and got["recall"] >= 0.95, got
    # every activity of every unit has a row with its evidence
    assert len(table) == table[["unit", "activity"]].drop_duplicates().shape[0]
    assert (table.loc[table["status"] == "mapped", "evidence"].str.len() > 0).all()


def test_match_is_deterministic(renamed, mapping, tmp_path):
    assert _run("match", renamed / "hr", "--out", tmp_path / "m.csv", "--quiet") == 0
    assert (tmp_path / "m.csv").read_bytes() == mapping.read_bytes()


def test_no_proposal_on_units_that_already_agree(tmp_path):
    assert _run("match", SAMPLE_LOGS, "--out", tmp_path / "m.csv", "--quiet") == 0
    table = pd.read_csv(tmp_path / "m.csv", keep_default_na=False)
    assert (table["status"] != "mapped").all(), table[table["status"] == "mapped"]


def _families(summary: dict) -> dict:
    return {f: v["units"] for f, v in summary["processes"]["hr"]["families"].items()}


def test_families_with_the_mapping_equal_the_families_before_renaming(renamed, mapping, tmp_path):
    assert _run("analyse", SAMPLE_LOGS / "hr", "--out", tmp_path / "orig", *QUICK) == 0
    assert _run("analyse", renamed / "hr", "--mapping", mapping, "--out", tmp_path / "mapped", *QUICK) == 0
    assert _run("analyse", renamed / "hr", "--out", tmp_path / "unmapped", *QUICK) == 0
    orig, mapped, unmapped = (json.loads((tmp_path / d / "summary.json").read_text())
                              for d in ("orig", "mapped", "unmapped"))
    assert _families(mapped) == _families(orig)
    assert mapped["processes"]["hr"]["divergence"]["measures"] == orig["processes"]["hr"]["divergence"]["measures"]
    assert unmapped["processes"]["hr"]["divergence"]["measures"] != orig["processes"]["hr"]["divergence"]["measures"]
    rec = mapped["options"]["mapping"]
    assert rec["file"] == str(mapping) and len(rec["sha256"]) == 64
    assert len(rec["applied"]) >= 40
    assert {r["activity"] for r in rec["unmapped"]} >= {"Secu. clrnc", "vttng secu."}


def _refused(capsys, mapping_file: Path, *words: str) -> None:
    code = _run("analyse", SAMPLE_LOGS / "hr", "--mapping", mapping_file, "--out", mapping_file.parent / "never", *QUICK)
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("divergence: error: ") and "\n" not in err, err
    assert str(mapping_file) in err
    for w in words:
        assert w in err, err


def test_mapping_naming_an_unknown_activity_is_refused(tmp_path, capsys):
    f = tmp_path / "m.csv"
    f.write_text("process,unit,activity,canonical\nhr,dwp,Check budgett,Check budget\n")
    _refused(capsys, f, "Check budgett", "do not have")


def test_mapping_one_activity_twice_is_refused(tmp_path, capsys):
    f = tmp_path / "m.csv"
    f.write_text("process,unit,activity,canonical\nhr,dwp,Advertise,Post job\nhr,dwp,Advertise,Advert\n")
    _refused(capsys, f, "mapped twice")


def test_mapping_without_its_columns_is_refused(tmp_path, capsys):
    f = tmp_path / "m.csv"
    f.write_text("unit,activity\ndwp,Advertise\n")
    _refused(capsys, f, "canonical")


def test_mapping_applies_to_portable_profiles_too(renamed, mapping, tmp_path, capsys):
    prof = tmp_path / "hr.profile.json"
    assert _run("profile", renamed / "hr", "--out", prof, "--min-cases", "1", "--quiet") == 0
    assert _run("analyse", SAMPLE_LOGS / "hr", "--out", tmp_path / "orig", *QUICK) == 0
    assert _run("analyse", prof, "--mapping", mapping, "--out", tmp_path / "mapped", *QUICK) == 0
    orig, mapped = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("orig", "mapped"))
    assert _families(mapped) == _families(orig)
    assert mapped["processes"]["hr"]["divergence"]["measures"] == orig["processes"]["hr"]["divergence"]["measures"]
    merge = tmp_path / "merge.csv"
    merge.write_text("process,unit,activity,canonical\nhr,dwp,Advertise,Shortlist\n")
    assert _run("analyse", prof, "--mapping", merge, "--out", tmp_path / "never", *QUICK) == 2
    err = capsys.readouterr().err.strip()
    assert "one-to-one" in err and str(merge) in err and "\n" not in err


def test_numbers_in_names_are_identifiers():
    assert lexical_similarity("01_HOOFD_140", "01_HOOFD_120") == 0.0
    assert lexical_similarity("Approve L1", "Approve L2") == 0.0
    assert lexical_similarity("Approve L1", "approve_l1") == 1.0


def test_a_step_split_in_two_is_reported_not_applied():
    from divergence.match import propose_mapping
    from divergence.profile import profile_units

    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    names = {"a": "Receive request", "b": "Check budget", "c": "Create position", "x": "Check budget L2"}
    rows = [{"process": "P", "unit": u, "case": f"{u}{n}", "activity": names[a],
             "timestamp": t0 + pd.Timedelta(hours=i + 24 * n), "resource": "r"}
            for u, v in (("A", "abc"), ("B", "abc"), ("C", "abxc")) for n in range(5) for i, a in enumerate(v)]
    table = propose_mapping(profile_units(pd.DataFrame(rows)))
    row = table[table["activity"] == "Check budget L2"].iloc[0]
    assert row["status"] == "unmapped" and row["canonical"] == "Check budget L2"
    assert "split" in row["evidence"] and row["candidates"].startswith("Check budget=")


@pytest.mark.parametrize("process", ["finance", "procurement"])
def test_proposed_mapping_on_the_other_sample_processes(process, tmp_path):
    root = write_renamed(tmp_path, process=process)
    assert _run("match", root / process, "--out", root / "m.csv", "--quiet") == 0
    got = score_mapping(pd.read_csv(root / "m.csv", keep_default_na=False), pd.read_csv(root / "truth.csv"))
    assert got["expected"] >= 30 and got["precision"] >= 0.95 and got["recall"] >= 0.95, got


def test_mapping_with_the_duckdb_engine(renamed, mapping, tmp_path):
    pytest.importorskip("duckdb")
    assert _run("analyse", SAMPLE_LOGS / "hr", "--out", tmp_path / "orig", *QUICK) == 0
    assert _run("analyse", renamed / "hr", "--engine", "duckdb", "--mapping", mapping, "--out", tmp_path / "duck",
                *QUICK) == 0
    orig, duck = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("orig", "duck"))
    assert _families(duck) == _families(orig)
    assert len(duck["options"]["mapping"]["applied"]) >= 40
