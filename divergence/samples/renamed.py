"""A test set for activity matching: the sample HR logs with some units' activity names rewritten.

:func:`write_renamed` writes the sample process's logs (the same cases and
times as ``sample_logs/``, which it does not touch) with the activities of
four units renamed in the ways units really differ, and the planted truth:

- ``hmrc``: word order reversed ("Check budget" -> "Budget check");
- ``mod``: words abbreviated ("Pre-employment checks" -> "Pre-empl. chcks");
- ``dft``: upper snake case ("Set up payroll" -> "SET_UP_PAYROLL");
- ``moj_prisons``: abbreviated and reordered, lower case ("Make offer" -> "offr make").

``truth.csv`` lists, per renamed (unit, activity), the original name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .simulate import simulate_unit
from .spec import PROCESSES, SEED
from .writers import write_xes

__all__ = ["RENAMINGS", "rename_activity", "write_renamed"]

#: unit -> renaming style (see :func:`rename_activity`).
RENAMINGS = {"hmrc": "reorder", "mod": "abbreviate", "dft": "code", "moj_prisons": "abbreviate-reorder"}


def _abbreviate(word: str, i: int) -> str:
    if len(word) <= 4:
        return word
    if i % 2 == 0 or "-" in word:  # a cut prefix with a full stop, or the consonant skeleton
        head, sep, tail = word.partition("-")
        return f"{head}-{tail[:4]}." if sep and len(tail) > 4 else f"{word[:4]}."
    return word[0] + re.sub(r"[aeiouAEIOU]", "", word[1:])


def rename_activity(name: str, style: str) -> str:
    """``name`` as a unit with naming ``style`` (reorder, abbreviate, code, abbreviate-reorder) writes it."""
    words = name.split()
    if style == "reorder":
        out = list(reversed(words))
        return " ".join([out[0].capitalize(), *[w.lower() for w in out[1:]]])
    if style == "abbreviate":
        return " ".join(_abbreviate(w, i) for i, w in enumerate(words))
    if style == "code":
        return "_".join(re.sub(r"[^0-9A-Za-z]+", "_", w).upper() for w in words)
    if style == "abbreviate-reorder":
        return " ".join(_abbreviate(w, i + 1) for i, w in enumerate(reversed(words))).lower()
    raise ValueError(f"unknown renaming style {style!r}")


def write_renamed(out: str | Path, *, process: str = "hr", seed: int = SEED) -> Path:
    """Write ``out/<process>/<unit>.xes.gz`` (some units renamed) and ``out/truth.csv``; return ``out``."""
    spec = PROCESSES[process]
    root = Path(out)
    folder = root / process
    folder.mkdir(parents=True, exist_ok=True)
    truth = []
    for u in spec.units:
        frame = simulate_unit(process, u.unit, seed=seed)
        style = RENAMINGS.get(u.unit)
        if style is not None:
            names = {a: rename_activity(a, style) for a in sorted(frame["activity"].unique())}
            frame = frame.assign(activity=frame["activity"].map(names))
            truth.extend((process, u.unit, new, old) for old, new in names.items())
        write_xes(frame, folder / f"{u.unit}.xes.gz", log_name=f"{spec.title}: {u.unit} (renamed)")
    pd.DataFrame(truth, columns=["process", "unit", "activity", "original"]).sort_values(
        ["process", "unit", "activity"]).to_csv(root / "truth.csv", index=False, lineterminator="\n")
    return root


def score_mapping(mapping: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Precision and recall of a proposed mapping against the planted truth.

    A planted renaming is expected to map back to its original name when
    that name is shared (used under that name by another unit, or planted
    back in another unit); a unit's own extra step (no other unit has it)
    is expected to stay unmapped. Proposals are the rows whose canonical
    name differs from the activity.
    """
    renamed = {(r.process, r.unit, r.activity): r.original for r in truth.itertuples(index=False)}
    units_of: dict[tuple[str, str], set[str]] = {}
    for r in mapping.itertuples(index=False):  # the units doing each original step, under any name
        original = renamed.get((r.process, r.unit, r.activity), r.activity)
        units_of.setdefault((r.process, original), set()).add(r.unit)
    expected = {k: v for k, v in renamed.items() if v != k[2] and len(units_of.get((k[0], v), ())) >= 2}
    proposed = {(r.process, r.unit, r.activity): r.canonical for r in mapping.itertuples(index=False)
                if r.canonical != r.activity}
    hits = sum(1 for k, v in proposed.items() if expected.get(k) == v)
    return {"proposed": len(proposed), "expected": len(expected), "correct": hits,
            "precision": hits / len(proposed) if proposed else 1.0,
            "recall": hits / len(expected) if expected else 1.0}
