"""Time our XES reader against ``pm4py.read_xes``, each run in its own subprocess.

Usage: ``python -m benchmarks.read [FOLDER]`` (default: the BPIC 2015
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
        "df = pm4py.read_xes(sys.argv[1]); assert len(df);"
        "print(time.perf_counter() - t)"
    ),
}


def measure(reader: str, path: Path) -> tuple[float, float, float]:
    """Run ``reader`` on ``path`` in a fresh subprocess.

    Returns
    -------
    tuple of float
        Wall seconds of the whole subprocess (interpreter start-up and
        imports included), seconds spent inside the read call, and the
        child's peak RSS in MiB (``ru_maxrss`` of that child via ``os.wait4``).
    """
    start = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen(
        [sys.executable, "-c", _CODE[reader], str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{reader} failed on {path} (exit {proc.returncode})")
    return wall, float(out.split()[-1]), usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    """Print the comparison table; return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else _DEFAULT
    files = sorted(p for p in folder.iterdir() if p.name.endswith((".xes", ".xes.gz")))
    if not files:
        print(f"{folder}: no .xes or .xes.gz files", file=sys.stderr)
        return 2
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs")
    print("wall = whole subprocess incl. start-up and imports; read = inside the read call")
    print(
        f"{'file':<18}{'ours wall':>10}{'pm4py wall':>11}{'ratio':>7}"
        f"{'ours read':>10}{'pm4py read':>11}{'ratio':>7}{'ours MiB':>9}{'pm4py MiB':>10}"
    )
    totals = [0.0, 0.0, 0.0, 0.0]
    peaks = [0.0, 0.0]
    for path in files:
        ours = measure("divergence", path)
        theirs = measure("pm4py", path)
        totals = [totals[0] + ours[0], totals[1] + theirs[0], totals[2] + ours[1], totals[3] + theirs[1]]
        peaks = [max(peaks[0], ours[2]), max(peaks[1], theirs[2])]
        print(_row(path.name, ours[0], theirs[0], ours[1], theirs[1], ours[2], theirs[2]))
    print(_row("total (max MiB)", *totals[:2], *totals[2:], *peaks))
    from divergence.io.read import PARALLEL_WORKERS

    whole = measure("divergence", folder)
    print(
        f"ours, whole folder in one call ({len(files)} files, {PARALLEL_WORKERS} worker processes): wall {whole[0]:.2f} s, read {whole[1]:.2f} s, "
        f"{whole[2]:.0f} MiB (parent only)"
    )
    print(
        f"whole folder vs pm4py file by file: wall {totals[1] / whole[0]:.1f}x, "
        f"read {totals[3] / whole[1]:.1f}x"
    )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs")
    return 0


def _row(name: str, ow: float, tw: float, orr: float, tr: float, om: float, tm: float) -> str:
    return (
        f"{name:<18}{ow:>10.2f}{tw:>11.2f}{tw / ow:>6.1f}x"
        f"{orr:>10.2f}{tr:>11.2f}{tr / orr:>6.1f}x{om:>9.0f}{tm:>10.0f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
