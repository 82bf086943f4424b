"""Helpers shared by the engines: result normalisation and column keys."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from divergence.errors import EmptyLogError
from divergence.io.safety import file_sha256
from divergence.profile import Aggregates

__all__ = ["fill_sources", "to_aggregates", "xes_events"]

_INT = {
    "variants": ("cases",),
    "edges": ("events", "cases"),
    "activities": ("events", "cases", "resources"),
    "resources": ("events",),
    "durations": ("cases",),
    "units": ("cases", "events"),
    "edge_waits": ("bin", "events"),
}
_FLOAT = {
    "variants": ("median_duration_s",),
    "edges": ("median_wait_s",),
    "activities": ("median_service_s",),
    "durations": ("duration_s",),
}
_TEXT = ("process", "unit", "variant", "source", "target", "activity", "resource")


def fill_sources(records: list[dict], counts: Mapping[int, int], *, checksums: bool = True) -> list[dict]:
    """Complete the input records as the pandas reader writes them (``summary.json`` ``inputs``).

    ``records[i]`` (``path``, ``format``) gets ``events``, the events kept
    from source ``i`` (``counts[i]``), and ``sha256`` when ``checksums`` and
    its path is a local file; URLs and other remote paths get no hash.
    """
    for i, rec in enumerate(records):
        rec["events"] = int(counts.get(i, 0))
        if checksums and Path(rec["path"]).is_file():
            rec["sha256"] = file_sha256(Path(rec["path"]))
    return records


def xes_events(source, keys: Mapping[str, str | None], process: str, unit_rule: str = "first") -> pd.DataFrame:
    """Canonical events of one XES file (a ``divergence.io.read`` source), read by the pandas reader."""
    from divergence.io.clean import canonical_events
    from divergence.io.columns import detect_columns, wanted_xes_keys
    from divergence.io.safety import default_max_bytes, strip_log_suffix
    from divergence.io.xes import read_xes

    event_keys, trace_keys = wanted_xes_keys(keys)
    raw = read_xes(source.path, event_keys=event_keys, trace_keys=trace_keys, max_bytes=default_max_bytes())
    roles = detect_columns([c for c in raw.columns if c != "_row"], keys, source.path)
    return canonical_events(
        raw, roles, source.path, unit=strip_log_suffix(source.path), process=process, unit_rule=unit_rule
    )


def to_aggregates(tables: Mapping[str, pd.DataFrame], extra: dict | None = None) -> Aggregates:
    """Give an engine's result tables the pandas engine's column types.

    Counts become int64, seconds float64 (NULL -> NaN), names Python str in
    object columns, ``first``/``last`` ``datetime64[ns, UTC]``. Rows are
    sorted by all key columns so that equal results compare equal.
    """
    out = {}
    for name, frame in tables.items():
        frame = frame.rename(columns={"first_ts": "first", "last_ts": "last"}).copy()
        for col in _INT[name]:
            frame[col] = frame[col].astype(np.int64)
        for col in _FLOAT.get(name, ()):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(np.float64)
        for col in _TEXT:
            if col in frame.columns:
                frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
        if name == "units":
            for col in ("first", "last"):
                frame[col] = pd.to_datetime(frame[col], utc=True).astype("datetime64[ns, UTC]")
        keys = [c for c in frame.columns if c in _TEXT or (name, c) in (("durations", "duration_s"), ("edge_waits", "bin"))]
        out[name] = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    if len(out["units"]) == 0:
        raise EmptyLogError("no events to analyse")
    return Aggregates(
        out["variants"],
        out["edges"],
        out["activities"],
        out["resources"],
        out["durations"],
        out["units"],
        extra=dict(extra or {}),
        edge_waits=out.get("edge_waits"),
    )
