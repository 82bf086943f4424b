"""Parquet reader (pyarrow)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from divergence.errors import EmptyLogError, InputError
from divergence.io.safety import InputTooLarge, check_parquet_magic

__all__ = ["read_parquet"]


def read_parquet(path: Path, *, max_bytes: int) -> pd.DataFrame:
    """Read a Parquet file into a frame, keeping its column types.

    Column types are checked later, once the roles are known (see
    :func:`divergence.io.clean.coerce_roles`).

    Parameters
    ----------
    path : Path
        The file.
    max_bytes : int
        Largest file size accepted.

    Returns
    -------
    DataFrame
        The file's columns plus ``_row`` (1-based row number).

    Raises
    ------
    EmptyLogError
        The file is empty.
    InputError
        Not a Parquet file, unreadable, corrupt, or larger than ``max_bytes``.
    """
    check_parquet_magic(path)
    size = os.path.getsize(path)
    if size == 0:
        raise EmptyLogError(f"{path}: empty file, no events")
    if size > max_bytes:
        raise InputTooLarge(f"{path}: size {size:,} bytes exceeds the limit of {max_bytes:,} bytes")
    try:
        meta = pq.read_metadata(path)
        decoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if decoded > max_bytes:
            raise InputTooLarge(
                f"{path}: decoded size {decoded:,} bytes exceeds the limit of {max_bytes:,} bytes"
            )
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "read error"
        raise InputError(f"{path}: cannot read as Parquet ({first})") from None
    frame = table.to_pandas()
    frame["_row"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return frame
