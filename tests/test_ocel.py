"""OCEL 2.0 input: the three formats, the flattening rule, one-line errors, and the sample end to end."""

from __future__ import annotations

import json
import sqlite3
import warnings

import openpyxl
import pytest

from conftest import run_cli
from divergence.errors import InputError
from divergence.io import read_logs
from divergence.samples.ocel import OCEL_UNITS, simulate_ocel, write_ocel

SUFFIXES = ("jsonocel", "xmlocel", "sqlite")


@pytest.fixture(scope="module")
def ocel_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ocel")
    return {s: write_ocel(folder / f"procurement.{s}") for s in SUFFIXES}


def _read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_logs(path, **kw)


def test_sample_is_deterministic_and_small(tmp_path, ocel_files):
    again = write_ocel(tmp_path / "again.jsonocel")
    assert again.read_bytes() == ocel_files["jsonocel"].read_bytes()
    assert ocel_files["jsonocel"].stat().st_size < 500_000
    sample = simulate_ocel()
    kinds = {t for _, t, _, _ in sample.objects}
    assert kinds == {"order", "invoice", "payment"}


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_three_formats_flatten_alike(ocel_files, suffix):
    ev = _read(ocel_files[suffix], object_type="order", unit_key="unit")
    ref = _read(ocel_files["jsonocel"], object_type="order", unit_key="unit")
    assert sorted(ev["unit"].unique()) == sorted(OCEL_UNITS)
    assert ev["case"].nunique() == 120
    assert len(ev) == len(ref)
    assert (ev[["case", "activity", "timestamp", "unit"]].reset_index(drop=True)
            == ref[["case", "activity", "timestamp", "unit"]].reset_index(drop=True)).all().all()
    record = ev.attrs["sources"][0]["ocel"]
    assert record["object_type"] == "order"
    assert record["object_types"] == {"invoice": 140, "order": 120, "payment": 66}
    assert record["shared_events"] > 0
    assert record["rows"] == record["events_used"] + record["shared_events"]  # two orders per shared delivery


def test_rule_each_event_in_every_related_object(ocel_files):
    """A payment run relates several invoices: the Pay event is in each invoice's case."""
    sample = simulate_ocel()
    runs = [rel for _, t, _, _, rel in sample.events if t == "Pay"]
    invoices_paid = sum(sum(1 for _, q in rel if q == "invoice") for rel in runs)
    ev = _read(ocel_files["jsonocel"], object_type="invoice")
    assert (ev["activity"] == "Pay").sum() == invoices_paid
    shared = sum(1 for rel in runs if sum(1 for _, q in rel if q == "invoice") > 1)
    assert ev.attrs["sources"][0]["ocel"]["shared_events"] == shared
    # without --unit-key the unit is the file name
    assert set(ev["unit"]) == {"procurement"}


def test_agrees_with_pm4py(ocel_files):
    pm4py = pytest.importorskip("pm4py")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        o = pm4py.read_ocel2_json(str(ocel_files["jsonocel"]))
        flat = pm4py.ocel_flattening(o, "order")
        for suffix, read in (("xmlocel", pm4py.read_ocel2_xml), ("sqlite", pm4py.read_ocel2_sqlite)):
            other = read(str(ocel_files[suffix]))
            assert (len(other.events), len(other.objects), len(other.relations)) == (
                len(o.events), len(o.objects), len(o.relations))
    ours = _read(ocel_files["jsonocel"], object_type="order")
    assert len(ours) == len(flat)
    assert sorted(ours["case"].unique()) == sorted(flat["case:concept:name"].unique())


@pytest.mark.parametrize("bad, fragment", [
    ("{", "malformed JSON"),
    ('{"events": []}', "not an OCEL 2.0 JSON log"),
    ('{"objects": [], "events": [{"id": "e1"}]}', "not an OCEL 2.0 log"),
    ('{"objects": [], "events": []}', "no events"),
])
def test_bad_json_one_line(tmp_path, bad, fragment):
    path = tmp_path / "bad.jsonocel"
    path.write_text(bad)
    with pytest.raises(InputError) as err:
        _read(path)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg and fragment in msg


def test_bad_xml_and_sqlite_one_line(tmp_path):
    cases = {
        "a.xmlocel": b"<log><events><event",
        "b.xmlocel": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><log><events/></log>',
        "c.sqlite": b"not a database at all",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    con = sqlite3.connect(tmp_path / "d.sqlite")
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    for name in [*cases, "d.sqlite"]:
        with pytest.raises(InputError) as err:
            _read(tmp_path / name)
        assert "\n" not in str(err.value) and name in str(err.value), str(err.value)


def test_object_type_errors_list_the_types(ocel_files):
    with pytest.raises(InputError, match=r"3 object types.*--object-type: invoice \(140 objects\), "
                                         r"order \(120 objects\), payment \(66 objects\)$"):
        _read(ocel_files["jsonocel"])
    with pytest.raises(InputError, match=r"no object type 'customer'.*the file has: invoice"):
        _read(ocel_files["sqlite"], object_type="customer")


def test_cli_end_to_end(ocel_files, tmp_path):
    out = tmp_path / "out"
    proc = run_cli("analyse", str(ocel_files["jsonocel"]), "--out", str(out), "--quiet")
    assert proc.returncode == 2 and "--object-type" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()
    proc = run_cli("analyse", str(ocel_files["jsonocel"]), "--object-type", "order", "--unit-key", "unit",
                   "--out", str(out), "--quiet", "--bootstrap", "5")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["options"]["object_type"] == "order"
    ocel = summary["inputs"][0]["ocel"]
    assert ocel["object_type"] == "order" and ocel["shared_events"] > 0
    p = summary["processes"]["procurement"]
    assert sorted(p["units"]) == sorted(OCEL_UNITS)
    changes = {u: {(c["kind"], " → ".join(c["activities"])) for c in h["changes"]} for u, h in p["harmonisation"].items()}
    target = p["target"]["name"]
    assert target in ("defra", "dwp")
    assert ("add", "Approve order") in changes["hmrc"]  # hmrc skips the order approval
    assert ("drop", "Second approval") in changes["mod"]  # mod's extra approval
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Object-centric input" in html and "<b>order</b> plays the case" in html
    row = dict(zip(*[[c.value for c in r] for r in openpyxl.load_workbook(out / "divergence.xlsx")["Summary"].iter_rows(max_row=2)]))
    assert row["ocel_object_type"] == "order" and row["shared_events"] == ocel["shared_events"]


def test_unit_from_an_event_attribute_and_earliest_object_value(tmp_path):
    doc = {
        "objectTypes": [{"name": "ticket", "attributes": []}], "eventTypes": [],
        "objects": [
            {"id": "t1", "type": "ticket", "attributes": [
                {"name": "team", "time": "2024-02-01T00:00:00Z", "value": "later"},
                {"name": "team", "time": "1970-01-01T00:00:00Z", "value": "first"}]},
            {"id": "t2", "type": "ticket"},
        ],
        "events": [
            {"id": f"e{i}", "type": act, "time": f"2024-01-0{i}T10:00:00Z",
             "attributes": [{"name": "desk", "value": "north" if o == "t1" else "south"}],
             "relationships": [{"objectId": o, "qualifier": ""}]}
            for i, (act, o) in enumerate([("Open", "t1"), ("Close", "t1"), ("Open", "t2"), ("Close", "t2")], start=1)
        ],
    }
    path = tmp_path / "helpdesk.jsonocel"
    path.write_text(json.dumps(doc))
    ev = _read(path, unit_key="desk")  # one object type: no --object-type needed
    assert dict(zip(ev["case"], ev["unit"])) == {"t1": "north", "t2": "south"}
    ev = _read(path, unit_key="team")
    assert set(ev.loc[ev["case"] == "t1", "unit"]) == {"first"}
    assert ev.attrs["sources"][0]["ocel"]["object_attributes_joined"] == ["team"]


def test_other_engines_refuse_ocel_in_one_line(ocel_files, tmp_path):
    pytest.importorskip("duckdb")
    proc = run_cli("analyse", str(ocel_files["jsonocel"]), "--engine", "duckdb", "--out", str(tmp_path / "o"), "--quiet")
    assert proc.returncode == 2 and "pandas engine" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_bundled_sample_is_the_generators_and_analyses_end_to_end(tmp_path):
    from conftest import SAMPLE_LOGS

    bundled = SAMPLE_LOGS / "ocel" / "procurement.jsonocel"
    assert bundled.read_bytes() == write_ocel(tmp_path / "procurement.jsonocel").read_bytes()
    out = tmp_path / "out"
    proc = run_cli("analyse", str(bundled), "--object-type", "order", "--unit-key", "unit", "--out", str(out),
                   "--quiet", "--no-graphs", "--bootstrap", "0")
    assert proc.returncode == 0, proc.stderr
    h = json.loads((out / "summary.json").read_text())["processes"]["procurement"]["harmonisation"]
    assert {(c["kind"], tuple(c["activities"])) for c in h["hmrc"]["changes"]} >= {("add", ("Approve order",))}


def test_ocel_log_found_in_a_folder_without_object_type_is_skipped_with_a_warning(ocel_files, tmp_path):
    import shutil

    folder = tmp_path / "logs"
    (folder / "ocel").mkdir(parents=True)
    shutil.copy(ocel_files["jsonocel"], folder / "ocel" / "procurement.jsonocel")
    (folder / "hr").mkdir()
    (folder / "hr" / "a.csv").write_text("case_id,activity,timestamp\n1,A,2024-01-01T09:00:00Z\n1,B,2024-01-01T10:00:00Z\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        events = read_logs(folder)
    assert set(events["process"]) == {"hr"}
    skipped = [w.message for w in caught if getattr(w.message, "code", None) == "ocel_skipped"]
    assert len(skipped) == 1 and "OCEL 2.0 log skipped" in str(skipped[0]) and "--object-type" in str(skipped[0])
    with pytest.raises(InputError, match="choose the one that plays the case with --object-type"):
        read_logs(folder / "ocel")
