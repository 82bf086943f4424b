"""``divergence.xlsx``: the tables that matter in one Excel workbook.

One sheet per table (summary per process, families, costs per unit with
their ranges, change backlog, exceptions, waves) and one sheet per process
with its combined divergence matrix coloured by value. Headers are frozen
and filtered, numbers carry their format (£, %, days), columns are sized to
their content. Text is neutralised as in the CSVs
(:func:`divergence.report.safe.neutralise_cell`), so no cell is a formula.

The file is byte-stable: the same result gives the same bytes (fixed
document dates, fixed zip entry times and order).
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..result import AnalysisResult, ProcessResult
from .safe import neutralise_cell

__all__ = ["write_workbook", "workbook_sheets", "FIXED_TIME"]

#: Document created/modified time and zip entry time: fixed, so two runs give the same bytes.
FIXED_TIME = _dt.datetime(2000, 1, 1, 0, 0, 0)

GBP = '"£"#,##0;-"£"#,##0'
PCT = "0.0%"
DAYS = '#,##0.0" d"'
RATIO = "0.000"
INT = "#,##0"
MONTHS = '0.0" mo"'
SCI = "0.0E+00"

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _fmt(column: str) -> str | None:
    """Number format of a column, from its name."""
    c = column.lower()
    if "gbp" in c:
        return GBP
    if "days" in c:
        return DAYS
    if "months" in c:
        return MONTHS
    if c in ("share", "stability", "unfinished_share", "top10_variant_coverage") or c.endswith("_share"):
        return PCT
    if c in ("p_value", "q_value"):
        return SCI
    if c.startswith("fitness") or c == "readiness" or c.startswith("mean_divergence"):
        return RATIO
    if c in ("cases", "events", "units", "variants", "activities", "occurrences", "staff", "change_items",
             "families", "wave", "cases_per_year", "shared_events"):
        return INT
    return None


def _with_process(process: str, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.insert(0, "process", process)
    return out


def _summary_frame(result: AnalysisResult) -> pd.DataFrame:
    rows = []
    ocel = result.ocel_inputs() if hasattr(result, "ocel_inputs") else []
    for p, pr in result.processes.items():
        tc, te, ta = pr.total_cost.total_cost_gbp, pr.total_cost.effort_days, pr.total_cost.annual_effect_gbp
        row = {
            "process": p,
            "units": len(pr.units),
            "cases": sum(pr.profiles[u].cases for u in pr.units),
            "events": sum(pr.profiles[u].events for u in pr.units),
            "families": len(pr.families.members),
            "target": pr.target.name,
            "target_kind": pr.target.kind,
            **{f"total_cost_gbp_{k}": tc.get(k) for k in ("low", "central", "high")},
            **{f"total_effort_days_{k}": te.get(k) for k in ("low", "central", "high")},
            **{f"annual_effect_gbp_{k}": ta.get(k) for k in ("low", "central", "high")},
        }
        mine = [o for o in ocel if o.get("process") == p]
        if any(ocel):  # OCEL 2.0 input: the object type that played the case, events shared by several objects
            row["ocel_object_type"] = ", ".join(sorted({o["object_type"] for o in mine})) or None
            row["shared_events"] = sum(o["shared_events"] for o in mine) if mine else None
        rows.append(row)
    return pd.DataFrame(rows)


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p.columns)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def workbook_sheets(result: AnalysisResult, *, min_cases: int = 1) -> dict[str, pd.DataFrame]:
    """The table sheets of the workbook (without the matrix sheets), name -> frame."""
    procs = result.processes.items()
    return {
        "Summary": _summary_frame(result),
        "Families": _concat([_with_process(p, pr.families_frame()) for p, pr in procs]),
        "Costs": _concat([_with_process(p, pr.costs_table()) for p, pr in procs]),
        "Backlog": _concat([_with_process(p, pr.backlog(min_cases)) for p, pr in procs]),
        "Exceptions": _concat([_with_process(p, pr.exceptions_table(min_cases)) for p, pr in procs]),
        "Waves": _concat([_with_process(p, pr.waves) for p, pr in procs]),
    }


def _cell(value: Any) -> Any:
    """A value openpyxl can store, never a formula."""
    if value is None:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, (int, str)):
        return neutralise_cell(value)
    if isinstance(value, (list, tuple)):
        return neutralise_cell(" → ".join(map(str, value)))
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return neutralise_cell(str(value))


def _write_table(ws, frame: pd.DataFrame, *, formats: dict[str, str | None] | None = None) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    cols = [str(c) for c in frame.columns]
    bold = Font(bold=True)
    widths = []
    for j, name in enumerate(cols, start=1):
        c = ws.cell(row=1, column=j, value=_cell(name))
        c.font = bold
        widths.append(len(name))
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for j, value in enumerate(row, start=1):
            v = _cell(value)
            c = ws.cell(row=i, column=j, value=v)
            if isinstance(v, str):
                c.data_type = "s"
            fmt = (formats or {}).get(cols[j - 1], _fmt(cols[j - 1]))
            if fmt and isinstance(v, (int, float)) and not isinstance(v, bool):
                c.number_format = fmt
                widths[j - 1] = max(widths[j - 1], 12)
            elif v is not None:
                widths[j - 1] = max(widths[j - 1], len(str(v)))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 8), 60)
    ws.freeze_panes = "B2" if cols and cols[0] in ("process", "unit") else "A2"
    if cols:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(len(frame) + 1, 1)}"


def _matrix_sheet_name(process: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", f"Matrix {process}").strip("'")[:31] or "Matrix"
    name, k = base, 2
    while name.lower() in taken:
        suffix = f" ({k})"
        name, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(name.lower())
    return name


def _write_matrix(ws, pr: ProcessResult) -> None:
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.utils import get_column_letter

    m = pr.matrix("combined").round(6)
    frame = m.copy()
    frame.insert(0, "unit", frame.index)
    _write_table(ws, frame, formats={str(u): RATIO for u in pr.units})
    n = len(pr.units)
    if n:
        area = f"B2:{get_column_letter(n + 1)}{n + 1}"
        ws.conditional_formatting.add(
            area,
            ColorScaleRule(start_type="num", start_value=0, start_color="FFFFFF",
                           mid_type="num", mid_value=0.5, mid_color="FDD49E",
                           end_type="num", end_value=1, end_color="D7301F"),
        )


def build_workbook(result: AnalysisResult, *, min_cases: int = 1):
    """The openpyxl ``Workbook`` of ``result`` (not saved)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for name, frame in workbook_sheets(result, min_cases=min_cases).items():
        taken.add(name.lower())
        _write_table(wb.create_sheet(name), frame)
    for p, pr in result.processes.items():
        _write_matrix(wb.create_sheet(_matrix_sheet_name(p, taken)), pr)
    props = wb.properties
    props.creator = "divergence"
    props.lastModifiedBy = "divergence"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    return wb


def write_workbook(result: AnalysisResult, path: Path, *, min_cases: int = 1) -> Path:
    """Write ``divergence.xlsx`` to ``path``, byte-stable for the same result."""
    from openpyxl.writer.excel import ExcelWriter

    wb = build_workbook(result, min_cases=min_cases)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # not openpyxl.save_workbook: it stamps the time of saving
    stamp = FIXED_TIME.timetuple()[:6]
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return path
