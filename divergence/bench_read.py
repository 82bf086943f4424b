"""Time our XES reader against ``pm4py.read_xes``, each run in its own subprocess.

Usage: ``python -m divergence.bench_read [FOLDER]`` (default: the BPIC 2015
logs in ``../shared/data/bpic2015`` relative to the repository). For each
``*.xes.gz`` / ``*.xes`` file, prints wall seconds and peak resident memory
of a fresh Python process reading it with each reader, and the ratio.

This module is a developer tool: it is the one place in the package that
prints, and it is not imported by the library.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["main", "measure"]

_DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bpic2015"

_CODE = {
    "divergence": (
        "import warnings, sys; warnings.simplefilter('ignore');"
        "import time; from divergence.io import read_logs; t = time.perf_counter();"
        "df = read_logs(sys.argv[1]); assert len(df); print(time.perf_counter() - t)"
    ),
    "pm4py": (
        "import warnings, sys; warnings.simplefilter('ignore'); import pm4py;"
        "import time; t = time.perf_counter();"
        "df = pm4py.read_xes(sys.argv[1], show_progress_bar=False); assert len(df);"
        "print(time.perf_counter() - t)"
    ),
}


def measure(reader: str, path: Path) -> tuple[float, float]:
    """Run ``reader`` on ``path`` in a fresh subprocess.

    Returns
    -------
    tuple of float
        Wall seconds (including interpreter start-up and imports) and the
        child's peak RSS in MiB (``ru_maxrss`` from ``os.wait4``, Linux KiB).
    """
    start = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, "-c", _CODE[reader], str(path)], env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{reader} failed on {path} (exit {proc.returncode})")
    return wall, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    """Print the comparison table; return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else _DEFAULT
    files = sorted(p for p in folder.iterdir() if p.name.endswith((".xes", ".xes.gz")))
    if not files:
        print(f"{folder}: no .xes or .xes.gz files", file=sys.stderr)
        return 2
    print(f"{'file':<22}{'ours s':>9}{'pm4py s':>9}{'ratio':>7}{'ours MiB':>10}{'pm4py MiB':>11}")
    totals = [0.0, 0.0]
    peaks = [0.0, 0.0]
    for path in files:
        ours = measure("divergence", path)
        theirs = measure("pm4py", path)
        totals = [totals[0] + ours[0], totals[1] + theirs[0]]
        peaks = [max(peaks[0], ours[1]), max(peaks[1], theirs[1])]
        print(
            f"{path.name:<22}{ours[0]:>9.2f}{theirs[0]:>9.2f}{theirs[0] / ours[0]:>6.1f}x"
            f"{ours[1]:>10.0f}{theirs[1]:>11.0f}"
        )
    print(
        f"{'total (max RSS)':<22}{totals[0]:>9.2f}{totals[1]:>9.2f}{totals[1] / totals[0]:>6.1f}x"
        f"{peaks[0]:>10.0f}{peaks[1]:>11.0f}"
    )
    ours_all = measure("divergence", folder)
    print(f"ours, whole folder in one process: {ours_all[0]:.2f} s, {ours_all[1]:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
