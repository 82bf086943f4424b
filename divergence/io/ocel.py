"""OCEL 2.0 object-centric logs (``.jsonocel``, ``.xmlocel``, ``.sqlite``) flattened onto one object type.

A small reader of its own (JSON: :mod:`json`; XML: lxml with entities
refused; SQLite: :mod:`sqlite3`, read only) of the three OCEL 2.0 formats
(https://www.ocel-standard.org/), not pm4py's: it reads only what the
flattening needs and fails in one line naming the file.

The flattening rule
-------------------
One object type plays the case (``--object-type``; it may be left out when
the file has one object type). Each event belongs to **every** object of
that type it relates to (event-to-object relations, any qualifier): an
event related to two orders appears in both orders' cases; events related
to no object of the type are left out. The case id is the object id, the
activity the event type, the timestamp the event time. Every event
attribute becomes a column (so ``resource`` etc. are detected as for a
CSV); an object attribute becomes a column only when a column option names
it (``--unit-key``, ``--process-key``, ``--resource-key``), with the
object's earliest value, and wins over an event attribute of that name.
The unit is then that column, else the file name, as for any log.

What was done is recorded per file (``object_type``, objects and events
per type, ``shared_events``: events in more than one case,
``unrelated_events``: events left out).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from divergence.errors import InputError

__all__ = ["read_ocel", "OcelLog", "load_ocel", "flatten"]

CASE, ACTIVITY, TIMESTAMP = "case:concept:name", "concept:name", "time:timestamp"
_OWN = ("ocel:", "ocel_")  # the format's own columns some writers repeat among the attributes


@dataclass
class OcelLog:
    """The parts of an OCEL 2.0 log the flattening needs."""

    #: (event id, event type, time text, attributes, related object ids), file order
    events: list[tuple[str, str, str, dict[str, Any], list[str]]] = field(default_factory=list)
    #: object id -> object type
    object_type: dict[str, str] = field(default_factory=dict)
    #: object id -> attribute -> (time text, value), values in time order
    object_attrs: dict[str, dict[str, list[tuple[str, Any]]]] = field(default_factory=dict)


def read_ocel(path: Path, fmt: str, *, object_type: str | None, wanted: set[str], max_bytes: int
              ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read and flatten one OCEL 2.0 file: (raw frame with ``_row``, record of the flattening).

    ``wanted`` holds the column names the user gave; object attributes of
    those names are joined. Raises :class:`InputError` (one line, naming
    the file) for an unreadable or malformed file, several object types
    without ``object_type``, an unknown object type or no related events.
    """
    size = path.stat().st_size
    if size > max_bytes:
        from divergence.io.safety import InputTooLarge

        raise InputTooLarge(f"{path}: {size:,} bytes, above the limit of {max_bytes:,} (DIVERGENCE_MAX_INPUT_BYTES)")
    log = load_ocel(path, fmt)
    return flatten(log, path, object_type=object_type, wanted=wanted)


def load_ocel(path: Path, fmt: str) -> OcelLog:
    """The events, objects and object attributes of an OCEL 2.0 file (``fmt``: ocel-json, ocel-xml, ocel-sqlite)."""
    try:
        if fmt == "ocel-json":
            return _load_json(path)
        if fmt == "ocel-xml":
            return _load_xml(path)
        return _load_sqlite(path)
    except InputError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise InputError(f"{path}: not an OCEL 2.0 log ({_one_line(exc)})") from None
    except sqlite3.Error as exc:
        raise InputError(f"{path}: not an OCEL 2.0 SQLite database ({_one_line(exc)})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _load_json(path: Path) -> OcelLog:
    try:
        doc = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: malformed JSON ({_one_line(exc)})") from None
    if not isinstance(doc, dict) or "events" not in doc or "objects" not in doc:
        raise InputError(f"{path}: not an OCEL 2.0 JSON log (no 'events' and 'objects')")
    log = OcelLog()
    for o in doc["objects"]:
        oid = str(o["id"])
        log.object_type[oid] = str(o["type"])
        attrs: dict[str, list[tuple[str, Any]]] = {}
        for a in o.get("attributes") or []:
            attrs.setdefault(str(a["name"]), []).append((str(a.get("time") or ""), a.get("value")))
        log.object_attrs[oid] = attrs
    for e in doc["events"]:
        attrs = {str(a["name"]): a.get("value") for a in e.get("attributes") or []}
        rel = [str(r["objectId"]) for r in e.get("relationships") or []]
        log.events.append((str(e["id"]), str(e["type"]), str(e["time"]), attrs, rel))
    return log


def _load_xml(path: Path) -> OcelLog:
    from lxml import etree

    from divergence.io.xes import _refuse_entities

    with open(path, "rb") as handle:
        _refuse_entities(path, handle.read(65536))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{path}: malformed or truncated XML ({_one_line(exc)})") from None
    if etree.QName(root).localname != "log" or root.find("{*}events") is None and root.find("events") is None:
        raise InputError(f"{path}: not an OCEL 2.0 XML log (no <log> with <events>)")
    log = OcelLog()
    for o in root.iterfind("./objects/object"):
        oid = o.get("id")
        log.object_type[oid] = o.get("type")
        attrs: dict[str, list[tuple[str, Any]]] = {}
        for a in o.iterfind("./attributes/attribute"):
            attrs.setdefault(a.get("name"), []).append((a.get("time") or "", a.text))
        log.object_attrs[oid] = attrs
    for e in root.iterfind("./events/event"):
        attrs = {a.get("name"): a.text for a in e.iterfind("./attributes/attribute")}
        rel = [r.get("object-id") for r in e.iterfind("./objects/relationship")]
        if e.get("id") is None or e.get("type") is None or e.get("time") is None:
            raise InputError(f"{path}: not an OCEL 2.0 XML log (an <event> without id, type or time)")
        log.events.append((e.get("id"), e.get("type"), e.get("time"), attrs, rel))
    return log


def _load_sqlite(path: Path) -> OcelLog:
    with open(path, "rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise InputError(f"{path}: not an SQLite database")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        need = {"event", "object", "event_object", "event_map_type", "object_map_type"}
        if not need <= tables:
            raise InputError(f"{path}: not an OCEL 2.0 SQLite database (missing table(s) "
                             f"{', '.join(sorted(need - tables))})")
        log = OcelLog()
        log.object_type = {str(i): str(t) for i, t in con.execute("SELECT ocel_id, ocel_type FROM object")}
        for _, suffix in con.execute("SELECT ocel_type, ocel_type_map FROM object_map_type"):
            table = f"object_{suffix}"
            if table not in tables:
                continue
            cur = con.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cur.description]
            for row in cur:
                rec = dict(zip(names, row))
                oid, time = str(rec.pop("ocel_id")), str(rec.pop("ocel_time", "") or "")
                changed = rec.pop("ocel_changed_field", None)
                attrs = log.object_attrs.setdefault(oid, {})
                for name, value in rec.items():
                    if value is not None and (changed is None or changed == name):
                        attrs.setdefault(name, []).append((time, value))
        rel: dict[str, list[str]] = {}
        for eid, oid in con.execute("SELECT ocel_event_id, ocel_object_id FROM event_object"):
            rel.setdefault(str(eid), []).append(str(oid))
        types = dict(con.execute("SELECT ocel_type, ocel_type_map FROM event_map_type"))
        kind = {str(i): str(t) for i, t in con.execute("SELECT ocel_id, ocel_type FROM event")}
        order = {eid: k for k, eid in enumerate(kind)}
        rows = []
        for etype, suffix in sorted(types.items()):
            table = f"event_{suffix}"
            if table not in tables:
                raise InputError(f"{path}: not an OCEL 2.0 SQLite database (missing table {table})")
            cur = con.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cur.description]
            for row in cur:
                rec = dict(zip(names, row))
                eid, time = str(rec.pop("ocel_id")), str(rec.pop("ocel_time"))
                rows.append((order.get(eid, len(order)), eid, kind.get(eid, etype), time, rec))
        for _, eid, etype, time, rec in sorted(rows, key=lambda r: (r[0], r[1])):
            attrs = {k: v for k, v in rec.items() if v is not None}
            log.events.append((eid, etype, time, attrs, rel.get(eid, [])))
        return log
    finally:
        con.close()


def _first(values: list[tuple[str, Any]]) -> Any:
    """The earliest value of a time-varying object attribute."""
    return min(values, key=lambda tv: tv[0])[1] if values else None


class AmbiguousObjectType(InputError):
    """An OCEL log with several object types and no ``--object-type`` to choose the case."""


def skipped_message(path) -> str:
    """The warning for an OCEL log found in a folder beside other logs and not read (same for every engine)."""
    return (f"{path}: OCEL 2.0 log skipped: found in a folder beside other logs; analyse it on its own "
            "(pandas engine, with --object-type TYPE when it has several object types)")


def flatten(log: OcelLog, path: Path, *, object_type: str | None, wanted: set[str]
            ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Flatten ``log`` onto ``object_type`` (see the module's rule): (raw frame, record)."""
    if not log.events:
        raise InputError(f"{path}: no events (the OCEL log holds none)")
    counts = Counter(log.object_type.values())
    listing = ", ".join(f"{t} ({n:,} objects)" for t, n in sorted(counts.items()))
    if object_type is None:
        if len(counts) != 1:
            raise AmbiguousObjectType(f"{path}: {len(counts)} object types, choose the one that plays the case with "
                                      f"--object-type: {listing or 'none'}")
        object_type = next(iter(counts))
    elif object_type not in counts:
        raise InputError(f"{path}: no object type {object_type!r} (--object-type); the file has: {listing or 'none'}")
    chosen = {o for o, t in log.object_type.items() if t == object_type}
    joined = {}
    for name in sorted(n for n in wanted if n not in (CASE, ACTIVITY, TIMESTAMP)):
        values = {o: _first(log.object_attrs.get(o, {}).get(name, [])) for o in chosen}
        if any(v is not None for v in values.values()):
            joined[name] = values
    rows: list[dict[str, Any]] = []
    shared = unrelated = 0
    cases_of: set[str] = set()
    for eid, etype, time, attrs, related in log.events:
        mine = [o for o in dict.fromkeys(related) if o in chosen]
        if not mine:
            unrelated += 1
            continue
        shared += len(mine) > 1
        base = {k: v for k, v in attrs.items() if k not in (CASE, ACTIVITY, TIMESTAMP) and not k.startswith(_OWN)}
        for o in mine:
            row = {CASE: o, ACTIVITY: etype, TIMESTAMP: time, **base}
            for name, values in joined.items():
                if values.get(o) is not None:
                    row[name] = values[o]
            rows.append(row)
            cases_of.add(o)
    if not rows:
        raise InputError(f"{path}: no event relates to an object of type {object_type!r} (--object-type)")
    frame = pd.DataFrame(rows)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    frame["_row"] = range(1, len(frame) + 1)
    events_of_type = Counter(t for _, t, _, _, _ in log.events)
    record = {
        "object_type": object_type,
        "object_types": dict(sorted(counts.items())),
        "objects": len(cases_of),
        "events": len(log.events),
        "event_types": len(events_of_type),
        "events_used": len(log.events) - unrelated,
        "shared_events": shared,
        "unrelated_events": unrelated,
        "rows": len(rows),
        "object_attributes_joined": sorted(joined),
    }
    return frame, record
