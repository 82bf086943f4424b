"""An OCEL 2.0 sample: procurement with orders, invoices and payments across four units.

``python -m divergence.samples --ocel FILE.jsonocel`` writes it (also
``.xmlocel`` and ``.sqlite``); deterministic for a seed. Object types:
``order``, ``invoice``, ``payment``; every object has the attribute
``unit``, events have ``resource``. Planted truth, per unit:

- ``dwp``, ``defra``: the standard: Create order → Approve order → Receive
  goods → Receive invoice → Match invoice → Approve invoice → Pay;
  ``defra`` receives two orders in one delivery in about a third of its
  orders (events shared by two orders);
- ``hmrc``: skips Approve order in most orders (low-value buying);
- ``mod``: a Second approval after Approve order, and the invoice comes
  before the goods.

Some orders have two invoices; a payment run pays every invoice approved
that week in one Pay event (shared by several invoices), except in
``hmrc``, which pays each invoice on its own.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["OCEL_UNITS", "simulate_ocel", "write_ocel", "OcelSample"]

OCEL_UNITS = ("defra", "dwp", "hmrc", "mod")
OCEL_SEED = 20240417
_START = dt.datetime(2024, 1, 8, 9, 0, tzinfo=dt.timezone.utc)
_INITIAL = "1970-01-01T00:00:00Z"  # time of an object attribute's initial value (OCEL 2.0 convention)


@dataclass
class OcelSample:
    """Objects ``(id, type, {attr: value}, [(target, qualifier)])`` and events ``(id, type, time, {attr: value}, [(object, qualifier)])``."""

    objects: list[tuple[str, str, dict[str, Any], list[tuple[str, str]]]] = field(default_factory=list)
    events: list[tuple[str, str, dt.datetime, dict[str, Any], list[tuple[str, str]]]] = field(default_factory=list)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def simulate_ocel(*, orders_per_unit: int = 30, seed: int = OCEL_SEED) -> OcelSample:
    """The sample's objects and events, events in time order."""
    rng = np.random.default_rng(seed)
    out = OcelSample()
    raw_events: list[tuple[dt.datetime, str, str, dict[str, Any], list[tuple[str, str]]]] = []

    def ev(t, etype, unit, role, rel):
        raw_events.append((t, etype, unit, {"resource": f"{role}_{int(rng.integers(1, 6)):02d}@{unit}"}, rel))

    def later(t: dt.datetime, hours: float) -> dt.datetime:
        return t + dt.timedelta(hours=float(rng.lognormal(np.log(hours), 0.4)))

    width = max(3, len(str(orders_per_unit)))
    for unit in OCEL_UNITS:
        code = unit[:2].upper()
        approved_invoices: list[tuple[dt.datetime, str]] = []
        plans = []  # per order: id, time after approvals, goods time
        for k in range(orders_per_unit):
            oid = f"PO-{code}-{k + 1:0{width}d}"
            out.objects.append((oid, "order", {"unit": unit, "amount": int(rng.integers(200, 20000))}, []))
            t = _START + dt.timedelta(days=int(k * 2 + rng.integers(0, 2)), hours=float(rng.uniform(0, 6)))
            ev(t, "Create order", unit, "buyer", [(oid, "order")])
            if not (unit == "hmrc" and rng.random() < 0.85):
                t = later(t, 6)
                ev(t, "Approve order", unit, "manager", [(oid, "order")])
            if unit == "mod":
                t = later(t, 20)
                ev(t, "Second approval", unit, "director", [(oid, "order")])
            plans.append([oid, t, later(t, 48), [oid]])
        if unit == "defra":  # about a third of the orders arrive with the next one, in one delivery
            for k in range(0, len(plans) - 1, 2):
                if rng.random() < 0.7:
                    a, b = plans[k], plans[k + 1]
                    a[2] = b[2] = max(a[2], b[2])
                    a[3], b[3] = [a[0], b[0]], []
        for oid, t, t_goods, delivered in plans:
            n_inv = 2 if rng.random() < 0.2 else 1
            invoices = [f"INV-{code}-{oid.split('-', 2)[2]}-{j + 1}" for j in range(n_inv)]
            for inv in invoices:
                out.objects.append((inv, "invoice", {"unit": unit}, [(oid, "for order")]))
            if unit == "mod":  # the invoice comes before the goods
                t_inv = later(t, 24)
                t_goods = later(t_inv + dt.timedelta(hours=6 * (n_inv - 1)), 30)
            else:
                t_inv = later(t_goods, 24)
            if delivered:
                ev(t_goods, "Receive goods", unit, "stores", [(o, "order") for o in delivered])
            for j, inv in enumerate(invoices):
                ti = t_inv + dt.timedelta(hours=6 * j)
                ev(ti, "Receive invoice", unit, "ap_clerk", [(inv, "invoice"), (oid, "order")])
                tm = later(max(ti, t_goods), 8)
                ev(tm, "Match invoice", unit, "ap_clerk", [(inv, "invoice"), (oid, "order")])
                ta = later(tm, 10)
                ev(ta, "Approve invoice", unit, "ap_manager", [(inv, "invoice")])
                approved_invoices.append((ta, inv))
        # payments: weekly runs (Fridays 15:00), or one payment per invoice in hmrc
        approved_invoices.sort()
        runs: dict[Any, list[tuple[dt.datetime, str]]] = {}
        for ta, inv in approved_invoices:
            if unit == "hmrc":
                runs[inv] = [(ta, inv)]
            else:
                days = (4 - ta.weekday()) % 7 or (7 if ta.hour >= 15 else 0)
                friday = (ta + dt.timedelta(days=days)).replace(hour=15, minute=0, second=0, microsecond=0)
                runs.setdefault(friday, []).append((ta, inv))
        for n, (key, invs) in enumerate(sorted(runs.items(), key=lambda kv: kv[1][0]), start=1):
            pid = f"PAY-{code}-{n:0{width}d}"
            when = key if isinstance(key, dt.datetime) else later(invs[0][0], 30)
            out.objects.append((pid, "payment", {"unit": unit}, [(inv, "pays") for _, inv in invs]))
            ev(when, "Pay", unit, "treasury", [(pid, "payment")] + [(inv, "invoice") for _, inv in invs])
    raw_events.sort(key=lambda r: (r[0], r[1], r[4][0][0]))
    for n, (t, etype, _unit, attrs, rel) in enumerate(raw_events, start=1):
        out.events.append((f"e{n:05d}", etype, t, attrs, rel))
    return out


def _attr_types(items) -> dict[str, dict[str, str]]:
    """type -> attribute -> OCEL type name, sorted."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        kind, attrs = item[1], item[3] if len(item) == 5 else item[2]
        slot = out.setdefault(kind, {})
        for name, value in attrs.items():
            slot[name] = "integer" if isinstance(value, int) else "string"
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def ocel_json(sample: OcelSample) -> str:
    """The sample as OCEL 2.0 JSON text."""
    doc = {
        "objectTypes": [{"name": t, "attributes": [{"name": a, "type": v} for a, v in attrs.items()]}
                        for t, attrs in _attr_types(sample.objects).items()],
        "eventTypes": [{"name": t, "attributes": [{"name": a, "type": v} for a, v in attrs.items()]}
                       for t, attrs in _attr_types(sample.events).items()],
        "objects": [{"id": oid, "type": t,
                     "attributes": [{"name": a, "time": _INITIAL, "value": v} for a, v in attrs.items()],
                     "relationships": [{"objectId": o, "qualifier": q} for o, q in rel]}
                    for oid, t, attrs, rel in sample.objects],
        "events": [{"id": eid, "type": t, "time": _iso(when),
                    "attributes": [{"name": a, "value": v} for a, v in attrs.items()],
                    "relationships": [{"objectId": o, "qualifier": q} for o, q in rel]}
                   for eid, t, when, attrs, rel in sample.events],
    }
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def ocel_xml(sample: OcelSample) -> bytes:
    """The sample as OCEL 2.0 XML."""
    from lxml import etree

    log = etree.Element("log")
    for tag, items in (("object-types", sample.objects), ("event-types", sample.events)):
        group = etree.SubElement(log, tag)
        for t, attrs in _attr_types(items).items():
            node = etree.SubElement(group, tag[:-1], name=t)
            holder = etree.SubElement(node, "attributes")
            for a, v in attrs.items():
                etree.SubElement(holder, "attribute", name=a, type=v)
    objects = etree.SubElement(log, "objects")
    for oid, t, attrs, rel in sample.objects:
        node = etree.SubElement(objects, "object", id=oid, type=t)
        holder = etree.SubElement(node, "attributes")
        for a, v in attrs.items():
            etree.SubElement(holder, "attribute", name=a, time=_INITIAL).text = str(v)
        rels = etree.SubElement(node, "objects")
        for o, q in rel:
            etree.SubElement(rels, "relationship", {"object-id": o, "qualifier": q})
    events = etree.SubElement(log, "events")
    for eid, t, when, attrs, rel in sample.events:
        node = etree.SubElement(events, "event", id=eid, type=t, time=_iso(when))
        holder = etree.SubElement(node, "attributes")
        for a, v in attrs.items():
            etree.SubElement(holder, "attribute", name=a).text = str(v)
        rels = etree.SubElement(node, "objects")
        for o, q in rel:
            etree.SubElement(rels, "relationship", {"object-id": o, "qualifier": q})
    return etree.tostring(log, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _map_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", name.title()) or "x"


def ocel_sqlite(sample: OcelSample, path: Path) -> None:
    """The sample as an OCEL 2.0 SQLite database at ``path`` (replaced)."""
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        q = con.execute
        q("CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
        q("CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
        q("CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
        q("CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
        q("CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT)")
        q("CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT)")
        sql = {"integer": "INTEGER", "string": "TEXT"}
        for t, attrs in _attr_types(sample.events).items():
            m = _map_name(t)
            q("INSERT INTO event_map_type VALUES (?, ?)", (t, m))
            cols = "".join(f', "{a}" {sql[v]}' for a, v in attrs.items())
            q(f'CREATE TABLE "event_{m}" (ocel_id TEXT, ocel_time TIMESTAMP{cols})')
        for t, attrs in _attr_types(sample.objects).items():
            m = _map_name(t)
            q("INSERT INTO object_map_type VALUES (?, ?)", (t, m))
            cols = "".join(f', "{a}" {sql[v]}' for a, v in attrs.items())
            q(f'CREATE TABLE "object_{m}" (ocel_id TEXT, ocel_time TIMESTAMP, ocel_changed_field TEXT{cols})')
        for oid, t, attrs, rel in sample.objects:
            q("INSERT INTO object VALUES (?, ?)", (oid, t))
            names = list(attrs)
            marks = ", ".join("?" * (3 + len(names)))
            cols = "".join(f', "{a}"' for a in names)
            q(f'INSERT INTO "object_{_map_name(t)}" (ocel_id, ocel_time, ocel_changed_field{cols}) VALUES ({marks})',
              (oid, "1970-01-01 00:00:00", None, *attrs.values()))
            con.executemany("INSERT INTO object_object VALUES (?, ?, ?)", [(oid, o, qq) for o, qq in rel])
        for eid, t, when, attrs, rel in sample.events:
            q("INSERT INTO event VALUES (?, ?)", (eid, t))
            names = list(attrs)
            marks = ", ".join("?" * (2 + len(names)))
            cols = "".join(f', "{a}"' for a in names)
            q(f'INSERT INTO "event_{_map_name(t)}" (ocel_id, ocel_time{cols}) VALUES ({marks})',
              (eid, when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"), *attrs.values()))
            con.executemany("INSERT INTO event_object VALUES (?, ?, ?)", [(eid, o, qq) for o, qq in rel])
        con.commit()
    finally:
        con.close()


def write_ocel(path: str | Path, *, orders_per_unit: int = 30, seed: int = OCEL_SEED) -> Path:
    """Write the sample to ``path``; the format follows the suffix (.jsonocel, .xmlocel, .sqlite)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sample = simulate_ocel(orders_per_unit=orders_per_unit, seed=seed)
    name = path.name.lower()
    if name.endswith(".jsonocel"):
        path.write_text(ocel_json(sample), encoding="utf-8", newline="\n")
    elif name.endswith(".xmlocel"):
        path.write_bytes(ocel_xml(sample))
    elif name.endswith(".sqlite"):
        ocel_sqlite(sample, path)
    else:
        raise ValueError(f"{path}: expected .jsonocel, .xmlocel or .sqlite")
    return path
