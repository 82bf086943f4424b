"""Peer benchmark (issue 18): divergence against the PyPI process-mining libraries, same machine, same run.

Usage::

    python -m benchmarks.peers                  # 3 fresh processes per row and tool
    python -m benchmarks.peers --runs 1         # a quicker, noisier pass
    python -m benchmarks.peers --rows read      # one block of rows (read, profile, language)

Rows, each on the five BPIC 2015 logs (``../shared/data/bpic2015/*.xes.gz``):

1. ``read``: the five XES files into a data frame. Ours: :func:`divergence.io.read_logs`
   on the folder (canonical frame, sorted; two worker processes); pm4py ``read_xes``
   file by file; r4pm ``df.import_xes`` (Polars frame); rustxes ``import_xes`` +
   ``to_pandas``; pl4pm ``read_xes`` (lxml iterparse; given a ``gzip.open`` stream
   because it does not read ``.gz`` itself).
2. ``profile``: read + per-unit directly-follows graph (edge -> count) + variants
   (activity sequence -> cases). Ours: :func:`divergence.engines.perfile.read_profiles`,
   the road of ``divergence analyse`` (each file profiled by
   :func:`divergence.profile.profile_units` in the worker that reads it; it also
   computes waiting times, activity/resource statistics and throughput times); pm4py ``read_xes`` + ``discover_dfg`` + ``get_variants``; r4pm
   ``import_item`` + ``discover_dfg`` + ``log_to_activity_projection``/``get_variants``;
   rustxes + a vectorised pandas DFG/variants; pl4pm ``discover_dfg`` + ``get_variants``
   on a rustxes frame (its own reader is timed in row 1).
3. ``language``: the language distance between BPIC15_1 and BPIC15_2 (all variants)
   and between their 200 most frequent variants (renormalised), from the variant
   distributions found in row 2, each tool's input built before timing. Ours:
   :func:`divergence.measures.emd.language`; pm4py ``compute_emd``; ebi-pm
   ``conformance_earth_movers`` (EMSC = 1 - EMD, exact fractions; given the
   languages as ``.slang`` text); pl4pm ``compute_emd`` (a different quantity: total
   variation distance, i.e. ground distance 0 for equal traces and 1 otherwise).

Every (row, tool) runs in ``--runs`` fresh child processes. A child imports what
the tool needs (timed: *import s*), then does the work twice: the first time is
in *cold*, the second is *warm*. *cold s* = the child's wall time from spawn to
the end of the first pass (interpreter start-up + imports + work), *warm s* =
the second pass alone; medians over the children. Peak memory is the peak sum
of resident sets of the child's process tree (sampled, see
:func:`benchmarks.bench.run_child`). Values are checked against ours: DFG and
variants exactly, language distances to 1e-9.

The Markdown table is printed and written to ``docs/peers.md``. A peer that is
not installed gives a row saying so. Developer tool: prints, never asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

__all__ = [
    "main",
    "ours_profile_digest",
    "ours_language",
    "pandas_dfg_variants",
    "pm4py_profile_digest",
]

_REPO = Path(__file__).resolve().parents[1]
_BPIC = _REPO.parent / "shared" / "data" / "bpic2015"
PAIR = ("BPIC15_1", "BPIC15_2")
TOP = 200

CASE, ACT, TS = "case:concept:name", "concept:name", "time:timestamp"

# tool -> distributions it needs (checked with importlib.metadata)
PACKAGES = {
    "ours": "divergence",
    "pm4py": "pm4py",
    "r4pm": "r4pm",
    "rustxes+pandas": "rustxes",
    "pl4pm": "pl4pm",
    "ebi-pm": "ebi-pm",
}

ROWS = {
    "read": ["ours", "pm4py", "r4pm", "rustxes+pandas", "pl4pm"],
    "profile": ["ours", "pm4py", "r4pm", "rustxes+pandas", "pl4pm"],
    "language-top": ["ours", "pm4py", "ebi-pm", "pl4pm"],
    "language": ["ours", "pm4py", "ebi-pm", "pl4pm"],
}
#: language rows -> the pair of distributions they compare
PAIRS = {"language-top": f"top {TOP} variants", "language": "all variants"}
#: tools whose figure is a different quantity: not ranked against ours
DIFFERENT = {("language-top", "pl4pm"), ("language", "pl4pm")}


def _stem(path: str | Path) -> str:
    name = Path(path).name
    for ext in (".gz", ".xes"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    return name


# --- our side (also used by tests/test_peers_bench.py) -------------------------------------


def ours_profile_digest(paths) -> dict:
    """Read and profile as ``divergence analyse`` does (each file profiled in the worker that reads it,
    :func:`divergence.engines.perfile.read_profiles`); return ``{unit: {"dfg", "variants"}}``.

    ``dfg``: ``{(source, target): occurrences}``; ``variants``: ``{activities tuple: cases}``.
    """
    from divergence.engines.perfile import read_profiles
    from divergence.options import Columns, ReadOptions

    profiles, _ = read_profiles(paths if isinstance(paths, (list, tuple)) else [paths], Columns(), ReadOptions())
    out = {}
    for units in profiles.values():
        for unit, p in units.items():
            e = p.edges
            out[unit] = {
                "dfg": {(s, t): int(n) for s, t, n in zip(e["source"], e["target"], e["events"])},
                "variants": {tuple(v): int(c) for v, c in zip(p.variants["variant"], p.variants["cases"])},
            }
    return out


def ours_language(lang_a: dict, lang_b: dict) -> float:
    """Our language distance between two variant distributions ``{activities tuple: cases}``."""
    import pandas as pd

    from divergence.measures.emd import language
    from divergence.profile import profile_from_variants

    t = pd.Timestamp("2020-01-01", tz="UTC")
    a = profile_from_variants("p", "a", lang_a, first=t, last=t)
    b = profile_from_variants("p", "b", lang_b, first=t, last=t)
    return float(language([a, b])[0, 1])


def pm4py_profile_digest(frame) -> dict:
    """pm4py's ``discover_dfg`` and ``get_variants`` on one unit's pm4py frame."""
    import pm4py

    dfg, _, _ = pm4py.discover_dfg(frame, activity_key=ACT, case_id_key=CASE, timestamp_key=TS)
    variants = pm4py.get_variants(frame, activity_key=ACT, case_id_key=CASE, timestamp_key=TS)
    return {
        "dfg": {tuple(k): int(v) for k, v in dfg.items()},
        "variants": {tuple(k): int(v if not isinstance(v, list) else len(v)) for k, v in variants.items()},
    }


def pandas_dfg_variants(frame) -> dict:
    """Vectorised pandas DFG and variants of one unit's frame (case, activity, timestamp columns)."""
    import numpy as np
    import pandas as pd

    df = frame[[CASE, ACT, TS]].copy()
    df["_i"] = np.arange(len(df))
    df = df.sort_values([CASE, TS, "_i"], kind="stable")
    case = df[CASE].to_numpy()
    act = df[ACT].to_numpy()
    same = case[1:] == case[:-1]
    pairs = pd.DataFrame({"s": act[:-1][same], "t": act[1:][same]})
    counts = pairs.groupby(["s", "t"], sort=False).size()
    dfg = {(s, t): int(n) for (s, t), n in counts.items()}
    traces = df.groupby(CASE, sort=False)[ACT].agg(tuple)
    variants = {tuple(k): int(v) for k, v in traces.value_counts().items()}
    return {"dfg": dfg, "variants": variants}


def _jsonable(digest: dict) -> dict:
    return {
        u: {
            "dfg": sorted([list(k), v] for k, v in d["dfg"].items()),
            "variants": sorted([list(k), v] for k, v in d["variants"].items()),
        }
        for u, d in digest.items()
    }


def _from_json(digest: dict) -> dict:
    return {
        u: {
            "dfg": {tuple(k): v for k, v in d["dfg"]},
            "variants": {tuple(k): v for k, v in d["variants"]},
        }
        for u, d in digest.items()
    }


# --- the work of each (row, tool), run in a child ---------------------------------------------


def _imports(row: str, tool: str) -> None:
    import warnings

    warnings.simplefilter("ignore")
    if tool == "ours":
        import divergence.io  # noqa: F401
        import divergence.profile  # noqa: F401

        if row in PAIRS:
            import divergence.measures.emd  # noqa: F401
    elif tool == "pm4py":
        import pm4py  # noqa: F401
    elif tool == "r4pm":
        import r4pm  # noqa: F401
        import r4pm.bindings.core.event_data.case_centric.utils.activity_projection  # noqa: F401
        import r4pm.bindings.discovery.case_centric.dfg  # noqa: F401
    elif tool == "rustxes+pandas":
        import pandas  # noqa: F401
        import rustxes  # noqa: F401
    elif tool == "pl4pm":
        import pl4pm  # noqa: F401

        if row == "profile":
            import rustxes  # noqa: F401
    elif tool == "ebi-pm":
        import ebi  # noqa: F401


def _setup(row: str, tool: str, files: list[str], langs_path: str | None):
    """Untimed inputs: for ``language`` each tool's native form of the two languages per pair."""
    if row not in PAIRS:
        return None
    raw = json.loads(Path(langs_path).read_text())
    pairs = {}
    for name, (a, b) in raw.items():
        if name != PAIRS[row]:
            continue
        la = {tuple(v): c for v, c in a}
        lb = {tuple(v): c for v, c in b}
        if tool == "ours":
            import pandas as pd

            from divergence.profile import profile_from_variants

            t = pd.Timestamp("2020-01-01", tz="UTC")
            pairs[name] = [profile_from_variants("p", u, lang, first=t, last=t) for u, lang in ((PAIR[0], la), (PAIR[1], lb))]
        elif tool in ("pm4py", "pl4pm"):
            pairs[name] = [_shares(la), _shares(lb)]
        elif tool == "ebi-pm":
            pairs[name] = [_slang(la), _slang(lb)]
    return pairs


def _shares(lang: dict) -> dict:
    total = sum(lang.values())
    return {k: v / total for k, v in lang.items()}


def _slang(lang: dict) -> str:
    """A finite stochastic language in Ebi's ``.slang`` text, weights as exact fractions cases/total."""
    total = sum(lang.values())
    lines = ["finite stochastic language", "# number of traces", str(len(lang))]
    for trace, cases in lang.items():
        g = math.gcd(cases, total)
        lines += ["# weight", f"{cases // g}/{total // g}", "# number of events", str(len(trace)), *trace]
    return "\n".join(lines) + "\n"


def _work(row: str, tool: str, files: list[str], folder: str, inputs):
    """One pass of the work; returns the value digest (JSON-able)."""
    if row in PAIRS:
        return {name: _distance(tool, *pair) for name, pair in inputs.items()}
    if tool == "ours":
        if row == "read":
            from divergence.io import read_logs

            frame = read_logs(folder)
            g = frame.groupby("unit", sort=True)
            return {u: {"events": int(n), "cases": int(c)} for (u, n), c in zip(g.size().items(), g["case"].nunique())}
        return _jsonable(ours_profile_digest(folder))
    out = {}
    for path in files:
        unit = _stem(path)
        if tool == "pm4py":
            import pm4py

            frame = pm4py.read_xes(path)
            if row == "read":
                out[unit] = {"events": len(frame), "cases": int(frame[CASE].nunique())}
            else:
                out[unit] = pm4py_profile_digest(frame)
        elif tool == "r4pm":
            import r4pm

            if row == "read":
                frame, _ = r4pm.df.import_xes(path)
                out[unit] = {"events": frame.height, "cases": int(frame[CASE].n_unique())}
            else:
                from r4pm.bindings.core.event_data.case_centric.utils.activity_projection import (
                    get_variants,
                    log_to_activity_projection,
                )
                from r4pm.bindings.discovery.case_centric.dfg import discover_dfg

                log = r4pm.import_item("EventLog", path)
                dfg = discover_dfg(log)
                proj = log_to_activity_projection(log)
                variants = get_variants(proj)
                out[unit] = {
                    "dfg": {tuple(k): int(n) for k, n in dfg["directly_follows_relations"]},
                    "variants": {tuple(v["activities"]): int(v["count"]) for v in variants},
                }
                r4pm.remove_item(proj)
                r4pm.remove_item(log)
        elif tool == "rustxes+pandas":
            import rustxes

            frame = rustxes.import_xes(path)[0].to_pandas()
            if row == "read":
                out[unit] = {"events": len(frame), "cases": int(frame[CASE].nunique())}
            else:
                out[unit] = pandas_dfg_variants(frame)
        elif tool == "pl4pm":
            import pl4pm

            if row == "read":
                import gzip

                with (gzip.open(path) if path.endswith(".gz") else open(path, "rb")) as fh:
                    frame = pl4pm.read_xes(fh)
                out[unit] = {"events": frame.height, "cases": int(frame[CASE].n_unique())}
            else:
                import rustxes

                lf = rustxes.import_xes(path)[0].lazy()
                dfg = pl4pm.discover_dfg(lf)[0]
                variants = pl4pm.get_variants(lf)
                out[unit] = {
                    "dfg": {tuple(k): int(n) for k, n in dfg.items()},
                    "variants": {tuple(k): int(n) for k, n in variants.items()},
                }
    return out if row == "read" else _jsonable(out)


def _distance(tool: str, a, b) -> dict:
    if tool == "ours":
        from divergence.measures.emd import language

        return {"value": float(language([a, b])[0, 1])}
    if tool == "pm4py":
        import pm4py

        return {"value": float(pm4py.compute_emd(a, b))}
    if tool == "ebi-pm":
        import ebi

        got = ebi.conformance_earth_movers(a, b)  # [EMSC as float, numerator, denominator]
        exact = None
        if isinstance(got, (list, tuple)) and len(got) == 3:
            from fractions import Fraction

            exact = 1 - Fraction(int(got[1]), int(got[2]))
            emsc = float(got[0])
        else:
            emsc = float(got)
        return {"value": 1.0 - emsc, "emsc": emsc, "exact_emd": float(exact) if exact is not None else None}
    if tool == "pl4pm":
        import pl4pm

        return {"value": float(pl4pm.compute_emd(a, b))}
    raise ValueError(tool)


def child(row: str, tool: str, folder: str, out: str, langs: str | None, reps: int) -> None:
    """In a fresh process: time imports, then ``reps`` passes of the work; write a JSON record."""
    files = sorted(str(p) for p in Path(folder).iterdir() if p.name.endswith((".xes", ".xes.gz")))
    t0 = time.perf_counter()
    _imports(row, tool)
    t_import = time.perf_counter() - t0
    inputs = _setup(row, tool, files, langs)
    t_setup = time.perf_counter() - t0 - t_import
    passes = []
    digest = None
    for _ in range(reps):
        t = time.perf_counter()
        digest = _work(row, tool, files, folder, inputs)
        passes.append(time.perf_counter() - t)
        # a partial record after each pass: a run killed at the cap keeps what it did
        Path(out).write_text(json.dumps({"import": t_import, "setup": t_setup, "passes": passes, "digest": digest}))


# --- parent ----------------------------------------------------------------------------------


def _installed(tool: str) -> str | None:
    """Version of the tool's package, or None when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGES[tool])
    except PackageNotFoundError:
        return None


def measure(row: str, tool: str, folder: Path, work: Path, runs: int, cap: float, langs: Path | None) -> dict:
    from benchmarks.bench import run_child

    rec = {"row": row, "tool": tool, "runs": [], "note": ""}
    for k in range(runs):
        out = work / f"{row}-{tool}-{k}.json"
        out.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "benchmarks.peers", "--child", row, tool, "--folder", str(folder), "--out", str(out), "--reps", "2"]
        if langs is not None:
            argv += ["--langs", str(langs)]
        r = run_child(f"{row}-{tool}", argv, cap=cap)
        got = json.loads(out.read_text()) if out.exists() else {}
        passes = got.get("passes", [])
        rec["runs"].append({"wall": r.wall, "rss": r.rss_tree_mib, "ok": r.ok, "note": r.note, **got})
        if not r.ok:
            rec["note"] = r.note if not passes else f"{r.note} (after {len(passes)} pass(es))"
            break  # no point repeating a run that hit the cap or failed
    good = [x for x in rec["runs"] if x.get("passes")]
    if good:
        rec["import"] = statistics.median(x["import"] for x in good)
        # cold: from spawn to the end of the first pass = wall less the later passes (and JSON writes, negligible)
        rec["cold"] = statistics.median(x["wall"] - sum(x["passes"][1:]) for x in good if x["ok"] or len(x["passes"]) == 1)
        warm = [min(x["passes"][1:]) for x in good if len(x["passes"]) > 1]
        rec["warm"] = statistics.median(warm) if warm else float("nan")
        rec["rss"] = max(x["rss"] for x in rec["runs"])
        rec["digest"] = good[-1]["digest"]
        rec["ok"] = True
    else:
        rec["ok"] = False
        rec["rss"] = max((x["rss"] for x in rec["runs"]), default=float("nan"))
    return rec


def interpreter_start(n: int = 5) -> float:
    import subprocess

    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=False)
        best = min(best, time.perf_counter() - t)
    return best


def _compare_profile(ours: dict, theirs: dict) -> str:
    ours, theirs = _from_json(ours), _from_json(theirs)
    if set(ours) != set(theirs):
        return f"units differ: {sorted(set(ours) ^ set(theirs))}"
    bad_dfg = [u for u in ours if ours[u]["dfg"] != theirs[u]["dfg"]]
    bad_var = [u for u in ours if ours[u]["variants"] != theirs[u]["variants"]]
    if not bad_dfg and not bad_var:
        n_e = sum(len(ours[u]["dfg"]) for u in ours)
        n_v = sum(len(ours[u]["variants"]) for u in ours)
        return f"= ours ({n_e:,} edges, {n_v:,} variants in {len(ours)} units)"
    parts = []
    for what, bad in (("dfg", bad_dfg), ("variants", bad_var)):
        if bad:
            diff = sum(len(set(ours[u][what].items()) ^ set(theirs[u][what].items())) for u in bad)
            parts.append(f"{what} differs in {len(bad)} units ({diff:,} entries)")
    return "; ".join(parts)


def _compare_read(ours: dict, theirs: dict) -> str:
    if ours == theirs:
        ev = sum(v["events"] for v in ours.values())
        cs = sum(v["cases"] for v in ours.values())
        return f"= ours ({ev:,} events, {cs:,} cases)"
    bad = [u for u in sorted(set(ours) | set(theirs)) if ours.get(u) != theirs.get(u)]
    ev = lambda d: sum(d[u]["events"] for u in bad if u in d)  # noqa: E731
    return f"differs in {len(bad)} units: {ev(theirs):,} events there vs ours {ev(ours):,}"


def _tv(a: dict, b: dict) -> float:
    sa, sb = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a.get(k, 0) / sa - b.get(k, 0) / sb) for k in set(a) | set(b))


def _compare_language(tool: str, ours: dict, theirs: dict, langs: dict) -> str:
    out = []
    for name, got in theirs.items():
        if tool == "pl4pm":
            a, b = ({tuple(v): c for v, c in x} for x in langs[name])
            ref = _tv(a, b)
            d = abs(got["value"] - ref)
            out.append(f"{name}: {got['value']:.12f}, total variation (not EMD); = 0.5·Σ|p−q| {'within 1e-9' if d <= 1e-9 else f'off by {d:.1e}'}; ours EMD {ours[name]['value']:.12f}")
            continue
        d = abs(got["value"] - ours[name]["value"])
        verdict = "= ours within 1e-9" if d <= 1e-9 else f"differs from ours by {d:.2e}"
        extra = ""
        if tool == "ebi-pm":
            extra = f" (1 − EMSC; EMSC {got['emsc']:.12f}"
            if got.get("exact_emd") is not None:
                de = abs(got["exact_emd"] - ours[name]["value"])
                extra += f"; exact 1 − fraction vs ours {de:.1e}"
            extra += ")"
        out.append(f"{name}: {got['value']:.12f} {verdict}{extra}")
    return "; ".join(out)


def dedup_reference(folder: Path) -> dict:
    """Per-unit DFG and variants of the events our reader keeps, computed independently (untimed).

    Our reader keeps case, activity, timestamp, resource and lifecycle and drops exact duplicates
    over them (warning ``duplicate_events``); here the same drop is done on a rustxes (else pm4py)
    frame and the DFG/variants come from :func:`pandas_dfg_variants`.
    """
    out, dropped = {}, 0
    for path in sorted(str(q) for q in folder.iterdir() if q.name.endswith((".xes", ".xes.gz"))):
        if _installed("rustxes+pandas"):
            import rustxes

            frame = rustxes.import_xes(path)[0].to_pandas()
        else:
            import pm4py

            frame = pm4py.read_xes(path)
        keys = [c for c in (CASE, ACT, TS, "org:resource", "lifecycle:transition") if c in frame.columns]
        dupes = frame.duplicated(subset=keys, keep="first")
        dropped += int(dupes.sum())
        out[_stem(path)] = pandas_dfg_variants(frame[~dupes.to_numpy()])
    return {"digest": _jsonable(out), "dropped": dropped}


def _check_row(row: str, results: list[dict], langs_path: Path, folder: Path) -> None:
    """Fill ``check`` of every measured tool of ``row``: peers against pm4py, ours against pm4py and,
    where ours drops duplicate events, against an independent computation on the same events."""
    rs = [r for r in results if r["row"] == row and r.get("ok")]
    ours = next((r for r in rs if r["tool"] == "ours"), None)
    ref = next((r for r in rs if r["tool"] == "pm4py"), None)
    for r in rs:
        if row in PAIRS:
            r["check"] = "reference" if r["tool"] == "ours" or ours is None else _compare_language(
                r["tool"], ours["digest"], r["digest"], json.loads(langs_path.read_text()))
            continue
        cmp = _compare_read if row == "read" else _compare_profile
        if r["tool"] != "ours":
            r["check"] = "reference" if r is ref or ref is None else cmp(ref["digest"], r["digest"]).replace("ours", "pm4py")
            continue
        if ref is None:
            r["check"] = "no pm4py figures to compare with"
            continue
        same = cmp(ref["digest"], r["digest"])
        if same.startswith("="):
            r["check"] = same.replace("ours", "pm4py")
            continue
        if "dedup" not in _CACHE:
            _CACHE["dedup"] = dedup_reference(folder)
        dd = _CACHE["dedup"]
        why = (f"vs pm4py: {same.replace('ours', 'pm4py')}, because our reader drops {dd['dropped']:,} events that duplicate "
               "another in case, activity, timestamp, resource and lifecycle (by design, warned)")
        if row == "profile":
            again = _compare_profile(r["digest"], dd["digest"])
            why += f"; on the same events: {again.replace('= ours', '= an independent pandas DFG/variants')}"
        r["check"] = why


_CACHE: dict = {}


def _f(x, nd=2) -> str:
    return "–" if x is None or x != x else f"{x:.{nd}f}"


def machine_facts() -> dict[str, str]:
    from benchmarks.bench import machine_facts as facts

    f = facts()
    for tool, dist in PACKAGES.items():
        if tool != "ours":
            v = _installed(tool)
            f[dist] = v or "not installed"
    for dist in ("polars", "pyarrow", "numpy", "POT", "rapidfuzz", "lxml"):
        try:
            from importlib.metadata import version

            f[dist] = version(dist)
        except Exception:
            pass
    return f


_LABEL = {
    "read": "1. read 5 XES files",
    "profile": "2. read + per-unit DFG + variants",
    "language-top": f"3a. language distance {PAIR[0]} × {PAIR[1]}, top {TOP} variants each",
    "language": f"3b. language distance {PAIR[0]} × {PAIR[1]}, all variants",
}

_HOW = {
    ("read", "ours"): "`read_logs(folder)`: canonical sorted pandas frame, 2 worker processes",
    ("read", "pm4py"): "`read_xes` per file (pandas)",
    ("read", "r4pm"): "`df.import_xes` per file (Polars frame, no pandas)",
    ("read", "rustxes+pandas"): "`import_xes` + `.to_pandas()` per file",
    ("read", "pl4pm"): "`read_xes(gzip.open(f))` per file (lxml, Python loop)",
    ("profile", "ours"): "`read_profiles`: each file profiled in the worker that reads it (also waits, durations, resources)",
    ("profile", "pm4py"): "`read_xes` + `discover_dfg` + `get_variants`",
    ("profile", "r4pm"): "`import_item` + `discover_dfg` + `log_to_activity_projection`/`get_variants`",
    ("profile", "rustxes+pandas"): "`import_xes` + `.to_pandas()` + vectorised pandas DFG/variants",
    ("profile", "pl4pm"): "rustxes read + pl4pm `discover_dfg` + `get_variants` (its own reader: row 1)",
    ("language", "ours"): "`divergence.measures.emd.language` (rapidfuzz Levenshtein, POT network simplex)",
    ("language-top", "ours"): "`divergence.measures.emd.language` (rapidfuzz Levenshtein, POT network simplex)",
    ("language", "pm4py"): "`compute_emd` on stochastic languages",
    ("language-top", "pm4py"): "`compute_emd` on stochastic languages",
    ("language", "ebi-pm"): "`conformance_earth_movers` on `.slang` text (exact fractions)",
    ("language-top", "ebi-pm"): "`conformance_earth_movers` on `.slang` text (exact fractions)",
    ("language", "pl4pm"): "`compute_emd` (total variation distance)",
    ("language-top", "pl4pm"): "`compute_emd` (total variation distance)",
}


def render(results: list[dict], facts: dict, command: str, start_s: float, profiles: dict[str, str]) -> str:
    L = ["# Peer benchmark (issue 18)\n"]
    L.append(f"Command: `{command}` (from the repository root; `make peers` runs it)\n")
    L.append("Machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()) + "\n")
    L.append(
        f"Each (row, tool) ran in fresh child processes (median of the runs shown). *import s*: the tool's imports "
        f"inside the child. *cold s*: spawn to the end of the first pass of the work (interpreter start-up "
        f"{start_s:.2f} s + imports + work). *warm s*: a second pass in the same process (work only). *MiB*: peak "
        "resident memory of the child's process tree. Language inputs (each tool's native form of the two variant "
        "distributions) are built before timing. Values are checked against ours (DFG and variants exactly, "
        "distances to 1e-9). Timings on a shared 2-core machine are noisy.\n"
    )
    L.append("| row | tool | how | runs | import s | cold s | warm s | MiB | value check |")
    L.append("|---|---|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        label = _LABEL[r["row"]]
        how = _HOW.get((r["row"], r["tool"]), "")
        if r.get("unavailable"):
            L.append(f"| {label} | {r['tool']} | {how} | 0 | – | – | – | – | not available: {r['unavailable']} |")
            continue
        check = r.get("check", "")
        if not r["ok"]:
            check = f"did not finish: {r['note']}"
        elif r["note"]:
            check = f"{check}; {r['note']}"
        L.append(
            f"| {label} | {r['tool']} | {how} | {len(r['runs'])} | {_f(r.get('import'))} | {_f(r.get('cold'))} | "
            f"{_f(r.get('warm'), 3 if r['row'] in PAIRS else 2)} | {_f(r.get('rss'), 0)} | {check} |"
        )
    L.append("")
    L.append("## Where we are not fastest (measured)\n")
    for row in ROWS:
        rs = [r for r in results if r["row"] == row and r.get("ok") and (row, r["tool"]) not in DIFFERENT]
        ours = next((r for r in rs if r["tool"] == "ours"), None)
        if ours is None:
            continue
        for col in ("cold", "warm"):
            best = min(rs, key=lambda r: r.get(col, float("inf")))
            if best["tool"] == "ours":
                L.append(f"- {_LABEL[row]}, {col}: ours fastest ({_f(ours[col], 3)} s).")
            else:
                L.append(
                    f"- {_LABEL[row]}, {col}: {best['tool']} {_f(best[col], 3)} s vs ours {_f(ours[col], 3)} s "
                    f"({ours[col] / best[col]:.1f}× slower; ours imports {_f(ours.get('import'))} s, theirs {_f(best.get('import'))} s)."
                )
    L.append("")
    if profiles:
        L.append("## Where our time goes (cProfile of one in-process pass, cumulative, top entries)\n")
        for name, text in profiles.items():
            L.append(f"### {name}\n")
            L.append("```")
            L.append(text.rstrip())
            L.append("```\n")
    return "\n".join(L)


def profile_ours(row: str, folder: Path, top: int = 22) -> str:
    """cProfile of one pass of our work for ``row`` in a child (after a warm-up pass)."""
    import subprocess

    code = (
        "import cProfile, pstats, io, sys, warnings; warnings.simplefilter('ignore');"
        "from benchmarks.peers import _imports, _work; from pathlib import Path;"
        f"row={row!r}; folder={str(folder)!r};"
        "files=sorted(str(p) for p in Path(folder).iterdir() if p.name.endswith(('.xes','.xes.gz')));"
        "_imports(row,'ours');"
        "import divergence.io.read as R; R.PARALLEL_WORKERS=1;"  # serial, so the profile sees the parsing
        "pr=cProfile.Profile(); pr.enable(); _work(row,'ours',files,folder,None); pr.disable();"
        f"s=io.StringIO(); pstats.Stats(pr,stream=s).sort_stats('cumulative').print_stats({top}); print(s.getvalue())"
    )
    env = dict(os.environ, PYTHONPATH=str(_REPO), PYTHONWARNINGS="ignore")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    text = p.stdout
    keep = text[text.find("   ncalls") :] if "   ncalls" in text else (text or p.stderr[-2000:])
    head = next((line.strip() for line in text.splitlines() if "function calls" in line), "")
    return f"{row}, serial read (PARALLEL_WORKERS=1) so the parse shows: {head}\n" + keep


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__.split("\n\n")[0])
    p.add_argument("--folder", default=str(_BPIC), help="folder of the XES logs (default ../shared/data/bpic2015)")
    p.add_argument("--rows", default="read,profile,language-top,language", help="comma separated: read, profile, language-top, language")
    p.add_argument("--tools", default="", help="comma separated subset of tools (default: all)")
    p.add_argument("--runs", type=int, default=3, help="fresh child processes per (row, tool) (default 3)")
    p.add_argument("--cap", type=float, default=300.0, help="wall-time cap of one child, seconds (default 300)")
    p.add_argument("--no-profile", action="store_true", help="skip the cProfile of our rows")
    p.add_argument("--md", default=str(_REPO / "docs" / "peers.md"), help="write the Markdown here ('' = do not)")
    p.add_argument("--child", nargs=2, metavar=("ROW", "TOOL"), help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--langs", help=argparse.SUPPRESS)
    p.add_argument("--reps", type=int, default=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.folder, args.out, args.langs, args.reps)
        return 0

    command = "python -m benchmarks.peers" + ("" if argv is None and len(sys.argv) <= 1 else " " + shlex.join(sys.argv[1:] if argv is None else argv))
    folder = Path(args.folder)
    if not folder.is_dir() or not any(q.name.endswith((".xes", ".xes.gz")) for q in folder.iterdir()):
        print(f"{folder}: no XES logs; nothing to compare", file=sys.stderr)
        return 2
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    only = {t.strip() for t in args.tools.split(",") if t.strip()}
    facts = machine_facts()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    start_s = interpreter_start()
    print(f"interpreter start-up (python -c pass, best of 5): {start_s:.3f} s", flush=True)
    results: list[dict] = []
    work = Path(tempfile.mkdtemp(prefix="divergence-peers-"))
    langs_path = work / "langs.json"
    ours_profile = None
    profiles: dict[str, str] = {}

    def flush(final: bool = False) -> str:
        from benchmarks.bench import write_markdown

        return write_markdown(render(results, facts, command, start_s, profiles), args.md, final=final)

    for row in rows:
        if row in PAIRS and "profile" not in rows and ours_profile is None:
            # the distributions come from our profile of the logs
            ours_profile = measure("profile", "ours", folder, work, 1, args.cap, None)
        for tool in ROWS[row]:
            if only and tool not in only and tool != "ours":
                continue
            if _installed(tool) is None:
                results.append({"row": row, "tool": tool, "unavailable": f"{PACKAGES[tool]} is not installed (pip install '.[peers]')", "ok": False})
                continue
            if row in PAIRS and not langs_path.exists():
                src = ours_profile or next(r for r in results if r["row"] == "profile" and r["tool"] == "ours")
                d = _from_json(src["digest"])
                langs = {}
                full = [d[u]["variants"] for u in PAIR]
                langs["all variants"] = [sorted([list(k), v] for k, v in lang.items()) for lang in full]
                top = [dict(sorted(lang.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]) for lang in full]
                langs[f"top {TOP} variants"] = [sorted([list(k), v] for k, v in lang.items()) for lang in top]
                langs_path.write_text(json.dumps(langs))
                for name, (a, b) in langs.items():
                    print(f"language pair '{name}': {len(a)} × {len(b)} variants", flush=True)
            rec = measure(row, tool, folder, work, args.runs, args.cap, langs_path if row in PAIRS else None)
            if row == "profile" and tool == "ours":
                ours_profile = rec
            results.append(rec)
            _check_row(row, results, langs_path, folder)
            print(
                f"{row:<8} {tool:<15} import {_f(rec.get('import'))} cold {_f(rec.get('cold'))} warm {_f(rec.get('warm'), 3)} "
                f"MiB {_f(rec.get('rss'), 0)} {rec.get('check', '')} {rec['note']}",
                flush=True,
            )
            flush()
    if not args.no_profile:
        for row in ("read", "profile"):
            if row in rows:
                profiles[_LABEL[row]] = profile_ours(row, folder)
    md = flush(final=True)
    print()
    print(md)
    if args.md:
        print(f"written: {args.md}")
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
