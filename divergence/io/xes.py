"""Streaming XES reader: lxml ``iterparse`` keeping only the attributes needed.

Events and traces are cleared from the tree as soon as they are read, so
memory stays flat whatever the file size. Only direct attribute children of
``<event>`` and ``<trace>`` are read (nested attribute values are ignored);
all values are kept as text. Trace attributes become columns ``case:<key>``,
event attributes keep their key, as in pm4py.

Security: a document type declaration containing entity declarations is
refused before parsing, and the parser never loads a DTD, resolves
entities or touches the network.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from divergence.errors import InputError
from divergence.io.columns import is_candidate_key
from divergence.io.safety import LimitedReader, open_log_stream

__all__ = ["read_xes"]

_PEEK = 1 << 16
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


def read_xes(
    path: Path, *, event_keys: set[str], trace_keys: set[str], max_bytes: int
) -> pd.DataFrame:
    """Read the events of an XES (or XES.gz) file into a frame of text columns.

    Parameters
    ----------
    path : Path
        The file.
    event_keys, trace_keys : set of str
        Attribute keys to keep; attributes whose key could name a unit or a
        process are kept too.
    max_bytes : int
        Largest decompressed size accepted.

    Returns
    -------
    DataFrame
        One row per event in file order, a column per attribute kept (trace
        attributes prefixed ``case:``), plus ``_row`` (1-based event number).

    Raises
    ------
    InputError
        Not XML, truncated or malformed XML, a DTD with entities, not an XES
        log, truncated gzip, or larger than ``max_bytes``.
    """
    stream = open_log_stream(path, "xes", max_bytes)
    with stream:
        head = _Peeked(stream)
        _refuse_entities(path, head.prefix)
        try:
            return _parse(path, head, event_keys, trace_keys)
        except etree.XMLSyntaxError as exc:
            if stream.error is not None:
                raise stream.error from None
            message = str(exc).splitlines()[0] if str(exc) else "syntax error"
            raise InputError(f"{path}: malformed or truncated XML ({message})") from None
        except InputError:
            raise
        except Exception:  # lxml re-raises errors of the read callback wrapped or not
            if stream.error is not None:
                raise stream.error from None
            raise


class _Peeked:
    """A stream whose first 64 KiB were read ahead to inspect the prolog."""

    def __init__(self, stream: LimitedReader) -> None:
        self._stream = stream
        self.prefix = stream.read(_PEEK)
        self._pending = self.prefix

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        return self._stream.read(size)


def _refuse_entities(path: Path, prefix: bytes) -> None:
    if not prefix.strip():
        raise InputError(f"{path}: empty file, not an XES log")
    text = prefix.replace(b"\x00", b"")  # catch UTF-16 too
    match = _DOCTYPE.search(text)
    if match and _ENTITY.search(text, match.start()):
        raise InputError(
            f"{path}: XML with entity declarations (DOCTYPE <!ENTITY ...>) is refused for safety"
        )


def _parse(path: Path, stream: _Peeked, event_keys: set[str], trace_keys: set[str]) -> pd.DataFrame:
    context = etree.iterparse(
        stream,
        events=("end",),
        tag=("{*}event", "{*}trace"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    event_cache: dict[str, bool] = {}
    trace_cache: dict[str, bool] = {}
    event_cols: dict[str, tuple[list[int], list[str]]] = {}
    trace_cols: dict[str, list[tuple[int, int, str]]] = {}
    n = 0
    trace_start = 0
    for _, elem in context:
        tag = elem.tag
        if tag[-5:] == "event":
            for child in elem:
                key = child.get("key")
                if key is None:
                    continue
                keep = event_cache.get(key)
                if keep is None:
                    keep = event_cache[key] = key in event_keys or is_candidate_key(key)
                if keep:
                    slot = event_cols.get(key)
                    if slot is None:
                        slot = event_cols[key] = ([], [])
                    slot[0].append(n)
                    slot[1].append(child.get("value"))
            n += 1
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                parent.remove(elem)
        else:  # trace
            for child in elem:
                key = child.get("key")
                if key is None:
                    continue
                keep = trace_cache.get(key)
                if keep is None:
                    keep = trace_cache[key] = key in trace_keys or is_candidate_key(key)
                if keep:
                    trace_cols.setdefault(key, []).append((trace_start, n, child.get("value")))
            trace_start = n
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                parent.remove(elem)
    root = context.root
    if root is None or etree.QName(root).localname != "log":
        name = etree.QName(root).localname if root is not None else "nothing"
        raise InputError(f"{path}: not an XES log (root element is <{name}>, expected <log>)")
    return _assemble(n, event_cols, trace_cols)


def _assemble(
    n: int,
    event_cols: dict[str, tuple[list[int], list[str]]],
    trace_cols: dict[str, list[tuple[int, int, str]]],
) -> pd.DataFrame:
    data: dict[str, object] = {}
    for key, spans in trace_cols.items():
        column = np.full(n, None, dtype=object)
        starts = np.fromiter((s for s, _, _ in spans), dtype=np.int64, count=len(spans))
        ends = np.fromiter((e for _, e, _ in spans), dtype=np.int64, count=len(spans))
        values = np.array([v for _, _, v in spans], dtype=object)
        lengths = ends - starts
        index = np.repeat(starts, lengths) + _ramp(lengths)
        column[index] = np.repeat(values, lengths)
        data["case:" + key] = column
    for key, (positions, values) in event_cols.items():
        if len(positions) == n:
            data[key] = np.array(values, dtype=object)
        else:
            column = np.full(n, None, dtype=object)
            column[np.asarray(positions, dtype=np.int64)] = np.array(values, dtype=object)
            data[key] = column
    frame = pd.DataFrame(
        {key: pd.Series(values, dtype="str") for key, values in data.items()},
        index=pd.RangeIndex(n),
    )
    frame["_row"] = np.arange(1, n + 1, dtype=np.int64)
    return frame


def _ramp(lengths: np.ndarray) -> np.ndarray:
    """Return 0..len-1 for each length, concatenated."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - offsets
