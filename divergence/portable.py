"""Portable unit profiles: the aggregates an analysis needs, without cases or people (``*.profile.json``).

A department runs ``divergence profile its-log.xes --out dept.profile.json``
and sends the file; the centre runs ``divergence analyse a.profile.json
b.profile.json ...`` (alone or mixed with raw logs). The file holds, per
(process, unit), exactly what the analysis reads from a
:class:`~divergence.profile.UnitProfile`:

- variants (activity sequences) with case counts and median throughput time;
  variants seen in fewer than K cases are folded into one ``(other)`` variant
  (:func:`divergence.privacy.fold_profile`, as are edges and activities);
- directly-follows edges with counts and median waiting time, and each
  edge's waits counted in the fixed bins of :mod:`divergence.waits`
  (``edge_waits``, with the bounds in ``wait_bins_s``; folded edges'
  counts are added into the ``(other)`` edge). Files written before these
  existed still load: their per-edge waiting-time tests are skipped;
- activities with events, cases, the number of distinct staff, median
  service time;
- the throughput-time distribution (durations in seconds with case counts);
  with K > 1, pooled so that every row holds at least K cases (the row
  shows the pooled cases' median);
- staff as counts only: for each set of activities some staff do, how many
  staff do exactly that set (no names). The analysis needs the number of
  distinct staff over a set of activities (retraining costs), and these
  counts give it exactly. With K > 1, sets held by fewer than K staff are
  split into one-activity sets (per-activity counts stay exact; the staff of
  several activities can then be over-counted, never under-counted);
- the period as a duration: the span in seconds from first to last event
  (what ``cases_per_year`` needs) and the calendar month the log starts in.

No case id, no resource name and no timestamp is written. The file states
its format, schema version, tool version and K, and the SHA-256 of its
content; :func:`load_profiles` refuses a file whose hash does not match
(tampered or truncated), which is not a profile, or whose schema is newer.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .options import PROFILE_MIN_CASES as DEFAULT_MIN_CASES  # declared with the options: the CLI reads it
from .profile import UnitProfile
from .waits import N_BINS, WAIT_BOUNDS_S

__all__ = ["FORMAT", "SCHEMA", "SUFFIX", "DEFAULT_MIN_CASES", "is_profile_file", "dump_profiles",
           "write_profiles", "load_profiles", "merge_profiles"]

FORMAT = "divergence-profile"
SCHEMA = 1
SUFFIX = ".profile.json"
_MAX_BYTES = 512 * 1024**2


def is_profile_file(path: Any) -> bool:
    """Whether ``path`` names a portable profile (``*.profile.json``)."""
    return str(path).lower().endswith(SUFFIX)


# ----------------------------------------------------------------------------- writing


def dump_profiles(profiles: dict[str, dict[str, UnitProfile]], *, min_cases: int = DEFAULT_MIN_CASES) -> dict:
    """The portable document of ``profiles`` (``{process: {unit: UnitProfile}}``), folded at K = ``min_cases``."""
    from . import __version__
    from .privacy import fold_profile

    if int(min_cases) < 1:
        raise InputError(f"--min-cases {min_cases}: expected 1 or more")
    units = []
    for process, by_unit in sorted(profiles.items()):
        for unit, prof in sorted(by_unit.items()):
            units.append(_unit_doc(fold_profile(prof, int(min_cases)), prof, int(min_cases)))
    content = {"units": units}
    return {"format": FORMAT, "schema": SCHEMA, "tool": f"divergence {__version__}", "min_cases": int(min_cases),
            "content": content, "sha256": _digest(content)}


def write_profiles(profiles: dict[str, dict[str, UnitProfile]], out: str | Path, *,
                   min_cases: int = DEFAULT_MIN_CASES) -> Path:
    """Write the portable profiles to ``out`` (``*.profile.json``) and return its path."""
    out = Path(out)
    if not is_profile_file(out):
        raise InputError(f"{out}: a profile file's name must end in {SUFFIX}")
    doc = dump_profiles(profiles, min_cases=min_cases)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out


def _unit_doc(folded: UnitProfile, raw: UnitProfile, k: int) -> dict:
    span = (raw.last - raw.first).total_seconds()
    acts = set(folded.activities["activity"])
    return {
        "process": folded.process,
        "unit": folded.unit,
        "cases": int(folded.cases),
        "events": int(folded.events),
        "first_month": f"{raw.first.tz_convert('UTC'):%Y-%m}" if raw.first.tzinfo else f"{raw.first:%Y-%m}",
        "span_s": float(span),
        "variants": [[list(v), int(c), _num(d)] for v, c, d in
                     zip(folded.variants["variant"], folded.variants["cases"], folded.variants["median_duration_s"])],
        "edges": [[str(s), str(t), int(e), int(c), _num(w)] for s, t, e, c, w in
                  folded.edges[["source", "target", "events", "cases", "median_wait_s"]].itertuples(index=False)],
        "activities": [[str(a), int(e), int(c), int(r), _num(s)] for a, e, c, r, s in
                       folded.activities[["activity", "events", "cases", "resources", "median_service_s"]]
                       .itertuples(index=False)],
        "durations": _binned_durations(folded.durations, k),
        "staff": _staff_sets(raw.resources, acts, k),
        **_edge_waits_doc(folded.edge_waits),
    }


def _edge_waits_doc(w: pd.DataFrame | None) -> dict:
    if w is None:
        return {}
    return {"wait_bins_s": list(WAIT_BOUNDS_S),
            "edge_waits": [[str(s), str(t), int(b), int(n)] for s, t, b, n in
                           w[["source", "target", "bin", "events"]].itertuples(index=False)]}


def _edge_waits(u: dict) -> pd.DataFrame | None:
    """The binned waits of a unit document; None when absent (older files) or binned otherwise."""
    if "edge_waits" not in u or u.get("wait_bins_s") != list(WAIT_BOUNDS_S):
        return None
    rows = u["edge_waits"]
    if any(not 0 <= int(r[2]) < N_BINS or int(r[3]) < 1 for r in rows):
        raise ValueError(f"unit {u['unit']!r}: waiting-time bins out of range")
    return pd.DataFrame({
        "source": pd.Series([str(r[0]) for r in rows], dtype=object),
        "target": pd.Series([str(r[1]) for r in rows], dtype=object),
        "bin": np.array([int(r[2]) for r in rows], dtype=np.int64),
        "events": np.array([int(r[3]) for r in rows], dtype=np.int64),
    })


def _binned_durations(durations: pd.DataFrame, k: int) -> list:
    """``[[duration_s, cases]]``; with K > 1, consecutive durations pooled until each row holds at least K
    cases, shown as the pooled cases' median (so no row is one case's throughput time)."""
    rows = [(float(d), int(c)) for d, c in durations[["duration_s", "cases"]].itertuples(index=False)]
    if k <= 1:
        return [[d, c] for d, c in rows]
    groups: list[list[tuple[float, int]]] = [[]]
    for d, c in sorted(rows):
        if sum(n for _, n in groups[-1]) >= k:
            groups.append([])
        groups[-1].append((d, c))
    if len(groups) > 1 and sum(n for _, n in groups[-1]) < k:
        groups[-2].extend(groups.pop())
    out = []
    for g in groups:
        n = sum(c for _, c in g)
        if n:
            out.append([float(np.median(np.repeat([d for d, _ in g], [c for _, c in g]))), n])
    merged: dict[float, int] = {}
    for d, n in out:
        merged[d] = merged.get(d, 0) + n
    return [[d, n] for d, n in sorted(merged.items())]


def _staff_sets(resources: pd.DataFrame, acts: set[str], k: int) -> list:
    """``[[activities], n]``: n staff do exactly these activities (names dropped)."""
    from .privacy import OTHER

    sets: dict[Any, set[str]] = defaultdict(set)
    for a, who in zip(resources["activity"], resources["resource"]):
        if who is None or (isinstance(who, float) and math.isnan(who)):
            continue
        sets[who].add(str(a) if str(a) in acts else OTHER)
    counts = Counter(tuple(sorted(s)) for s in sets.values())
    if k > 1:
        split: Counter = Counter()
        for s, n in counts.items():
            if n >= k or len(s) == 1:
                split[s] += n
            else:
                for a in s:
                    split[(a,)] += n
        counts = split
    return [[list(s), int(n)] for s, n in sorted(counts.items())]


def _num(x: Any) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def _digest(content: dict) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- reading


def load_profiles(path: str | Path, *, min_cases_evidence: int = 30) -> dict[str, dict[str, UnitProfile]]:
    """The unit profiles of a portable profile file.

    Raises
    ------
    InputError
        One line naming the file: unreadable, not a profile, a newer schema,
        content not matching its SHA-256 (tampered or truncated), or malformed.
    """
    path = Path(path)
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise InputError(f"{path}: profile file larger than {_MAX_BYTES // 1024**2} MiB; refused")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: not a readable profile file (truncated or not JSON: {type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"{path}: not a divergence profile (no \"format\": \"{FORMAT}\")")
    schema = doc.get("schema")
    if not isinstance(schema, int) or schema < 1:
        raise InputError(f"{path}: profile without a valid schema version")
    if schema > SCHEMA:
        raise InputError(f"{path}: profile schema {schema} is newer than this divergence reads ({SCHEMA}); "
                         f"upgrade divergence (written by {doc.get('tool', 'an unknown version')})")
    content = doc.get("content")
    if not isinstance(content, dict) or doc.get("sha256") != _digest(content):
        raise InputError(f"{path}: profile content does not match its SHA-256 (altered or damaged); refused")
    try:
        out: dict[str, dict[str, UnitProfile]] = {}
        for u in content["units"]:
            prof = _unit_profile(u, min_cases_evidence)
            if prof.unit in out.get(prof.process, {}):
                raise InputError(f"{path}: unit {prof.unit!r} of process {prof.process!r} appears twice")
            out.setdefault(prof.process, {})[prof.unit] = prof
    except InputError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(f"{path}: malformed profile ({type(exc).__name__}: {exc})") from None
    if not out:
        raise InputError(f"{path}: profile file holds no units")
    return {p: dict(sorted(us.items())) for p, us in sorted(out.items())}


def _unit_profile(u: dict, min_cases_evidence: int) -> UnitProfile:
    nan = float("nan")

    def f(x: Any) -> float:
        return nan if x is None else float(x)

    rows = [(tuple(str(a) for a in v), int(c), f(d)) for v, c, d in u["variants"]]
    total = sum(r[1] for r in rows)
    variants = pd.DataFrame({
        "variant": pd.Series([r[0] for r in rows], dtype=object),
        "cases": np.array([r[1] for r in rows], dtype=np.int64),
        "share": np.array([r[1] / total for r in rows], dtype=float) if total else np.zeros(len(rows)),
        "median_duration_s": np.array([r[2] for r in rows], dtype=float),
    })
    edges = pd.DataFrame({
        "source": pd.Series([str(r[0]) for r in u["edges"]], dtype=object),
        "target": pd.Series([str(r[1]) for r in u["edges"]], dtype=object),
        "events": np.array([int(r[2]) for r in u["edges"]], dtype=np.int64),
        "cases": np.array([int(r[3]) for r in u["edges"]], dtype=np.int64),
        "median_wait_s": np.array([f(r[4]) for r in u["edges"]], dtype=float),
    })
    activities = pd.DataFrame({
        "activity": pd.Series([str(r[0]) for r in u["activities"]], dtype=object),
        "events": np.array([int(r[1]) for r in u["activities"]], dtype=np.int64),
        "cases": np.array([int(r[2]) for r in u["activities"]], dtype=np.int64),
        "resources": np.array([int(r[3]) for r in u["activities"]], dtype=np.int64),
        "median_service_s": np.array([f(r[4]) for r in u["activities"]], dtype=float),
    })
    durations = pd.DataFrame({
        "duration_s": np.array([float(r[0]) for r in u["durations"]], dtype=float),
        "cases": np.array([int(r[1]) for r in u["durations"]], dtype=np.int64),
    })
    # staff counts back as anonymous staff ("staff-1", ...), so who-does-what keeps its shape
    res_rows, n = [], 0
    for acts, count in u["staff"]:
        for _ in range(int(count)):
            n += 1
            res_rows.extend((str(a), f"staff-{n}", 0) for a in acts)
    resources = pd.DataFrame(res_rows, columns=["activity", "resource", "events"])
    resources = resources.sort_values(["activity", "resource"], kind="stable").reset_index(drop=True)
    resources = resources.astype({"events": np.int64})
    first = pd.Timestamp(f"{u['first_month']}-01", tz="UTC")
    cases = int(u["cases"])
    if cases < 1 or total != cases or int(durations["cases"].sum()) != cases or float(u["span_s"]) < 0:
        raise ValueError(f"unit {u['unit']!r}: case counts do not add up")
    return UnitProfile(
        process=str(u["process"]), unit=str(u["unit"]), cases=cases, events=int(u["events"]),
        variants=variants, activities=activities, edges=edges, resources=resources, durations=durations,
        first=first, last=first + pd.Timedelta(seconds=float(u["span_s"])),
        low_evidence=cases < min_cases_evidence, edge_waits=_edge_waits(u),
    )


def merge_profiles(parts: list[tuple[str, dict[str, dict[str, UnitProfile]]]]) -> dict[str, dict[str, UnitProfile]]:
    """One ``{process: {unit: profile}}`` from several sources; a unit given twice is refused (naming both)."""
    out: dict[str, dict[str, UnitProfile]] = {}
    where: dict[tuple[str, str], str] = {}
    for source, profiles in parts:
        for p, units in profiles.items():
            for u, prof in units.items():
                if (p, u) in where:
                    raise InputError(f"unit {u!r} of process {p!r} is in both {where[(p, u)]} and {source}")
                where[(p, u)] = source
                out.setdefault(p, {})[u] = prof
    return {p: dict(sorted(us.items())) for p, us in sorted(out.items())}


def split_profile_inputs(inputs) -> tuple[list, list[tuple[dict, dict[str, dict[str, UnitProfile]]]]]:
    """The inputs that are not portable profiles, and ``(source record, profiles)`` of those that are.

    A folder's ``*.profile.json`` files are loaded too; the folder stays an
    input only when it holds log files as well.
    """
    from .io.safety import file_sha256, log_format

    rest, files = [], []
    for item in inputs:
        if isinstance(item, (str, Path)) and is_profile_file(item):
            files.append(Path(item))
        elif isinstance(item, Path) and item.is_dir():
            found = sorted(q for q in item.rglob("*" + SUFFIX) if not any(x.startswith(".") for x in q.parts))
            files.extend(found)
            has_logs = any(log_format(q) and q.is_file() for q in item.rglob("*")) if found else True
            if has_logs:
                rest.append(item)
        else:
            rest.append(item)
    parts = []
    for f in files:
        profiles = load_profiles(f)
        record = {"path": str(f), "sha256": file_sha256(f), "format": "profile",
                  "events": sum(p.events for us in profiles.values() for p in us.values())}
        parts.append((record, profiles))
    return rest, parts


def read_profiles(inputs, *, columns=None, read=None, engine=None) -> tuple[dict[str, dict[str, UnitProfile]], list]:
    """Read and profile ``inputs`` with any engine: ``({process: {unit: profile}}, sources)``."""
    from .engines.step import read_step, resolve_inputs
    from .options import Columns, EngineOptions, ReadOptions
    from .profile import profile_units
    from .progress import no_progress

    columns, read, engine = columns or Columns(), read or ReadOptions(), engine or EngineOptions()
    inputs, name, specific = resolve_inputs(list(inputs), engine, read)
    got = read_step(inputs, name, specific, columns, read, pseudonymise=False, key=None, progress=no_progress)
    return (got.profiles if got.profiles is not None else profile_units(got.events)), got.sources


def profile_command(inputs, out, *, min_cases: int = DEFAULT_MIN_CASES, **options) -> list[str]:
    """``divergence profile``: read, profile, fold and write; the lines to print."""
    profiles, _ = read_profiles(inputs, **options)
    path = write_profiles(profiles, out, min_cases=min_cases)
    n = sum(len(us) for us in profiles.values())
    folded = (f"variants, edges, activities, durations and staff seen in fewer than {min_cases} cases folded"
              if min_cases > 1 else "nothing folded (--min-cases 1)")
    return [f"wrote {path} ({path.stat().st_size:,} bytes): {n} unit(s) of {len(profiles)} process(es); {folded}; "
            "no case ids, no staff names, no timestamps"]
