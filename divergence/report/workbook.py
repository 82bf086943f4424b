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


def _table(frame: pd.DataFrame, formats: dict[str, str | None] | None = None):
    """A sheet's cells: ``(columns, rows, widths)``; each row a list of ``(value, style)``.

    ``value`` is what :func:`_cell` makes of the frame's value; ``style`` is
    ``BOLD`` (the header), a number format, or None.
    """
    cols = [str(c) for c in frame.columns]
    fmts = [(formats or {}).get(c, _fmt(c)) for c in cols]
    widths = [len(name) for name in cols]
    rows = [[(_cell(name), BOLD) for name in cols]]
    for row in frame.itertuples(index=False, name=None):
        out = []
        for j, value in enumerate(row):
            v = _cell(value)
            fmt = fmts[j]
            if fmt and isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append((v, fmt))
                if widths[j] < 12:
                    widths[j] = 12
            else:
                out.append((v, None))
                if v is not None:
                    n = len(v) if isinstance(v, str) else len(str(v))
                    if n > widths[j]:
                        widths[j] = n
        rows.append(out)
    return cols, rows, widths


#: The header's style in :func:`_table`.
BOLD = "bold"


def _write_table(ws, frame: pd.DataFrame, *, formats: dict[str, str | None] | None = None) -> None:
    """Write a frame into an openpyxl sheet, cell by cell (see :func:`_fast_xlsx` for the usual way)."""
    from openpyxl.styles import Font

    cols, rows, widths = _table(frame, formats)
    bold = Font(bold=True)
    for i, row in enumerate(rows, start=1):
        for j, (v, style) in enumerate(row, start=1):
            c = ws.cell(row=i, column=j, value=v)
            if isinstance(v, str):
                c.data_type = "s"
            if style == BOLD:
                c.font = bold
            elif style:
                c.number_format = style
    _sheet_props(ws, cols, widths, len(rows) - 1)


def _sheet_props(ws, cols: list[str], widths: list[int], n_rows: int) -> None:
    """Column widths, frozen header, filter."""
    from openpyxl.utils import get_column_letter

    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 8), 60)
    ws.freeze_panes = "B2" if cols and cols[0] in ("process", "unit") else "A2"
    if cols:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(n_rows + 1, 1)}"


def _matrix_sheet_name(process: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", f"Matrix {process}").strip("'")[:31] or "Matrix"
    name, k = base, 2
    while name.lower() in taken:
        suffix = f" ({k})"
        name, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(name.lower())
    return name


def _matrix_frame(pr: ProcessResult) -> tuple[pd.DataFrame, dict[str, str]]:
    frame = pr.matrix("combined").round(6)
    frame.insert(0, "unit", frame.index)
    return frame, {str(u): RATIO for u in pr.units}


def _colour_scale(ws, n: int) -> None:
    """The white → red colour scale over an n × n matrix below and right of the headers."""
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.utils import get_column_letter

    if n:
        area = f"B2:{get_column_letter(n + 1)}{n + 1}"
        ws.conditional_formatting.add(
            area,
            ColorScaleRule(start_type="num", start_value=0, start_color="FFFFFF",
                           mid_type="num", mid_value=0.5, mid_color="FDD49E",
                           end_type="num", end_value=1, end_color="D7301F"),
        )


def _write_matrix(ws, pr: ProcessResult) -> None:
    frame, formats = _matrix_frame(pr)
    _write_table(ws, frame, formats=formats)
    _colour_scale(ws, len(pr.units))


def _sheets(result: AnalysisResult, min_cases: int) -> list[tuple[str, pd.DataFrame, dict | None, int | None]]:
    """Every sheet in order: ``(name, frame, formats, matrix size or None)``."""
    out: list = []
    taken: set[str] = set()
    for name, frame in workbook_sheets(result, min_cases=min_cases).items():
        taken.add(name.lower())
        out.append((name, frame, None, None))
    for p, pr in result.processes.items():
        frame, formats = _matrix_frame(pr)
        out.append((_matrix_sheet_name(p, taken), frame, formats, len(pr.units)))
    return out


def _new_workbook():
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    props = wb.properties
    props.creator = "divergence"
    props.lastModifiedBy = "divergence"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    return wb


def build_workbook(result: AnalysisResult, *, min_cases: int = 1):
    """The openpyxl ``Workbook`` of ``result`` (not saved)."""
    wb = _new_workbook()
    for name, frame, formats, n in _sheets(result, min_cases):
        ws = wb.create_sheet(name)
        _write_table(ws, frame, formats=formats)
        if n is not None:
            _colour_scale(ws, n)
    return wb


def _save(wb, *, compression: int = zipfile.ZIP_STORED) -> dict[str, bytes]:
    """The parts openpyxl writes for ``wb``, by name, in its order."""
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", compression) as archive:
        ExcelWriter(wb, archive).save()  # not openpyxl.save_workbook: it stamps the time of saving
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src:
        return {info.filename: src.read(info.filename) for info in src.infolist()}


class _Unusual(Exception):
    """A cell the fast writer leaves to openpyxl (text a worksheet cannot hold)."""


_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # openpyxl refuses these in text
_SHEET_DATA = re.compile(rb"<sheetData>.*</sheetData>|<sheetData/>", re.S)


def _fast_xlsx(sheets) -> dict[str, bytes]:
    """The workbook's parts, the bytes openpyxl writes, without a cell object per value.

    openpyxl writes a skeleton: every sheet with its widths, frozen header,
    filter and colour scale, and only the cells that bring in a new style
    (so styles are numbered as in the full workbook: in order of first use,
    sheet by sheet, row by row). Each sheet's ``<sheetData>`` is then
    written here as openpyxl writes it (inline strings, ``%.16g`` numbers,
    non-ASCII as character references).
    """
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = _new_workbook()
    bold = Font(bold=True)
    ids: dict[Any, int] = {}  # style -> cellXfs index; 0 is the default style
    data: list[bytes | None] = []
    for name, frame, formats, n in sheets:
        cols, rows, widths = _table(frame, formats)
        ws = wb.create_sheet(name)
        letters = [get_column_letter(j) for j in range(1, len(cols) + 1)]
        parts = ["<sheetData>"]
        for i, row in enumerate(rows, start=1):
            parts.append(f'<row r="{i}">')
            for j, (v, style) in enumerate(row):
                if v is None:
                    continue  # an empty, unstyled cell is not written
                s = ""
                if style is not None:
                    k = ids.get(style)
                    if k is None:
                        k = ids[style] = len(ids) + 1
                        c = ws.cell(row=i, column=j + 1, value=0)  # brings the style in
                        if style == BOLD:
                            c.font = bold
                        else:
                            c.number_format = style
                    s = f' s="{k}"'
                ref = f"{letters[j]}{i}"
                if isinstance(v, str):
                    parts.append(f'<c r="{ref}"{s} t="inlineStr">{_inline(v)}</c>')
                elif isinstance(v, bool):
                    parts.append(f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>')
                else:
                    parts.append(f'<c r="{ref}"{s} t="n"><v>{"%.16g" % v}</v></c>')
            parts.append("</row>")
        parts.append("</sheetData>")
        if cols:  # the first and last cells set the sheet's dimension, as every cell of the frame would
            ws.cell(row=1, column=1)
            ws.cell(row=len(rows), column=len(cols))
        _sheet_props(ws, cols, widths, len(rows) - 1)
        if n is not None:
            _colour_scale(ws, n)
        data.append("".join(parts).encode("ascii") if cols else None)
    out = _save(wb)
    for k, body in enumerate(data, start=1):
        if body is not None:
            name = f"xl/worksheets/sheet{k}.xml"
            xml, count = _SHEET_DATA.subn(lambda _m: body, out[name], count=1)
            if count != 1:
                raise _Unusual(name)
            out[name] = xml
    return out


def _inline(v: str) -> str:
    """An inline string cell's content as openpyxl (lxml) writes it."""
    if v == "":
        return ""
    v = v[:32767]
    if _ILLEGAL.search(v):
        raise _Unusual("illegal character")
    space = ' xml:space="preserve"' if v != v.strip() else ""
    t = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    if not t.isascii():
        t = "".join(ch if ord(ch) < 128 else f"&#{ord(ch)};" for ch in t)
    return f"<is><t{space}>{t}</t></is>"


def write_workbook(result: AnalysisResult, path: Path, *, min_cases: int = 1) -> Path:
    """Write ``divergence.xlsx`` to ``path``, byte-stable for the same result."""
    sheets = _sheets(result, min_cases)
    try:
        parts = _fast_xlsx(sheets)
    except _Unusual:  # openpyxl cell by cell: the same bytes, or its own error
        wb = _new_workbook()
        for name, frame, formats, n in sheets:
            ws = wb.create_sheet(name)
            _write_table(ws, frame, formats=formats)
            if n is not None:
                _colour_scale(ws, n)
        parts = _save(wb)
    stamp = FIXED_TIME.timetuple()[:6]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    return path
