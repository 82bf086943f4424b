"""Applying an activity mapping (``--mapping mapping.csv``) as logs are read, or to ready-made profiles.

The CSV (as written by ``divergence match``, or by hand) has the columns
``process``, ``unit``, ``activity``, ``canonical`` (others are ignored; a
``status`` of ``unmapped`` marks a name kept on purpose). Each listed
activity of that unit is renamed to ``canonical``; an empty ``canonical`` or
the same name keeps it. A mapping naming an activity the inputs do not have,
or mapping one activity twice, is refused with one line naming the file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from .errors import InputError
from .profile import UnitProfile
from .schema import ACTIVITY, PROCESS, UNIT

__all__ = ["read_mapping", "apply_mapping", "map_profiles"]



def read_mapping(path: str | Path) -> pd.DataFrame:
    """A mapping CSV (columns process, unit, activity, canonical; others ignored), checked.

    Raises
    ------
    InputError
        Unreadable, a column missing, or one activity mapped twice (one line naming the file).
    """
    path = Path(path)
    try:
        m = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError(f"{path}: no such mapping file") from None
    except Exception as exc:  # noqa: BLE001 - any parse failure is the same fault for the user
        raise InputError(f"{path}: not a readable mapping CSV ({type(exc).__name__})") from None
    missing = [c for c in ("process", "unit", "activity", "canonical") if c not in m.columns]
    if missing:
        raise InputError(f"{path}: mapping without column(s) {', '.join(missing)}")
    m = m.assign(status=m["status"] if "status" in m.columns else "")[["process", "unit", "activity", "canonical",
                                                                        "status"]]
    dup = m[m.duplicated(["process", "unit", "activity"], keep=False)]
    if len(dup):
        r = dup.iloc[0]
        targets = sorted(set(dup[(dup["process"] == r["process"]) & (dup["unit"] == r["unit"])
                                 & (dup["activity"] == r["activity"])]["canonical"]))
        raise InputError(f"{path}: activity {r['activity']!r} of unit {r['unit']!r} (process {r['process']!r}) is "
                         f"mapped twice ({' and '.join(repr(t) for t in targets)})")
    return m.reset_index(drop=True)


def apply_mapping(events: pd.DataFrame, path: str | Path) -> tuple[pd.DataFrame, dict]:
    """``events`` with each (process, unit, activity) of the mapping renamed to its canonical name.

    Returns the renamed frame and the record kept in ``summary.json``
    (file, SHA-256, the renamings applied, the names kept unmapped).

    Raises
    ------
    InputError
        The mapping names an activity (or unit) the logs do not have.
    """
    seen = events[[PROCESS, UNIT, ACTIVITY]].drop_duplicates()
    rename, record = _plan(path, set(map(tuple, seen.astype(str).to_numpy())))
    out = events
    if rename:
        keys = list(zip(events[PROCESS].astype(str), events[UNIT].astype(str), events[ACTIVITY].astype(str)))
        out = events.copy()
        out[ACTIVITY] = [rename.get(k, k[2]) for k in keys]
        out.attrs = dict(events.attrs)
    return out, record


def map_profiles(profiles: dict[str, dict[str, UnitProfile]], path: str | Path) -> tuple[dict, dict]:
    """Profiles (e.g. portable ones) with the mapping applied: activities renamed one to one.

    Two activities of a unit mapped onto one name would need the events to be
    merged (times, staff); that is refused here (map the logs as they are read,
    e.g. ``divergence profile --mapping``).
    """
    known = {(p, u, a) for p, us in profiles.items() for u, prof in us.items() for a in prof.activities["activity"]}
    rename, record = _plan(path, known)
    out: dict[str, dict[str, UnitProfile]] = {}
    for p, us in profiles.items():
        for u, prof in us.items():
            names = {a: rename.get((p, u, a), a) for a in prof.activities["activity"]}
            if len(set(names.values())) < len(names):
                clash = sorted(a for a in names if list(names.values()).count(names[a]) > 1)
                raise InputError(f"{path}: the mapping merges {', '.join(map(repr, clash))} of unit {u!r} (process "
                                 f"{p!r}) into one name; with profiles only one-to-one renaming is possible (apply "
                                 "the mapping to the logs: divergence profile --mapping)")
            out.setdefault(p, {})[u] = _renamed(prof, names) if any(k != v for k, v in names.items()) else prof
    return out, record


def _renamed(prof: UnitProfile, names: dict[str, str]) -> UnitProfile:
    def col(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
        df = df.copy()
        for c in cols:
            df[c] = df[c].map(lambda a: names.get(a, a)).astype(object)
        return df

    v = prof.variants.copy()
    v["variant"] = pd.Series([tuple(names.get(a, a) for a in t) for t in v["variant"]], dtype=object, index=v.index)
    v = v.sort_values(["cases", "variant"], ascending=[False, True], kind="stable").reset_index(drop=True)
    srt = lambda df, by: df.sort_values(by, kind="stable").reset_index(drop=True)  # noqa: E731
    return replace(prof, variants=v, activities=srt(col(prof.activities, "activity"), ["activity"]),
                   edges=srt(col(prof.edges, "source", "target"), ["source", "target"]),
                   resources=srt(col(prof.resources, "activity"), ["activity", "resource"]),
                   edge_waits=None if prof.edge_waits is None else
                   srt(col(prof.edge_waits, "source", "target"), ["source", "target", "bin"]))


def _plan(path: str | Path, known: set[tuple[str, str, str]]) -> tuple[dict, dict]:
    """The renamings of the mapping at ``path`` (checked against the ``known`` activities) and its record."""
    from .io.safety import file_sha256

    m = read_mapping(path)
    for r in m.itertuples(index=False):
        if (r.process, r.unit, r.activity) not in known:
            raise InputError(f"{path}: the mapping names activity {r.activity!r} of unit {r.unit!r} (process "
                             f"{r.process!r}), which the logs do not have")
    rename = {(r.process, r.unit, r.activity): r.canonical for r in m.itertuples(index=False)
              if r.canonical and r.canonical != r.activity}
    # kept unmapped: not named, named without a canonical name, or proposed as "unmapped" by divergence match
    kept_as_is = {(r.process, r.unit, r.activity) for r in m.itertuples(index=False)
                  if r.canonical and r.status != "unmapped"}
    unmapped = sorted(k for k in known if k not in rename and k not in kept_as_is)
    record = {
        "file": str(path),
        "sha256": file_sha256(Path(path)),
        "applied": [{"process": p, "unit": u, "activity": a, "canonical": c} for (p, u, a), c in sorted(rename.items())],
        "unmapped": [{"process": p, "unit": u, "activity": a} for p, u, a in unmapped],
    }
    return rename, record
