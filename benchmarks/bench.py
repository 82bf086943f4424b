"""End-to-end benchmark: ``divergence analyse`` against a naive pm4py pipeline.

Usage::

    python -m benchmarks.bench                 # the full run (30+ min, naive cap 600 s)
    python -m benchmarks.bench --quick         # a smoke run (small sizes, short cap)
    python -m benchmarks.bench --sizes 0.1M,0.5M --naive-sizes 10k --naive-cap 300
    python -m benchmarks.bench --repeat 3      # each of our figures the median of 3 runs (a noisy machine)

In one run on one machine it

1. writes synthetic logs with :func:`divergence.samples.write_large` (10
   units, 40 activities, a long tail of variants) as one Parquet file per
   unit in a temporary folder, before any timing, so that "ingest" reads
   files;
2. at each ``--naive-sizes`` size runs the naive pm4py pipeline
   (:mod:`benchmarks.naive`) and our CLI (``divergence analyse DIR
   --out OUT --quiet``: ingest, profiles, all measures, families with
   bootstrap stability, harmonisation with costs, report with graphs), each
   in its own process, and prints the ratio; the naive run is killed at
   ``--naive-cap`` seconds and reported with the step it was in;
3. runs our CLI at each ``--sizes`` size and prints seconds per million
   events;
4. runs our CLI on the five BPIC 2015 logs (``../shared/data/bpic2015``,
   skipped with a message when absent) and on the bundled sample logs, and
   times ``divergence --help``;
5. times each stage of one run at ``--stages-at`` (default 1.5M events).

Targets (:data:`TARGETS`, issue 18) are checked in the last table; they are
figures to read, never timed tests. The peers (r4pm, pl4pm, rustxes, ebi-pm,
pm4py) are compared by :mod:`benchmarks.peers`.

Wall time is measured around the child process (interpreter start-up and
imports included). Peak memory is sampled from ``/proc`` over the child's
whole process tree (forked workers included), as the sum of proportional
set sizes (PSS, every :data:`_PSS_EVERY` s: a page shared by forked
workers counted once, the physical memory the run holds; the 2 GiB target
is checked on it) and as the sum of resident sets (every 50 ms: a shared
page counted once per process). (``ru_maxrss`` from ``os.wait4`` is kept in the run
record but not shown: Linux carries a process's high-water mark across
fork and exec, so every child reports at least the benchmark parent's own
peak, which holds the generated logs.)

The Markdown table is printed and written to ``docs/benchmark.md`` (option
``--md``) with the machine facts and the command. This module is a developer
tool: it prints, and the library never imports it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["main", "Run", "run_child"]

_REPO = Path(__file__).resolve().parents[1]
_BPIC = _REPO.parent / "shared" / "data" / "bpic2015"

FULL_SIZES = "0.1M,0.5M,1.5M,3M"
FULL_NAIVE = "10k,25k,50k"
QUICK_SIZES = "20k,100k"
QUICK_NAIVE = "5k"

#: Issue 18's targets on the 2-core, 24 GB machine (figures to print, never timed tests).
TARGETS = {
    "wall_1500k_s": 8.0,
    "rss_1500k_mib": 2 * 1024.0,
    "ratio": 100.0,
    "bpic_s": 15.0,
    "samples_s": 3.0,
    "help_s": 1.0,
}


@dataclass
class Run:
    """One measured child process."""

    label: str
    wall: float = float("nan")
    rss_max_mib: float = float("nan")  # largest single process (ru_maxrss)
    rss_tree_mib: float = float("nan")  # peak sum over the process tree (sampled)
    pss_tree_mib: float = float("nan")  # peak PSS sum over the process tree (sampled): physical memory
    ok: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)


# --- child processes --------------------------------------------------------------


def _tree_rss_kib(pid: int) -> int:
    """Sum of VmRSS (KiB) of ``pid`` and all its descendants (best effort)."""
    return _tree_mem_kib(pid)[0]


def _tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (best effort)."""
    out = []
    stack = [pid]
    seen = set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                try:
                    with open(f"/proc/{p}/task/{task}/children") as fh:
                        stack.extend(int(c) for c in fh.read().split())
                except OSError:
                    pass
        except OSError:
            pass
    return out


def _field_kib(path: str, name: str) -> int | None:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(name):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _tree_mem_kib(pid: int, *, pss: bool = True) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in KiB of ``pid`` and all its descendants (best effort).

    PSS (proportional set size, ``/proc/PID/smaps_rollup``) splits each
    shared page among the processes that map it, so its sum over the tree
    is the physical memory the tree holds; the RSS sum counts the pages a
    forked worker still shares with its parent once per process. Where
    ``smaps_rollup`` cannot be read (or ``pss`` is False), a process's RSS
    stands in for its PSS.
    """
    rss = pss_sum = 0
    for p in _tree_pids(pid):
        r = _field_kib(f"/proc/{p}/status", "VmRSS:") or 0
        rss += r
        ps = _field_kib(f"/proc/{p}/smaps_rollup", "Pss:") if pss else None
        pss_sum += r if ps is None else ps
    return rss, pss_sum


#: Seconds between PSS samples. Reading ``smaps_rollup`` walks a process's
#: page tables under its memory-map lock: every 50 ms it slowed the BPIC
#: 2015 run from 14.0 to 16.5 s; every 0.5 s it costs nothing measurable.
_PSS_EVERY = 0.5


def run_child(label: str, argv: list[str], *, cap: float | None = None, cwd: str | None = None) -> Run:
    """Run ``argv`` in its own process group, measuring wall time and peak RSS.

    When ``cap`` seconds pass, the whole process group is killed and the run
    is marked not ok with a note.
    """
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    env["PYTHONPATH"] = str(_REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    err = tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
    )
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        last_pss = -_PSS_EVERY
        while not done.is_set():
            now = time.perf_counter()
            with_pss = now - last_pss >= _PSS_EVERY
            rss, pss = _tree_mem_kib(proc.pid, pss=with_pss)
            peak[0] = max(peak[0], rss)
            if with_pss:
                peak[1] = max(peak[1], pss)
                last_pss = now
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    killed = False
    status = 0
    usage = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if cap is not None and time.perf_counter() - start > cap:
            killed = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    # reap any leftovers in the group (graph workers of a killed run)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    run = Run(label, wall=wall, rss_max_mib=usage.ru_maxrss / 1024.0, rss_tree_mib=peak[0] / 1024.0,
              pss_tree_mib=peak[1] / 1024.0)
    if killed:
        run.note = f"killed at the {cap:.0f} s cap"
    elif proc.returncode != 0:
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-3:]
        run.note = f"exit {proc.returncode}: " + " | ".join(tail)
    else:
        run.ok = True
    err.close()
    return run


def _ours_argv(data: Path, out: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "divergence", "analyse", str(data), "--out", str(out), "--quiet", *extra]


#: Runs of each of our measurements (``--repeat``): the median is reported, with the range.
REPEAT = [1]


def run_ours(label: str, data: Path, work: Path, extra: list[str], cap: float | None) -> Run:
    """Our CLI on ``data``, :data:`REPEAT` times: the median wall time, the largest memory, every wall time
    in ``extra["walls"]`` (a failed run ends the series and is returned)."""
    out = work / f"out-{label.replace(' ', '_')}"
    runs = []
    for _ in range(max(1, REPEAT[0])):
        r = run_child(label, _ours_argv(data, out, extra), cap=cap)
        shutil.rmtree(out, ignore_errors=True)
        if not r.ok:
            return r
        runs.append(r)
    if len(runs) == 1:
        return runs[0]
    walls = sorted(r.wall for r in runs)
    med = runs[0]
    med.wall = float(statistics.median(walls))
    med.pss_tree_mib = max(r.pss_tree_mib for r in runs)
    med.rss_tree_mib = max(r.rss_tree_mib for r in runs)
    med.extra["walls"] = walls
    return med


def _wall(r: Run) -> str:
    """The wall time, and with repeated runs their range: ``14.9 (14.2–16.0)``."""
    walls = r.extra.get("walls") if r.ok else None
    if not walls:
        return _f(r.wall)
    return f"{_f(r.wall)} ({_f(walls[0])}–{_f(walls[-1])})"


def run_naive(label: str, data: Path, work: Path, cap: float) -> Run:
    stepfile = work / f"steps-{label}.tsv"
    stepfile.unlink(missing_ok=True)
    r = run_child(label, [sys.executable, "-m", "benchmarks.naive", str(data), str(stepfile)], cap=cap)
    steps = stepfile.read_text().splitlines() if stepfile.exists() else []
    timings = [(float(s.split("\t", 1)[0]), s.split("\t", 1)[1]) for s in steps if "\t" in s]
    r.extra["steps"] = timings
    # time per step kind (compute_emd, fitness..., alignments...)
    kinds: dict[str, float] = {}
    for (t, name), nxt in zip(timings, timings[1:] + [(r.wall, "")]):
        kind = name.split(" ")[0]
        kinds[kind] = kinds.get(kind, 0.0) + nxt[0] - t
    r.extra["kinds"] = kinds
    if not r.ok and timings:
        t, name = timings[-1]
        r.note += f"; did not finish within {cap:.0f} s (at step: {name}, entered at {t:.0f} s)"
    return r


# --- sizes and data ------------------------------------------------------------------


def parse_size(text: str) -> int:
    t = text.strip().lower().replace("_", "")
    mult = 1
    if t.endswith("m"):
        mult, t = 1_000_000, t[:-1]
    elif t.endswith("k"):
        mult, t = 1_000, t[:-1]
    return int(round(float(t) * mult))


def fmt_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:g}M"
    if n >= 1_000:
        return f"{n / 1e3:g}k"
    return str(n)


def make_data(work: Path, n: int) -> tuple[Path, dict]:
    """Write the synthetic log of ``n`` events; return its folder and facts."""
    from divergence.samples import generate_large, write_large

    folder = work / f"log-{fmt_size(n)}"
    if not folder.exists():
        write_large(folder, n, fmt="parquet")
    import pyarrow.parquet as pq

    events = cases = 0
    variants = set()
    for p in sorted(folder.glob("*.parquet")):
        t = pq.read_table(p, columns=["case:concept:name", "concept:name"]).to_pandas()
        events += len(t)
        traces = t.groupby("case:concept:name", sort=False)["concept:name"].agg(tuple)
        cases += len(traces)
        variants.update(traces.unique())
    del generate_large
    return folder, {"events": events, "cases": cases, "variants": len(variants)}


# --- machine facts --------------------------------------------------------------------


def machine_facts() -> dict[str, str]:
    facts = {"cores": str(os.cpu_count()), "python": platform.python_version(), "platform": platform.platform()}
    try:
        with open("/proc/meminfo") as fh:
            kib = int(fh.readline().split()[1])
        facts["ram"] = f"{kib / 1024 / 1024:.1f} GiB"
    except OSError:
        facts["ram"] = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    facts["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        facts["pm4py"] = version("pm4py")
        facts["pandas"] = version("pandas")
    except Exception:  # pragma: no cover
        pass
    try:
        facts["load average at start"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        pass
    return facts


def help_time(n: int = 5) -> float:
    exe = Path(sys.executable).parent / "divergence"
    argv = [str(exe), "--help"] if exe.exists() else [sys.executable, "-m", "divergence.cli", "--help"]
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        best = min(best, time.perf_counter() - t)
    return best


# --- table -------------------------------------------------------------------------------


def _marginal(a: dict, b: dict) -> float:
    """Extra seconds per extra million events from run ``a`` to the larger run ``b``."""
    return (b["ours"].wall - a["ours"].wall) / max(b["data"]["events"] - a["data"]["events"], 1) * 1e6


def _f(x: float, nd: int = 1) -> str:
    return "–" if x != x else f"{x:.{nd}f}"


def _mem(r: Run) -> str:
    """Peak physical memory of the tree (PSS sum) / peak RSS sum, MiB."""
    return f"{_f(r.pss_tree_mib, 0)} / {_f(r.rss_tree_mib, 0)}"


def _status(r: Run) -> str:
    return "ok" if r.ok else r.note


def write_markdown(md: str, path: str, *, final: bool) -> str:
    """Write a benchmark's Markdown to ``path`` (unless empty), marked partial until ``final``; return it."""
    if not final:
        md = "> Partial: the run is still going or was stopped; rows so far.\n\n" + md
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(md + "\n")
    return md


def render_markdown(res: dict, facts: dict[str, str], command: str) -> str:
    L: list[str] = []
    L.append("# Benchmark\n")
    L.append(f"Command: `{command}`\n")
    L.append("Machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()) + "\n")
    L.append(
        "Wall time is around the child process (start-up and imports included). Memory (MiB) is sampled over "
        "the child's whole process tree (forked workers included) and shown as PSS / RSS: the peak sum of "
        "proportional set sizes (every 0.5 s), which counts a page shared by forked workers once (the physical "
        "memory the run holds), and the peak sum of resident sets (every 50 ms), which counts it once per process. "
        "Inputs are Parquet files, one per unit, written before timing. Ours = "
        "`divergence analyse DIR --out OUT --quiet` (ingest, profiles, all measures, families with "
        "bootstrap stability, harmonisation with costs, HTML/CSV/JSON report with graphs)."
        + (f" Each of our figures is the median of {REPEAT[0]} runs, their range in brackets; memory is the "
           "largest of them; the naive pipeline ran once." if REPEAT[0] > 1 else "") + "\n"
    )
    if res.get("naive"):
        L.append("## Against a naive pm4py pipeline\n")
        L.append(
            "Naive = `benchmarks/naive.py`: pm4py only (read + `format_dataframe`, per-unit "
            "`get_variants` and `get_stochastic_language`, `compute_emd` for all unit pairs, "
            "`discover_petri_net_inductive` per unit, `fitness_token_based_replay` for every unit × model, "
            "`conformance_diagnostics_alignments` of every unit to the target model).\n"
        )
        L.append("| events | cases | variants | ours s | ours MiB PSS / RSS | naive s | naive MiB PSS / RSS | ratio | naive: where the time went / status |")
        L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for row in res["naive"]:
            d, o, nv = row["data"], row["ours"], row["naive"]
            ratio = f"{_ratio(nv.wall / o.wall)}×" if nv.ok and o.ok else (f"> {_ratio(nv.wall / o.wall)}×" if o.ok else "–")
            kinds = sorted(nv.extra.get("kinds", {}).items(), key=lambda kv: -kv[1])[:3]
            where = ", ".join(f"{k} {v:.0f} s" for k, v in kinds)
            status = "finished" if nv.ok else nv.note.lstrip("; ")
            L.append(
                f"| {d['events']:,} | {d['cases']:,} | {d['variants']:,} | {_wall(o)} | {_mem(o)} | "
                f"{_f(nv.wall)} | {_mem(nv)} | {ratio} | {status}; {where} |"
            )
        L.append("")
    if res.get("scaling"):
        L.append("## Scaling of `divergence analyse`\n")
        L.append("| events | cases | variants | wall s | s per M events | marginal s per M events | peak MiB PSS / RSS | status |")
        L.append("|---:|---:|---:|---:|---:|---:|---:|---|")
        before = None
        for row in res["scaling"]:
            d, o = row["data"], row["ours"]
            marginal = "–" if before is None else _f(_marginal(before, row))
            L.append(
                f"| {d['events']:,} | {d['cases']:,} | {d['variants']:,} | {_wall(o)} | "
                f"{_f(o.wall / d['events'] * 1e6)} | {marginal} | {_mem(o)} | {_status(o)} |"
            )
            before = row
        L.append("")
        L.append(
            "Marginal: extra seconds per extra million events since the size above; flat "
            "when the cost grows linearly, while s per M events also carries the fixed cost "
            "(start-up, imports, model discovery, graphs) spread over the events."
        )
        L.append("")
    if res.get("variants"):
        L.append("## Cost of options at the largest target size\n")
        L.append("| run | wall s | peak MiB PSS / RSS | status |")
        L.append("|---|---:|---:|---|")
        for r in res["variants"]:
            L.append(f"| {r.label} | {_wall(r)} | {_mem(r)} | {_status(r)} |")
        L.append("")
    L.append("## Other\n")
    L.append("| what | wall s | peak MiB PSS / RSS | status |")
    L.append("|---|---:|---:|---|")
    if "bpic" in res:
        b = res["bpic"]
        if b is None:
            L.append(f"| five BPIC 2015 logs end to end | – | – | skipped: {_BPIC} absent |")
        else:
            L.append(f"| five BPIC 2015 logs end to end | {_wall(b)} | {_mem(b)} | {_status(b)} |")
    if res.get("samples") is not None:
        sm = res["samples"]
        L.append(f"| bundled sample logs (`divergence analyse sample_logs`) | {_wall(sm)} | {_mem(sm)} | {_status(sm)} |")
    if "help" in res:
        L.append(f"| `divergence --help` (best of 5) | {_f(res['help'], 2)} | – | ok |")
    L.append("")
    L.append("## Targets\n")
    L.append("| target | measured | met |")
    L.append("|---|---|---|")
    for name, measured, met in check_targets(res):
        L.append(f"| {name} | {measured} | {met} |")
    L.append("")
    if res.get("stages"):
        st = res["stages"]
        L.append(f"## Where the time goes: stages at {st['size']:,} events\n")
        L.append(f"Measured through the pipeline's progress callback in one child (wall {_f(st['run'].wall)} s, {_status(st['run'])}); consecutive progress labels merged.\n")
        L.append("| stage | s | share |")
        L.append("|---|---:|---:|")
        tot = sum(sec for _, sec in st["spans"]) or 1.0
        agg: dict[str, float] = {}
        for name, sec in st["spans"]:
            agg[name] = agg.get(name, 0.0) + sec
        for name, sec in sorted(agg.items(), key=lambda kv: -kv[1]):
            L.append(f"| {name} | {sec:.1f} | {sec / tot:.0%} |")
        L.append("")
    if res.get("profile"):
        L.append("## Where the time goes (cProfile, cumulative, top entries)\n")
        L.append("```")
        L.append(res["profile"].rstrip())
        L.append("```\n")
    return "\n".join(L)


def check_targets(res: dict) -> list[tuple[str, str, str]]:
    out = []
    big = [row for row in res.get("scaling", []) if abs(row["data"]["events"] - 1_500_000) < 100_000]
    if big:
        o = big[0]["ours"]
        out.append((f"1.5M events ≤ {TARGETS['wall_1500k_s']:g} s", f"{_f(o.wall)} s" + ("" if o.ok else f" ({o.note})"), _yn(o.ok and o.wall <= TARGETS["wall_1500k_s"])))
        out.append((f"1.5M events ≤ {TARGETS['rss_1500k_mib'] / 1024:g} GiB peak memory (process tree)",
                    f"{_f(o.pss_tree_mib, 0)} MiB PSS sum (RSS sum {_f(o.rss_tree_mib, 0)} MiB)",
                    _yn(o.ok and o.pss_tree_mib <= TARGETS["rss_1500k_mib"])))
    fin = [row for row in res.get("naive", []) if row["naive"].ok and row["ours"].ok]
    if fin:
        ratios = [row["naive"].wall / row["ours"].wall for row in fin]
        out.append((f"≥ {TARGETS['ratio']:g}× faster than naive where it finishes", ", ".join(f"{_ratio(r)}×" for r in ratios), _yn(min(ratios) >= TARGETS["ratio"])))
    elif res.get("naive"):
        out.append((f"≥ {TARGETS['ratio']:g}× faster than naive where it finishes", "naive finished at no size", "n/a"))
    sc = [row for row in res.get("scaling", []) if row["ours"].ok and row["data"]["events"] >= 400_000]
    if len(sc) >= 2:
        per = [row["ours"].wall / row["data"]["events"] * 1e6 for row in sc]
        flat = max(per) / min(per)
        out.append(("s per M events roughly flat 0.5M–3M", " → ".join(f"{p:.1f}" for p in per) + f" (max/min {flat:.2f})", _yn(flat <= 1.5)))
        if len(sc) >= 3:
            marg = [_marginal(a, b) for a, b in zip(sc, sc[1:])]
            mflat = max(marg) / max(min(marg), 1e-9)
            out.append(
                (
                    "marginal s per M events roughly flat 0.5M–3M (linear growth)",
                    " → ".join(f"{m:.1f}" for m in marg) + f" (max/min {mflat:.2f})",
                    _yn(mflat <= 1.5),
                )
            )
    b = res.get("bpic")
    if b is not None:
        out.append((f"five BPIC 2015 logs ≤ {TARGETS['bpic_s']:g} s", f"{_f(b.wall)} s" + ("" if b.ok else f" ({b.note})"), _yn(b.ok and b.wall <= TARGETS["bpic_s"])))
    sm = res.get("samples")
    if sm is not None:
        out.append((f"bundled sample logs ≤ {TARGETS['samples_s']:g} s", f"{_f(sm.wall)} s" + ("" if sm.ok else f" ({sm.note})"), _yn(sm.ok and sm.wall <= TARGETS["samples_s"])))
    if "help" in res:
        out.append(("`divergence --help` < 1 s", f"{res['help']:.2f} s", _yn(res["help"] < TARGETS["help_s"])))
    return out


def _ratio(r: float) -> str:
    return f"{r:.0f}" if r >= 10 else f"{r:.2f}"


def _yn(b: bool) -> str:
    return "yes" if b else "**no**"


# --- profile ----------------------------------------------------------------------------------


def profile_ours(data: Path, work: Path, extra: list[str], cap: float | None, top: int = 25) -> str:
    import io
    import pstats

    prof = work / "ours.prof"
    out = work / "out-profile"
    argv = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "divergence.cli", "analyse", str(data), "--out", str(out), "--quiet", *extra]
    r = run_child("profile", argv, cap=cap)
    shutil.rmtree(out, ignore_errors=True)
    if not prof.exists():
        return f"profile run did not finish ({r.note})"
    buf = io.StringIO()
    st = pstats.Stats(str(prof), stream=buf)
    st.sort_stats("cumulative").print_stats(top)
    text = buf.getvalue()
    keep = text[text.find("   ncalls") :] if "   ncalls" in text else text
    return f"profile run wall {r.wall:.1f} s (under cProfile)\n" + keep


# --- stage timing -------------------------------------------------------------------------


def child_stages(data: str, out: str, stagefile: str, bootstrap: int | None) -> None:
    """In a child: the CLI's work (analyse + write_outputs) with a progress
    callback that appends ``<seconds>\t<stage>`` to ``stagefile`` whenever the
    stage label changes, plus the read and the end."""
    import warnings

    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    fh = open(stagefile, "a", buffering=1)
    last = [None]

    def mark(label: str) -> None:
        if label != last[0]:
            last[0] = label
            fh.write(f"{time.perf_counter() - t0:.2f}\t{label}\n")

    def progress(label: str, done: int = 0, total: int = 0) -> None:
        mark(label.split(":", 1)[-1].strip() if ":" in label else label)

    mark("import")
    from divergence import analyse
    from divergence.report import write_outputs

    mark("analyse (start)")
    kw = {} if bootstrap is None else {"bootstrap": bootstrap}
    result = analyse([data], progress=progress, **kw)
    mark("write_outputs")
    write_outputs(result, Path(out), progress=lambda label, d=0, t=0: mark("write: " + label.split(":")[-1].strip()))
    mark("end")
    fh.close()


def stages_ours(data: Path, work: Path, bootstrap: int | None, cap: float | None) -> tuple[Run, list[tuple[str, float]]]:
    stagefile = work / "stages.tsv"
    stagefile.unlink(missing_ok=True)
    out = work / "out-stages"
    code = "import sys; from benchmarks.bench import child_stages; child_stages(sys.argv[1], sys.argv[2], sys.argv[3], None if sys.argv[4] == '-' else int(sys.argv[4]))"
    r = run_child("stages", [sys.executable, "-c", code, str(data), str(out), str(stagefile), "-" if bootstrap is None else str(bootstrap)], cap=cap)
    shutil.rmtree(out, ignore_errors=True)
    rows = [line.split("\t", 1) for line in stagefile.read_text().splitlines()] if stagefile.exists() else []
    marks = [(float(t), name) for t, name in rows]
    end = marks[-1][0] if r.ok and marks else r.wall
    spans = [(name, (nxt[0] if nxt else end) - t) for (t, name), nxt in zip(marks, marks[1:] + [None])]
    return r, spans


# --- main -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=f"smoke run: sizes {QUICK_SIZES}, naive {QUICK_NAIVE}, naive cap 120 s")
    p.add_argument("--sizes", help=f"our scaling sizes, comma separated (default {FULL_SIZES})")
    p.add_argument("--naive-sizes", help=f"sizes for the naive comparison (default {FULL_NAIVE}; '' = none)")
    p.add_argument("--naive-cap", type=float, help="wall-time cap of each naive run, seconds (default 600)")
    p.add_argument("--cap", type=float, default=1800.0, help="wall-time cap of each of our runs, seconds (default 1800)")
    p.add_argument("--bootstrap", type=int, help="pass --bootstrap N to divergence analyse (default: its own default, 50)")
    p.add_argument("--options-at", default="1.5M", help="size at which to also time --bootstrap 0 and --no-graphs ('' = skip; default 1.5M)")
    p.add_argument("--profile-at", default="", help="size at which to cProfile our pipeline and print the top costs (default: none)")
    p.add_argument("--stages-at", default="1.5M", help="size at which to time each stage of our pipeline ('' = skip; default 1.5M)")
    p.add_argument("--bpic", default=str(_BPIC), help="folder of the BPIC 2015 logs ('' = skip)")
    p.add_argument("--md", default=str(_REPO / "docs" / "benchmark.md"), help="write the Markdown here ('' = do not write)")
    p.add_argument("--work", help="folder for generated logs (default: a temporary folder, removed at the end)")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs of each of our measurements; the median is reported with the range (default 1; "
                        "the naive pipeline runs once)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = "python -m benchmarks.bench" + ("" if argv is None and len(sys.argv) <= 1 else " " + shlex.join(sys.argv[1:] if argv is None else argv))
    sizes_text = args.sizes if args.sizes is not None else (QUICK_SIZES if args.quick else FULL_SIZES)
    sizes = [parse_size(s) for s in sizes_text.split(",") if s.strip()]
    naive_text = args.naive_sizes if args.naive_sizes is not None else (QUICK_NAIVE if args.quick else FULL_NAIVE)
    naive_sizes = [parse_size(s) for s in naive_text.split(",") if s.strip()]
    naive_cap = args.naive_cap if args.naive_cap is not None else (120.0 if args.quick else 600.0)
    extra = [] if args.bootstrap is None else ["--bootstrap", str(args.bootstrap)]
    options_at = parse_size(args.options_at) if args.options_at and not args.quick else None
    profile_at = parse_size(args.profile_at) if args.profile_at else None
    stages_at = parse_size(args.stages_at) if args.stages_at and not args.quick else None

    REPEAT[0] = max(1, args.repeat)
    facts = machine_facts()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="divergence-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {"naive": [], "scaling": [], "variants": []}

    def flush(final: bool = False) -> str:
        return write_markdown(render_markdown(res, facts, command), args.md, final=final)

    try:
        all_sizes = sorted(set(sizes) | set(naive_sizes) | ({options_at} if options_at else set()) | ({profile_at} if profile_at else set()) | ({stages_at} if stages_at else set()))
        data = {}
        for n in all_sizes:
            t = time.perf_counter()
            data[n] = make_data(work, n)
            d = data[n][1]
            print(f"data {fmt_size(n)}: {d['events']:,} events, {d['cases']:,} cases, {d['variants']:,} variants ({time.perf_counter() - t:.1f} s to write)", flush=True)

        res["help"] = help_time()
        print(f"divergence --help: {res['help']:.2f} s (best of 5)", flush=True)

        for n in naive_sizes:
            folder, d = data[n]
            o = run_ours(f"ours-{fmt_size(n)}", folder, work, extra, args.cap)
            print(f"ours  {fmt_size(n):>6}: {_wall(o)} s, {_mem(o)} MiB {'' if o.ok else o.note}", flush=True)
            nv = run_naive(f"naive-{fmt_size(n)}", folder, work, naive_cap)
            print(f"naive {fmt_size(n):>6}: {_f(nv.wall)} s, {_mem(nv)} MiB {'' if nv.ok else nv.note}", flush=True)
            res["naive"].append({"data": d, "ours": o, "naive": nv})
            flush()

        for n in sizes:
            folder, d = data[n]
            o = run_ours(f"ours-{fmt_size(n)}", folder, work, extra, args.cap)
            print(f"ours  {fmt_size(n):>6}: {_wall(o)} s ({_f(o.wall / d['events'] * 1e6)} s per M events), {_mem(o)} MiB {'' if o.ok else o.note}", flush=True)
            res["scaling"].append({"data": d, "ours": o})
            flush()

        if options_at:
            folder, d = data[options_at]
            for label, opts in (("--bootstrap 0", ["--bootstrap", "0"]), ("--no-graphs", ["--no-graphs"]), ("--bootstrap 0 --no-graphs", ["--bootstrap", "0", "--no-graphs"])):
                r = run_ours(f"{fmt_size(options_at)} {label}", folder, work, [*extra, *opts], args.cap)
                r.label = f"{fmt_size(options_at)} events, `{label}`"
                print(f"ours {r.label}: {_wall(r)} s, {_mem(r)} MiB {'' if r.ok else r.note}", flush=True)
                res["variants"].append(r)
                flush()

        if args.bpic:
            bp = Path(args.bpic)
            if bp.is_dir() and any(bp.glob("*.xes*")):
                b = run_ours("bpic2015", bp, work, extra, args.cap)
                print(f"bpic2015: {_wall(b)} s, {_mem(b)} MiB {'' if b.ok else b.note}", flush=True)
                res["bpic"] = b
                flush()
            else:
                print(f"bpic2015: skipped, {bp} absent", flush=True)
                res["bpic"] = None

        samples = _REPO / "sample_logs"
        if samples.is_dir():
            sm = run_ours("samples", samples, work, extra, args.cap)
            print(f"sample logs: {_wall(sm)} s, {_mem(sm)} MiB {'' if sm.ok else sm.note}", flush=True)
            res["samples"] = sm
            flush()

        if stages_at:
            r, spans = stages_ours(data[stages_at][0], work, args.bootstrap, args.cap)
            res["stages"] = {"size": data[stages_at][1]["events"], "run": r, "spans": spans}
            for name, sec in spans:
                print(f"stage {name}: {sec:.1f} s", flush=True)
            flush()

        if profile_at:
            res["profile"] = profile_ours(data[profile_at][0], work, extra, args.cap)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    md = flush(final=True)
    print()
    print(md)
    if args.md:
        print(f"written: {args.md}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
