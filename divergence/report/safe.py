"""Safe outputs: spreadsheet-proof CSV cells and file names that stay in the output folder."""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["neutralise_cell", "neutralise_frame", "write_csv", "safe_name"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def neutralise_cell(value: object) -> object:
    """Prefix text a spreadsheet would run as a formula with a single quote.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return is written as ``'=...``; numbers are left alone.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell (and column name) neutralised."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_cell)
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """Write ``df`` as UTF-8 CSV with formulas neutralised, deterministically.

    The bytes of ``neutralise_frame(df).to_csv(path, index=False,
    lineterminator="\\n", float_format="%.10g")``; frames of plain columns
    (float64, integers, bools, text) are formatted here column by column and
    written by the same :mod:`csv` writer, several times faster than
    pandas' formatting value by value.
    """
    try:
        header, columns = _csv_columns(df)
    except _Unusual:
        neutralise_frame(df).to_csv(path, index=False, lineterminator="\n", float_format="%.10g")
        return path
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        out.writerows(zip(*columns))
    return path


class _Unusual(Exception):
    """A frame :func:`write_csv` leaves to pandas."""


def _csv_columns(df: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The header and every column as the text pandas writes (formulas neutralised)."""
    if not len(df.columns) or not all(isinstance(c, str) for c in df.columns):
        raise _Unusual
    header = [neutralise_cell(c) for c in df.columns]
    columns = []
    for j in range(df.shape[1]):
        s = df.iloc[:, j]
        dt = s.dtype
        if isinstance(dt, np.dtype) and dt.kind in "fiub" and dt.itemsize == 8 or dt == np.bool_:
            values = s.to_numpy().tolist()
            if dt.kind == "f":
                columns.append(["" if v != v else "%.10g" % v for v in values])
            else:
                columns.append([str(v) for v in values])
        elif dt == object or pd.api.types.is_string_dtype(dt):
            col = []
            for v in s.tolist():
                if isinstance(v, str):
                    col.append("'" + v if v.startswith(_FORMULA_START) else v)
                elif v is None or v is pd.NA or (isinstance(v, float) and v != v):
                    col.append("")
                else:
                    raise _Unusual
            columns.append(col)
        else:
            raise _Unusual
    return header, columns


def safe_name(name: str, *, max_len: int = 60) -> str:
    """A file-name part made from user data that cannot leave its folder.

    Keeps letters, digits, ``-`` and ``_``; everything else becomes ``_``.
    Empty names, dot-names, reserved device names (``CON``, ``NUL``, ...)
    and names that had to change get a short hash suffix so that distinct
    inputs stay distinct.

    >>> safe_name("hr")
    'hr'
    >>> safe_name("../etc/passwd").startswith("etc_passwd-")
    True
    """
    text = unicodedata.normalize("NFKC", str(name))
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_-")[:max_len]
    changed = slug != text or slug.lower() in _RESERVED or not slug
    if changed:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug or 'x'}-{digest}"
    return slug
