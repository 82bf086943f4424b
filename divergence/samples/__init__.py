"""Generators of synthetic event logs: the bundled ``sample_logs/`` and large benchmark logs.

``python -m divergence.samples [--out sample_logs]`` rewrites the sample logs
deterministically. The planted truth lives in :mod:`divergence.samples.spec`.
"""

from __future__ import annotations

from pathlib import Path

from .large import generate_large, write_large
from .readme import render_readme
from .simulate import simulate_process, simulate_unit
from .spec import EDIT_KINDS, PROCESSES, SEED, UNITS, Edit, Noise, ProcessSpec, Step, UnitSpec
from .writers import bpmn_xml, write_bpmn, write_csv, write_parquet, write_xes

__all__ = [
    "write_samples",
    "simulate_unit",
    "simulate_process",
    "render_readme",
    "generate_large",
    "write_large",
    "bpmn_xml",
    "PROCESSES",
    "UNITS",
    "SEED",
    "EDIT_KINDS",
    "Edit",
    "Noise",
    "ProcessSpec",
    "Step",
    "UnitSpec",
]


def write_samples(out: str | Path = "sample_logs", *, seed: int = SEED) -> list[Path]:
    """Write every sample log, the BPMN targets, the OCEL 2.0 sample and the README under ``out``.

    Returns the written paths, sorted. Files the generator owns are rewritten;
    other files under ``out`` are left alone. Deterministic: the same ``seed``
    gives byte-identical files.
    """
    root = Path(out)
    written: list[Path] = []
    for p in PROCESSES.values():
        folder = root / p.name
        folder.mkdir(parents=True, exist_ok=True)
        for u in p.units:
            frame = simulate_unit(p.name, u.unit, seed=seed)
            path = folder / f"{u.unit}.{p.fmt}"
            if p.fmt.startswith("xes"):
                write_xes(frame, path, log_name=f"{p.title}: {u.unit}")
            elif p.fmt == "csv":
                write_csv(frame, path)
            else:
                write_parquet(frame, path)
            written.append(path)
        (root / "targets").mkdir(parents=True, exist_ok=True)
        target = root / "targets" / f"{p.name}.bpmn"
        write_bpmn(p, target)
        written.append(target)
    from .ocel import write_ocel  # the object-centric sample: analysed on its own with --object-type

    written.append(write_ocel(root / "ocel" / "procurement.jsonocel"))
    readme = root / "README.md"
    readme.write_text(render_readme(), encoding="utf-8", newline="\n")
    written.append(readme)
    return sorted(written)
