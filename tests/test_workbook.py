"""``divergence.xlsx``: sheets, headers, formats, values equal to summary.json, no formulas, byte-stable."""

from __future__ import annotations

import math

import pytest

openpyxl = pytest.importorskip("openpyxl")

from divergence.report.workbook import write_workbook  # noqa: E402

TABLES = ["Summary", "Families", "Costs", "Backlog", "Exceptions", "Waves"]


@pytest.fixture(scope="module")
def book(demo_run):
    return openpyxl.load_workbook(demo_run / "divergence.xlsx")


def _rows(ws):
    header = [c.value for c in ws[1]]
    return header, [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]


def test_sheets_and_headers(book, demo_summary):
    procs = sorted(demo_summary["processes"])
    assert book.sheetnames == TABLES + [f"Matrix {p}" for p in procs]
    header, _ = _rows(book["Costs"])
    assert header[:6] == ["process", "unit", "family", "wave", "fitness_to_target", "cost_gbp_low"]
    assert {"cost_gbp_central", "cost_gbp_high", "effort_days_central", "payback_months_central"} <= set(header)
    assert [c.value for c in book["Families"][1]] == ["process", "family", "unit", "medoid", "is_medoid", "stability"]
    assert [c.value for c in book["Waves"][1]][:3] == ["process", "unit", "wave"]
    for ws in book.worksheets:
        assert ws.freeze_panes in ("A2", "B2")
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")


def test_costs_equal_summary_json_and_carry_formats(book, demo_summary):
    _, rows = _rows(book["Costs"])
    assert len(rows) == sum(len(p["units"]) for p in demo_summary["processes"].values())
    ws = book["Costs"]
    header = [c.value for c in ws[1]]
    col = header.index("cost_gbp_central") + 1
    for i, row in enumerate(rows, start=2):
        want = demo_summary["processes"][row["process"]]["harmonisation"][row["unit"]]
        assert math.isclose(row["cost_gbp_central"], want["cost_gbp"]["central"], rel_tol=1e-9, abs_tol=1e-6)
        assert row["wave"] == want["wave"]
        assert "£" in ws.cell(row=i, column=col).number_format
    _, summary = _rows(book["Summary"])
    for row in summary:
        total = demo_summary["processes"][row["process"]]["total_cost_gbp"]["central"]
        assert math.isclose(row["total_cost_gbp_central"], total, rel_tol=1e-9, abs_tol=1e-6)


def test_matrix_sheet_is_coloured_and_matches(book, demo_summary):
    p = sorted(demo_summary["processes"])[0]
    div = demo_summary["processes"][p]["divergence"]
    ws = book[f"Matrix {p}"]
    units = [c.value for c in ws[1]][1:]
    assert units == div["units"]
    assert ws.cell(row=2, column=2).value == 0
    assert math.isclose(ws.cell(row=2, column=3).value, div["measures"]["combined"][0][1], abs_tol=1e-6)
    assert len(ws.conditional_formatting) == 1


def test_text_is_never_a_formula_and_bytes_are_stable(tmp_path, monkeypatch):
    import pandas as pd

    from divergence.report import workbook

    class FakeResult:  # just what workbook_sheets is given
        processes = {}

    frames = {"Summary": pd.DataFrame({"process": ["=HYPERLINK(\"x\")", "@SUM(A1)"], "share": [0.5, 0.25]})}
    monkeypatch.setattr(workbook, "workbook_sheets", lambda result, min_cases=1: frames)
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_workbook(FakeResult(), a)
    write_workbook(FakeResult(), b)
    assert a.read_bytes() == b.read_bytes()
    ws = openpyxl.load_workbook(a)["Summary"]
    assert [ws.cell(row=r, column=1).value for r in (2, 3)] == ["'=HYPERLINK(\"x\")", "'@SUM(A1)"]
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in (2, 3))
    assert ws.cell(row=2, column=2).number_format == "0.0%"


def test_fast_writer_gives_the_bytes_openpyxl_writes_cell_by_cell(tmp_path, monkeypatch):
    """The usual writer (a skeleton by openpyxl, the cells as text) and openpyxl cell by cell: the same file."""
    import numpy as np
    import pandas as pd

    from divergence.report import workbook

    class FakeResult:
        processes = {}

    frames = {
        "Summary": pd.DataFrame({"process": ["p", " lead", "trail ", "", "é→😀", "a&b<c>d\"e'f\r\ng\th", "=1+1", "#N/A"],
                                 "cost_gbp_low": [1.5, np.nan, np.inf, 0, -2, 1e20, 123456789012345678, 0.1 + 0.2],
                                 "share": [0.25, None, 1, 2, 3, 4, 5, 6],
                                 "flag": [True, False, np.bool_(True), None, 1, 0, "x", 2.5],
                                 "steps": [("a", "b"), [], None, "s", 1, 2, 3, 4]}),
        "Families": pd.DataFrame({"unit": ["u1", "u2"], "wave": [1, 2], "fitness": [0.5, 1.0]}),
        "Costs": pd.DataFrame(),
        "Backlog": pd.DataFrame({"other": []}),
        "Waves": pd.DataFrame({"process": ["p"], "cases": [np.int64(7)], "effort_days_high": [3.25]}),
    }
    monkeypatch.setattr(workbook, "workbook_sheets", lambda result, min_cases=1: frames)
    fast = tmp_path / "fast.xlsx"
    workbook._fast_xlsx(workbook._sheets(FakeResult(), 1))  # takes every cell above (raises nothing)
    write_workbook(FakeResult(), fast)

    def slow(_sheets):
        raise workbook._Unusual("test")

    monkeypatch.setattr(workbook, "_fast_xlsx", slow)
    reference = tmp_path / "slow.xlsx"
    write_workbook(FakeResult(), reference)
    assert fast.read_bytes() == reference.read_bytes()


def test_text_a_worksheet_cannot_hold_is_refused_as_before(tmp_path, monkeypatch):
    import pandas as pd
    from openpyxl.utils.exceptions import IllegalCharacterError

    from divergence.report import workbook

    class FakeResult:
        processes = {}

    monkeypatch.setattr(workbook, "workbook_sheets", lambda result, min_cases=1: {"Summary": pd.DataFrame({"a": ["x\x01"]})})
    with pytest.raises(IllegalCharacterError):
        write_workbook(FakeResult(), tmp_path / "bad.xlsx")
