"""The command as a user meets it: help, the demo run, the output contract, bad input."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLE_LOGS, run_cli
from divergence.cli import main

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
make_corpus = sys.modules.setdefault("make_corpus", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(make_corpus)


def test_help_lists_commands_and_examples_quickly():
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "divergence.cli", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "analyse" in proc.stdout and "examples:" in proc.stdout
    assert time.perf_counter() - start < 5  # the benchmark measures the real figure


def test_the_module_entry_exits_with_mains_status_and_a_one_line_error(tmp_path):
    # python -m divergence goes through cli.run (main, then a frozen heap at exit)
    missing = tmp_path / "nowhere"
    proc = subprocess.run([sys.executable, "-m", "divergence", "analyse", str(missing), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and str(missing) in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "o").exists()


def test_analyse_help_documents_every_contract_option(capsys):
    with pytest.raises(SystemExit) as info:
        main(["analyse", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for opt in ("--out", "--case-key", "--activity-key", "--timestamp-key", "--resource-key", "--unit-key",
                "--process-key", "--target", "--families", "--cost-model", "--pseudonymise", "--min-cases", "--quiet"):
        assert opt in text
    assert "examples:" in text


def test_demo_writes_summary_with_contract_keys(demo_run, demo_summary):
    assert (demo_run / "report.html").stat().st_size > 10_000
    assert set(demo_summary["processes"]) == {"finance", "hr", "procurement"}
    for p in demo_summary["processes"].values():
        units = p["divergence"]["units"]
        assert len(units) == 9
        for u in units:
            assert set(p["units"][u]) >= {"cases", "events", "variants", "activities", "family"}
            h = p["harmonisation"][u]
            assert set(h) >= {"fitness_to_target", "cost_gbp", "effort_days", "annual_effect_gbp", "wave", "changes"}
            assert h["cost_gbp"]["low"] <= h["cost_gbp"]["central"] <= h["cost_gbp"]["high"]
        for name, m in p["divergence"]["measures"].items():
            assert len(m) == len(units) and all(len(r) == len(units) for r in m)
            assert all(m[i][i] == 0 for i in range(len(units))), name
            assert all(0 <= x <= 1 for r in m for x in r), name
        assert "combined" in p["divergence"]["measures"]
        for f in p["families"].values():
            assert set(f) >= {"units", "medoid", "stability"}
        assert set(p["target"]) >= {"kind", "name", "reason"}
        assert set(p["total_cost_gbp"]) == {"low", "central", "high"}
    for p in ("finance", "hr", "procurement"):
        for name in ("divergence_combined.csv", "families.csv", "harmonisation_costs.csv", "change_backlog.csv"):
            assert (demo_run / p / name).is_file()
        assert list((demo_run / p / "graphs").glob("*.svg"))
        assert list((demo_run / p / "graphs").glob("*.png"))


def test_demo_recovers_the_planted_families(demo_summary):
    for process, p in demo_summary["processes"].items():
        fam = {u: d["family"] for u, d in p["units"].items()}
        assert fam["dwp"] == fam["defra"] == fam["environment_agency"], process
        moj = {fam["moj_prisons"], fam["moj_probation"], fam["moj_courts"]}
        assert len(moj) == 3, process
        assert fam["dwp"] not in moj and fam["mod"] not in moj and fam["hmrc"] not in moj, process
        assert fam["mod"] != fam["hmrc"], process


def _planted(process: str) -> dict[str, list]:
    from divergence.samples import PROCESSES

    return {u.unit: list(u.edits) for u in PROCESSES[process].units}


@pytest.mark.parametrize("process", ["finance", "hr", "procurement"])
def test_demo_backlog_contains_every_planted_difference(demo_summary, process):
    p = demo_summary["processes"][process]
    for unit, edits in _planted(process).items():
        changes = p["harmonisation"][unit]["changes"]
        for edit in edits:
            found = [c for c in changes if c["kind"] == edit.kind and set(edit.activities) <= set(c["activities"])]
            assert found, f"{process}/{unit}: planted {edit.kind} {edit.activities} not in backlog {changes}"
    for unit in ("dwp", "defra", "environment_agency"):
        assert p["harmonisation"][unit]["cost_gbp"]["central"] == 0.0
        assert p["harmonisation"][unit]["fitness_to_target"] > 0.95


@pytest.mark.parametrize("case", make_corpus.CASES, ids=lambda c: c.name)
def test_every_corpus_file_is_analysed_or_refused_in_one_line(case, tmp_path, capsys, monkeypatch):
    if "max_bytes" in case.options:
        monkeypatch.setenv("DIVERGENCE_MAX_INPUT_BYTES", str(case.options["max_bytes"]))
    out = tmp_path / "out"
    args = ["analyse", str(HERE / "corpus" / case.name), "--out", str(out), "--quiet", "--bootstrap", "0", "--no-graphs"]
    for key, value in case.options.items():
        if key != "max_bytes":
            args += [f"--{key.replace('_id', '').replace('_', '-')}", value]
    code = main(args)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if case.outcome == "error":
        assert code == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("divergence: error: ")
        assert case.name in lines[0]
        assert not out.exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    else:
        assert code == 0, err
        assert (out / "summary.json").is_file()
        if case.outcome == "warn":
            assert case.fragment in err


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["does/not/exist.csv"], "no such file"),
        (["--families", "zero"], "--families"),
        (["--min-cases", "0"], "--min-cases"),
        (["--target", "nosuchunit"], "nosuchunit"),
        (["--cost-model", "missing.toml"], "missing.toml"),
    ],
)
def test_bad_options_exit_2_with_one_line_and_write_nothing(args, fragment, tmp_path, capsys):
    out = tmp_path / "out"
    base = [str(SAMPLE_LOGS / "finance")] if not args[0].endswith(".csv") else []
    code = main(["analyse", *base, *args, "--out", str(out), "--quiet", "--bootstrap", "0", "--no-graphs"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and fragment in err[0]
    assert not out.exists()


def test_output_folder_keeps_user_files_and_replaces_previous_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    for _ in range(2):
        proc = run_cli("analyse", str(SAMPLE_LOGS / "finance"), "--out", str(out), "--quiet", "--bootstrap", "0", "--no-graphs")
        assert proc.returncode == 0, proc.stderr
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["divergence.xlsx", "finance", "notes.txt", "report.html", "summary.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_summary_lines_end_with_the_report_path(tmp_path):
    out = tmp_path / "o"
    proc = run_cli("analyse", str(SAMPLE_LOGS / "finance"), "--out", str(out), "--bootstrap", "0", "--no-graphs")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == f"report: {out / 'report.html'}"
    assert any("process famil" in line for line in lines)
    assert proc.stderr == ""  # not a terminal: no progress bar


def test_png_option_also_writes_maps_as_png_and_the_default_does_not(tmp_path):
    for flag, want_png in (([], False), (["--png"], True)):
        out = tmp_path / ("png" if flag else "svg")
        proc = run_cli("analyse", str(SAMPLE_LOGS / "finance"), "--out", str(out), "--quiet", "--bootstrap", "0", *flag)
        assert proc.returncode == 0, proc.stderr
        graphs = out / "finance" / "graphs"
        maps = sorted(p.stem for p in graphs.glob("map_*.svg"))
        assert maps, "no process maps drawn"
        assert sorted(p.stem for p in graphs.glob("map_*.png")) == (maps if want_png else [])
        assert bool(list(graphs.glob("diff_*.png"))) == want_png
