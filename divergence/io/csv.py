"""CSV reader: pyarrow, every column as text, delimiter sniffed, encoding checked."""

from __future__ import annotations

import codecs
import csv as _pycsv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from divergence.errors import EmptyLogError, InputError, warn
from divergence.io.safety import read_log_bytes

__all__ = ["DELIMITERS", "read_csv"]

#: Delimiters the sniffer may choose from.
DELIMITERS = ",;\t|"
_SNIFF_BYTES = 1 << 16


def read_csv(path: Path, *, max_bytes: int) -> pd.DataFrame:
    """Read a CSV (or CSV.gz) file into a frame of text columns.

    The file is decoded as UTF-8 (a byte order mark is skipped); if it is not
    valid UTF-8 it is decoded as Windows-1252 with a warning. The delimiter
    is sniffed from the first 64 KiB among ``, ; TAB |``. Empty fields are
    missing values; every other value is kept verbatim as text.

    Parameters
    ----------
    path : Path
        The file.
    max_bytes : int
        Largest (decompressed) size accepted.

    Returns
    -------
    DataFrame
        Text columns named as in the header, plus ``_row`` (1-based data row).

    Raises
    ------
    EmptyLogError
        The file is empty.
    InputError
        Unreadable, not gzip although named ``.gz``, larger than ``max_bytes``,
        binary content, or a header pyarrow cannot parse.
    """
    data = read_log_bytes(path, "csv", max_bytes)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if not data.strip():
        raise EmptyLogError(f"{path}: empty file, no events")
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputError(f"{path}: binary content, not a CSV text file")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        data = data.decode("cp1252", errors="replace").encode("utf-8")
        warn("csv_encoding", f"{path}: not valid UTF-8; decoded as Windows-1252", path)
    sample = data[:_SNIFF_BYTES].decode("utf-8", errors="replace")
    delimiter = _sniff(sample)
    header = _header(sample, delimiter, path)
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise InputError(f"{path}: duplicate column names in the header: {', '.join(map(repr, dupes))}")
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "parse error"
        raise InputError(f"{path}: cannot parse as CSV ({first})") from None
    frame = table.to_pandas()
    frame = frame.astype({c: "str" for c in frame.columns if frame[c].dtype != "str"})
    frame["_row"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return frame


def _sniff(sample: str) -> str:
    lines = sample.splitlines()
    if len(sample) >= _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    text = "\n".join(lines)
    first = lines[0] if lines else ""
    try:
        delimiter = _pycsv.Sniffer().sniff(text, delimiters=DELIMITERS).delimiter
    except _pycsv.Error:
        delimiter = ""
    if len(delimiter) != 1 or delimiter not in DELIMITERS or delimiter not in first:
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        delimiter = best if counts[best] else ","
    return delimiter


def _header(sample: str, delimiter: str, path: Path) -> list[str]:
    try:
        row = next(_pycsv.reader(io.StringIO(sample), delimiter=delimiter), [])
    except _pycsv.Error as exc:
        raise InputError(f"{path}: cannot parse the CSV header ({exc})") from None
    if not row:
        raise EmptyLogError(f"{path}: empty file, no events")
    return row
