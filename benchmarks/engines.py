"""Benchmark of the profile step on each engine: ``python -m benchmarks.engines``.

Generates a synthetic log as partitioned Parquet (streamed: one chunk of
:func:`divergence.samples.large.generate_large` at a time, never the whole
log in memory), then times :func:`divergence.engines.aggregate` per engine in
a fresh subprocess and reports its wall time and peak resident memory.

Examples::

    python -m benchmarks.engines --events 1500000 --engines pandas,duckdb,spark
    python -m benchmarks.engines --events 100000000 --engines duckdb --memory-limit 2GB
    python -m benchmarks.engines --events 10000000 --engines spark
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["write_partitioned", "measure", "main"]

_CHUNK = 5_000_000


def write_partitioned(out: str | Path, n_events: int, *, chunk_events: int = _CHUNK, seed: int = 7) -> list[Path]:
    """Write about ``n_events`` events as ``out/part-NNNNN.parquet``, one chunk at a time.

    Each chunk is an independent :func:`~divergence.samples.large.generate_large`
    log (seed ``seed + k``) whose case ids are prefixed with the chunk number,
    so cases never span files. Columns: process, unit, case, activity,
    timestamp (``timestamp[us, tz=UTC]``), resource. Peak memory is that of
    one chunk. Returns the paths, sorted.
    """
    from divergence.samples.large import generate_large

    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    done, k = 0, 0
    while n_events - done >= max(1, min(1000, n_events // 100)):
        n = min(chunk_events, n_events - done)
        frame = generate_large(n, seed=seed + k)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        case = pc.binary_join_element_wise(pa.scalar(f"K{k:05d}-"), table["case"].cast(pa.string()), "")
        table = table.set_column(table.schema.get_field_index("case"), "case", case)
        ts = table["timestamp"].cast(pa.timestamp("us", tz="UTC"))
        table = table.set_column(table.schema.get_field_index("timestamp"), "timestamp", ts)
        path = root / f"part-{k:05d}.parquet"
        pq.write_table(table, path, compression="zstd", row_group_size=1 << 20)
        paths.append(path)
        done += len(frame)
        k += 1
        del frame, table
    return sorted(paths)


def measure(engine: str, source: str | Path, **options) -> dict:
    """Run :func:`~divergence.engines.aggregate` in a fresh interpreter; wall time and peak RSS."""
    cmd = [sys.executable, "-m", "benchmarks.engines", "--run-one", engine, str(source),
           "--options", json.dumps(options)]
    t0 = time.perf_counter()
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=root + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else ""))
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"engine": engine, "error": (proc.stderr.strip().splitlines() or ["failed"])[-1], "process_s": wall}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


def _run_one(engine: str, source: str, options: dict) -> None:
    import warnings

    from divergence.engines import aggregate

    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    agg = aggregate(source, engine=engine, **options)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps({
        "engine": engine,
        "events": int(agg.units["events"].sum()),
        "cases": int(agg.units["cases"].sum()),
        "variants": len(agg.variants),
        "plan": agg.extra.get("plan"),
        "seconds": seconds,
        "peak_rss": peak,
        "children_peak_rss": children,
    }))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engines", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_500_000, help="events to generate (default 1,500,000)")
    parser.add_argument("--engines", default="pandas,duckdb", help="comma-separated (default pandas,duckdb)")
    parser.add_argument("--dir", default=None, help="where the Parquet parts go (default /tmp/divergence-bench-<events>)")
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB memory limit (default 2GB)")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    parser.add_argument("--spark-master", default=None, help="Spark master (default local[*])")
    parser.add_argument("--run-one", nargs=2, metavar=("ENGINE", "SOURCE"), help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        _run_one(args.run_one[0], args.run_one[1], json.loads(args.options))
        return 0
    root = Path(args.dir or f"/tmp/divergence-bench-{args.events}")
    if not any(root.glob("part-*.parquet")):
        t0 = time.perf_counter()
        paths = write_partitioned(root, args.events)
        size = sum(p.stat().st_size for p in paths)
        print(f"generated {args.events:,} events in {len(paths)} Parquet parts, {size / 1e6:,.0f} MB, "
              f"{time.perf_counter() - t0:.1f} s (peak RSS of the generator "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB)", flush=True)
    size = sum(p.stat().st_size for p in root.glob("part-*.parquet"))
    print(f"input: {root} ({size / 1e6:,.0f} MB); machine: {os.cpu_count()} cores", flush=True)
    print(f"{'engine':<8} {'events':>13} {'cases':>11} {'variants':>9} {'profile s':>10} {'peak RSS MB':>12}", flush=True)
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        opts: dict = {}
        if engine == "duckdb":
            opts = {"memory_limit": args.memory_limit}
            if args.threads:
                opts["threads"] = args.threads
        if engine == "spark" and args.spark_master:
            opts = {"spark_master": args.spark_master}
        r = measure(engine, root, **opts)
        if "error" in r:
            print(f"{engine:<8} error: {r['error']}", flush=True)
            continue
        rss = max(r["peak_rss"], r["children_peak_rss"]) / 2**20
        note = " (Python driver; JVM not counted)" if engine == "spark" else ""
        if r.get("plan"):
            note += f" ({r['plan']} plan)"
        print(f"{engine:<8} {r['events']:>13,} {r['cases']:>11,} {r['variants']:>9,} "
              f"{r['seconds']:>10.1f} {rss:>12,.0f}{note}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
