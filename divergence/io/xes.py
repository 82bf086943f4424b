"""Streaming XES reader keeping only the attributes needed.

Two routes give the same frame. The fast one scans the document with one
regular expression, block by block, and accepts only the plain XES that
tools write (self-closing attribute elements with ``key`` then ``value``
in double quotes, ``<trace>`` and ``<event>`` without attributes, UTF-8,
the five predefined entities); the header before the first trace is
checked by lxml. Anything else it meets (comments, nested or list
attributes, other encodings, a truncated or malformed document) sends the
file to the general route, lxml ``iterparse``, which reads any XES and
gives the error messages. On BPIC 2015 the fast route takes about 0.5 s
a file against 0.9 s.

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
    fast = _fast_read(path, event_keys, trace_keys, max_bytes)
    if fast is not None:
        return fast
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


# ---------------------------------------------------------------- the fast route

_BLOCK = 1 << 23  # bytes scanned at a time
# one token: an attribute element, a trace or event tag, the end of the log, or anything else
_TOKEN = re.compile(
    rb'[ \t\r\n]*(?:<(?:string|date|int|float|boolean|id)[ \t\r\n]+key="([^"<&]*)"[ \t\r\n]+value="([^"<\t\r\n]*)"[ \t\r\n]*/>'
    rb"|<(/?)(event|trace)>|(</log>)|(\S))"
)
_ENCODING = re.compile(rb'<\?xml[^>]*encoding=["\']([^"\']*)["\']')
_ENTITIES = re.compile(rb"&(amp|lt|gt|quot|apos);|&")
_ENTITY_TEXT = {b"amp": b"&", b"lt": b"<", b"gt": b">", b"quot": b'"', b"apos": b"'"}


_UNSEEN = object()


class _NotPlain(Exception):
    """The document is not plain XES: read it by the general route."""


def _fast_read(path: Path, event_keys: set[str], trace_keys: set[str], max_bytes: int) -> pd.DataFrame | None:
    """The frame of a plain XES document, or None when it is not plain (see the module)."""
    stream = open_log_stream(path, "xes", max_bytes)
    with stream:
        try:
            return _fast_scan(stream, event_keys, trace_keys)
        except _NotPlain:
            return None


def _fast_scan(stream: LimitedReader, event_keys: set[str], trace_keys: set[str]) -> pd.DataFrame:
    buf = stream.read(_BLOCK)
    while b"<trace>" not in buf:  # the header: up to the first trace
        more = stream.read(_BLOCK)
        if not more or len(buf) > 8 * _BLOCK:  # no trace, or a header too long to be plain
            raise _NotPlain
        buf += more
    start = buf.index(b"<trace>")
    _check_head(buf[:start])
    buf = buf[start:]
    event_slot: dict[bytes, tuple | None] = {}  # an event attribute's key -> its column's lists, or None
    keep_trace: dict[bytes, str | None] = {}
    event_cols: dict[str, tuple[list[int], list[bytes]]] = {}
    trace_cols: dict[str, list[tuple[int, int, bytes]]] = {}
    pending: list[tuple[str, bytes]] = []  # the open trace's attributes
    n = trace_start = 0
    state = 0  # 0: in the log, 1: in a trace, 2: in an event
    ended = False
    eof = False
    while True:
        if eof:
            body, buf = buf, b""
        else:
            cut = buf.rfind(b"<")  # no token holds a "<" but at its start
            body, buf = (buf[:cut], buf[cut:]) if cut > 0 else (b"", buf)
        for key, value, close, tag, end, other in _TOKEN.findall(body):
            if ended and not other.isspace():
                raise _NotPlain  # anything after </log>
            if key:
                if state == 2:
                    slot = event_slot.get(key, _UNSEEN)
                    if slot is _UNSEEN:
                        name = _kept(key, event_keys)
                        slot = event_slot[key] = None if name is None else event_cols.setdefault(name, ([], []))
                    if slot is not None:
                        slot[0].append(n)
                        slot[1].append(value)
                elif state == 1:
                    name = keep_trace.get(key, False)
                    if name is False:
                        name = keep_trace[key] = _kept(key, trace_keys)
                    if name is not None:
                        pending.append((name, value))
                # attributes of the log itself are not read
            elif tag == b"event":
                if close:
                    if state != 2:
                        raise _NotPlain
                    n += 1
                    state = 1
                elif state == 1:
                    state = 2
                else:
                    raise _NotPlain
            elif tag:  # trace
                if close:
                    if state != 1:
                        raise _NotPlain
                    for name, value in pending:
                        trace_cols.setdefault(name, []).append((trace_start, n, value))
                    pending.clear()
                    trace_start = n
                    state = 0
                elif state == 0:
                    state = 1
                else:
                    raise _NotPlain
            elif end:
                if state != 0:
                    raise _NotPlain
                ended = True
            else:
                raise _NotPlain
        if eof:
            break
        more = stream.read(_BLOCK)
        if more:
            buf += more
        else:
            eof = True
    if not ended:
        raise _NotPlain  # truncated: the general route names the problem
    decoded_events = {k: (pos, _texts(vals)) for k, (pos, vals) in event_cols.items()}
    decoded_traces = {}
    for k, spans in trace_cols.items():
        texts = _texts([v for _, _, v in spans])
        decoded_traces[k] = [(s, e, t) for (s, e, _), t in zip(spans, texts)]
    return _assemble(n, decoded_events, decoded_traces)


def _check_head(head: bytes) -> None:
    """The header must be UTF-8, well-formed, without a DOCTYPE, and open the ``<log>`` root."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if _DOCTYPE.search(head):
        raise _NotPlain
    found = _ENCODING.match(head)
    if found and found.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        raise _NotPlain
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        head.decode("utf-8")
        root = etree.fromstring(head + b"</log>", parser)
    except (etree.XMLSyntaxError, UnicodeDecodeError, ValueError):
        raise _NotPlain from None
    if etree.QName(root).localname != "log":
        raise _NotPlain


def _kept(key: bytes, wanted: set[str]) -> str | None:
    """The key's text when it is kept, else None."""
    name = _text(key)
    return name if name in wanted or is_candidate_key(name) else None


def _texts(values: list[bytes]) -> list[str]:
    """Decode attribute values (they hold no newline: the scanner refuses them)."""
    if not values:
        return []
    joined = b"\n".join(values)
    try:
        if b"&" in joined:
            return [_text(v) for v in values]
        return joined.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise _NotPlain from None


def _text(raw: bytes) -> str:
    """Decode an attribute's bytes, replacing the predefined entities (any other: not plain)."""
    if b"&" in raw:
        def sub(m: re.Match) -> bytes:
            if m.group(1) is None:
                raise _NotPlain  # a character reference or a stray "&"
            return _ENTITY_TEXT[m.group(1)]

        raw = _ENTITIES.sub(sub, raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _NotPlain from None


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
