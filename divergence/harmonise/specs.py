"""Which target each process gets: ``--target`` values and the ``targets/`` folder convention."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import OptionError
from ..model.net import MODEL_SUFFIXES

__all__ = ["parse_targets", "folder_targets", "FOLDER_REASON"]

#: How a target found by the folder convention is described.
FOLDER_REASON = "found in the input's targets/ folder (shared-service standard)"


def folder_targets(inputs: Iterable[Path]) -> dict[str, str]:
    """``targets/<process>.<ext>`` model files in the input folders: process -> path (first found wins)."""
    out: dict[str, str] = {}
    for folder in inputs:
        tdir = Path(folder) / "targets"
        if tdir.is_dir():
            for f in sorted(tdir.iterdir()):
                if f.suffix.lower() in MODEL_SUFFIXES:
                    out.setdefault(f.stem, str(f))
    return out


def parse_targets(spec: str | Sequence[str] | None, inputs: Iterable[Path] = ()) -> dict[str | None, str]:
    """``["auto", "hr=std/hr.bpmn"]`` -> ``{None: "auto", "hr": "std/hr.bpmn"}``.

    Models found as ``targets/<process>.<ext>`` in an input folder are the
    default for that process unless a default SPEC (without ``PROCESS=``) is
    given. The key ``None`` is the default of every other process.
    """
    specs = [spec] if isinstance(spec, str) else list(spec or [])
    given: dict[str | None, str] = {}
    for s in specs:
        if "=" in s and not Path(s).exists():
            proc, _, val = s.partition("=")
            if not proc or not val:
                raise OptionError(f"--target {s!r}: expected PROCESS=SPEC")
            given[proc] = val
        else:
            given[None] = s
    resolved = dict(given)
    if None not in given:
        for process, path in folder_targets(inputs).items():
            resolved.setdefault(process, path)
    resolved.setdefault(None, "auto")
    return resolved
