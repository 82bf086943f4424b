"""Trust: privacy of staff data, no network, the same answer twice, real public logs."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from conftest import SAMPLE_LOGS, run_cli, shared_data
from divergence.report.safe import neutralise_cell, safe_name

TOKEN = re.compile(r"[\w@.:\-]+")


def _text_files(folder: Path):
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.suffix in {".html", ".json", ".csv", ".svg"}:
            yield p


def test_pseudonymised_outputs_hold_no_resource_or_case_id(tmp_path):
    import divergence

    events = divergence.read_logs(SAMPLE_LOGS)
    secrets = set(events["case"].astype(str)) | set(events["resource"].dropna().astype(str))
    assert len(secrets) > 1000
    out = tmp_path / "out"
    proc = run_cli("analyse", str(SAMPLE_LOGS), "--out", str(out), "--quiet", "--pseudonymise", "--bootstrap", "5",
                   env={"DIVERGENCE_KEY": "test-key-never-written"})
    assert proc.returncode == 0, proc.stderr
    files = list(_text_files(out))
    assert any(f.suffix == ".svg" for f in files) and any(f.name == "report.html" for f in files)
    for f in files:
        text = f.read_text(encoding="utf-8")
        leaked = secrets & set(TOKEN.findall(text))
        assert not leaked, f"{f}: {sorted(leaked)[:5]}"
        assert "test-key-never-written" not in text
        assert "@moj_" not in text and "@dwp" not in text  # resource names look like role_07@unit
    import zipfile

    with zipfile.ZipFile(out / "divergence.xlsx") as book:  # the workbook's sheets and shared strings
        text = " ".join(book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml"))
    assert not secrets & set(TOKEN.findall(text)) and "@dwp" not in text


def test_pseudonyms_are_keyed_and_stable():
    from divergence.privacy import pseudonym

    assert pseudonym("alice", b"k1", "staff-") == pseudonym("alice", b"k1", "staff-")
    assert pseudonym("alice", b"k1", "staff-") != pseudonym("alice", b"k2", "staff-")
    assert pseudonym("alice", b"k1", "staff-") != pseudonym("bob", b"k1", "staff-")
    assert re.fullmatch(r"staff-[0-9a-f]{12}", pseudonym("alice", b"k1", "staff-"))


def test_whole_analysis_makes_no_network_connection(tmp_path, monkeypatch):
    import divergence
    from divergence.report import write_outputs

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network blocked by test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    result = divergence.analyse(SAMPLE_LOGS / "finance", bootstrap=3)
    write_outputs(result, tmp_path / "out")
    assert (tmp_path / "out" / "report.html").is_file()
    assert attempts == []


def test_two_runs_write_byte_identical_outputs(tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"run{i}"
        proc = run_cli("analyse", str(SAMPLE_LOGS / "finance"), "--out", str(out), "--quiet", "--bootstrap", "5")
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    a = {p.relative_to(outs[0]): p for p in outs[0].rglob("*") if p.is_file()}
    b = {p.relative_to(outs[1]): p for p in outs[1].rglob("*") if p.is_file()}
    assert a.keys() == b.keys()
    compared = 0
    for rel, pa in a.items():
        if pa.suffix not in {".json", ".csv", ".svg", ".xlsx", ".bpmn"}:
            continue
        da, db = pa.read_bytes(), b[rel].read_bytes()
        if rel.name == "summary.json":
            ja, jb = json.loads(da), json.loads(db)
            ja.pop("generated_at"), jb.pop("generated_at")
            assert ja == jb
            strip = re.compile(rb'"generated_at": "[^"]*"')
            da, db = strip.sub(b"", da), strip.sub(b"", db)
        assert da == db, rel
        compared += 1
    assert compared > 20


def test_summary_records_version_options_and_input_hashes(demo_summary):
    import hashlib

    assert demo_summary["tool"]["version"]
    assert "generated_at" in demo_summary
    assert demo_summary["options"]["min_cases"] == 1
    assert len(demo_summary["inputs"]) == 27
    first = demo_summary["inputs"][0]
    assert first["sha256"] == hashlib.sha256(Path(first["path"]).read_bytes()).hexdigest()


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_would_run_as_formulas_are_neutralised(cell):
    assert neutralise_cell(cell) == "'" + cell
    assert neutralise_cell("Approve invoice") == "Approve invoice"
    assert neutralise_cell(-2.5) == -2.5


def test_csv_writer_gives_the_bytes_pandas_writes(tmp_path):
    """write_csv formats plain columns itself: the same bytes as pandas on neutralised frames, odd values included."""
    import numpy as np
    import pandas as pd

    from divergence.report import safe

    f = pd.DataFrame({
        "=x": [1.5, np.nan, np.inf, -np.inf, -0.0, 1e-300, 123456789.123456, 0.1 + 0.2],
        "i": np.arange(8, dtype=np.int64) - 3,
        "b": [True, False] * 4,
        "s": pd.array(["a", None, "=b", "c,d", 'q"q', "x\ny", "", "-1"], dtype="str"),
        "o": ["a", None, np.nan, "+x", "é😀", "a\rb", " ", "@"],
        "u": np.arange(8, dtype=np.uint64),
        "mixed": [1, "a", 2.5, None, (1, 2), "b", "c", "d"],  # left to pandas
    })
    for frame in (f, f.iloc[:0], f[["s"]], f.iloc[[6]][["s"]], f.iloc[[6]][["o"]], f.drop(columns="mixed")):
        a, b = tmp_path / "a.csv", tmp_path / "b.csv"
        safe.write_csv(frame, a)
        safe.neutralise_frame(frame).to_csv(b, index=False, lineterminator="\n", float_format="%.10g")
        assert a.read_bytes() == b.read_bytes()


def test_formula_in_activity_name_is_neutralised_in_every_csv(tmp_path):
    rows = ["case_id,activity,timestamp"]
    for c in range(30):
        rows += [f"c{c},Start,2024-01-01T09:00:00Z", f'c{c},"=HYPERLINK(""http://evil"",""x"")",2024-01-01T10:00:00Z']
    logs = tmp_path / "logs"
    logs.mkdir()
    for u in ("a", "b"):
        (logs / f"{u}.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "out"
    proc = run_cli("analyse", str(logs), "--out", str(out), "--quiet", "--bootstrap", "0", "--no-graphs")
    assert proc.returncode == 0, proc.stderr
    import csv

    for f in out.rglob("*.csv"):
        with f.open(encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert not cell.startswith(("=", "+", "@", "\t", "\r")), (f, cell)


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "..", "CON", "a/b\\c", "", "nul.txt"])
def test_file_names_from_user_data_stay_in_the_output_folder(name, tmp_path):
    s = safe_name(name)
    assert s and "/" not in s and "\\" not in s and not s.startswith(".")
    assert (tmp_path / s).resolve().parent == tmp_path.resolve()
    assert s.lower() not in {"con", "nul"}


def test_hostile_unit_and_process_names_cannot_escape_output(tmp_path):
    rows = ["case_id,activity,timestamp,unit,process"]
    for c in range(30):
        for unit in ("../../evil", "CON"):
            rows += [f"{unit}{c},A,2024-01-01T09:00:00Z,{unit},../proc", f"{unit}{c},B,2024-01-01T10:00:00Z,{unit},../proc"]
    log = tmp_path / "log.csv"
    log.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out"
    proc = run_cli("analyse", str(log), "--out", str(out), "--quiet", "--bootstrap", "0")
    assert proc.returncode == 0, proc.stderr
    written = [p.resolve() for p in tmp_path.rglob("*")]
    assert all(str(p).startswith(str(out.resolve())) or p == log.resolve() for p in written)


@pytest.mark.slow
def test_bpic2015_five_municipalities_end_to_end(tmp_path):
    data = shared_data("bpic2015")
    out = tmp_path / "out"
    proc = run_cli("analyse", str(data), "--out", str(out), "--quiet", "--bootstrap", "5", "--target", "auto", timeout=900)
    assert proc.returncode == 0, proc.stderr
    s = json.loads((out / "summary.json").read_text())
    (p,) = s["processes"].values()
    assert len(p["units"]) == 5
    for m in p["divergence"]["measures"].values():
        assert len(m) == 5 and all(0 <= x <= 1 for r in m for x in r)
    assert all(h["cost_gbp"]["low"] >= 0 for h in p["harmonisation"].values())
    assert (out / "report.html").stat().st_size > 10_000


@pytest.mark.slow
def test_bpic2020_expense_logs_end_to_end(tmp_path):
    data = shared_data("bpic2020")
    out = tmp_path / "out"
    proc = run_cli("analyse", str(data), "--out", str(out), "--quiet", "--bootstrap", "5", "--no-graphs", timeout=900)
    assert proc.returncode == 0, proc.stderr
    s = json.loads((out / "summary.json").read_text())
    (p,) = s["processes"].values()
    assert len(p["units"]) == 5
    for m in p["divergence"]["measures"].values():
        assert all(0 <= x <= 1 for r in m for x in r)
    assert all(h["cost_gbp"]["low"] >= 0 for h in p["harmonisation"].values())
    assert (out / "report.html").is_file()


def test_min_cases_folds_rare_variants_and_edges_in_what_is_shown(tmp_path):
    import csv

    out = tmp_path / "out"
    proc = run_cli("analyse", str(SAMPLE_LOGS / "finance"), "--out", str(out), "--quiet", "--bootstrap", "0",
                   "--min-cases", "40")
    assert proc.returncode == 0, proc.stderr
    with (out / "finance" / "variants.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert any(r["variant"] == "(other)" for r in rows)
    assert all(int(r["cases"]) >= 40 for r in rows if r["variant"] != "(other)")
    for name in ("local_deviations_edges.csv", "local_deviations_variants.csv"):
        with (out / "finance" / name).open(encoding="utf-8") as fh:
            assert all(int(r["cases"]) >= 40 for r in csv.DictReader(fh))
    s = json.loads((out / "summary.json").read_text())
    for unit in s["processes"]["finance"]["units"].values():
        assert all(e["cases"] >= 40 for e in unit["local_edges"])


def test_engine_path_pseudonymises_resources_too():
    import divergence

    pytest.importorskip("duckdb")
    result = divergence.analyse(SAMPLE_LOGS / "finance", engine="duckdb", pseudonymise=True, key="k", bootstrap=0)
    names = set(result["finance"].profiles["dwp"].resources["resource"])
    assert names and all(re.fullmatch(r"staff-[0-9a-f]{12}", n) for n in names)
