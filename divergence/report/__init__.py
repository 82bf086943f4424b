"""Outputs: ``report.html``, ``summary.json``, ``divergence.xlsx``, CSV tables, BPMN models and graphs, written atomically."""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import tempfile
from pathlib import Path

from ..collector import relaxing
from ..errors import DivergenceError
from ..progress import ProgressFn, no_progress
from ..result import AnalysisResult
from .safe import safe_name

__all__ = ["write_outputs", "MANIFEST"]

#: Lists what the last run wrote into the output folder, so the next run can
#: replace exactly that and leave a user's other files alone.
MANIFEST = ".divergence-manifest.json"


@relaxing
def write_outputs(
    result: AnalysisResult,
    out: Path,
    *,
    graphs: bool = True,
    png: bool = False,
    progress: ProgressFn = no_progress,
    generated_at: str | None = None,
) -> Path:
    """Write every output of ``result`` into ``out``; nothing half-written.

    Everything is written to a temporary folder beside ``out`` first and moved
    into place only when complete; the previous run's outputs (listed in
    ``out/.divergence-manifest.json``) are replaced, other files are kept.

    Returns
    -------
    Path
        ``out``.
    """
    from .html import render_html
    from .tables import table_parts

    out = Path(out)
    min_cases = int(result.options.get("min_cases", 1) or 1)
    stamp = generated_at or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as exc:
        raise DivergenceError(f"{out}: cannot create the output folder ({exc.strerror or exc})") from None
    try:
        entries = ["report.html", "summary.json", "divergence.xlsx"]
        graph_paths: dict[str, dict[str, Path]] = {}
        table_links: dict[str, dict[str, str]] = {}
        table_parts_done: dict[tuple[str, int], dict[str, str]] = {}
        model_links: dict[str, dict[str, str]] = {}  # the target's and every unit's model as laid-out BPMN
        folders: dict[str, str] = {}
        # every output but the page is an independent job: they share one pool
        # of two workers, the longest first (tables in three parts, summary, models, workbook),
        # then the drawings; the page is written last, from their files
        from functools import partial

        from .bpmn import write_models
        from .maps import graph_jobs, run_jobs, svg_of
        from .workbook import write_workbook

        for p in result.processes:
            folder_name = _unique(safe_name(p), entries)
            entries.append(folder_name)
            folders[p] = folder_name
        parts = table_parts()  # side by side, the test tables (the longest on large logs) first
        jobs: list = [((p, f"tables:{i}"), partial(parts[i], pr, tmp / folders[p], min_cases=min_cases))
                      for p, pr in result.processes.items() for i in reversed(range(len(parts)))]
        jobs.append(((None, "summary"), partial(_summary_text, result, stamp)))
        jobs += [((p, "models"), partial(write_models, pr, tmp / folders[p] / "models"))
                 for p, pr in result.processes.items()]
        jobs.append(((None, "workbook"), partial(write_workbook, result, tmp / "divergence.xlsx", min_cases=min_cases)))
        if graphs:  # every process's charts first (one task, see maps.run_jobs), then the maps
            drawings = []
            for p, pr in result.processes.items():
                graph_paths[p] = {}
                drawings += [((p, k), job) for k, job in graph_jobs(pr, tmp / folders[p] / "graphs", min_cases=min_cases,
                                                                    png=png)]
            jobs += sorted(drawings, key=lambda job: ":" in job[0][1])  # stable: charts, then maps in order
        label = "writing tables and drawing graphs" if graphs else "writing tables"
        summary_text = ""
        for done, ((p, key), value) in enumerate(run_jobs(jobs), start=1):
            if key.startswith("tables:"):
                table_parts_done[p, int(key[7:])] = {k: f"{folders[p]}/{v.name}" for k, v in value.items()}
            elif key == "models":
                model_links[p] = {k: f"{folders[p]}/models/{v.name}" for k, v in value.items()}
            elif key == "summary":
                summary_text = value
            elif key == "workbook":
                pass
            elif value:  # a drawing that would carry no information writes nothing
                graph_paths[p][key] = svg_of(value)
            progress(label, done, len(jobs))
        progress("writing report", 0, 1)
        for p in result.processes:  # the links in the order write_process_tables gives
            table_links[p] = {k: v for i in range(len(parts)) for k, v in table_parts_done[p, i].items()}
        outputs = {p: {"folder": folders[p], "tables": table_links[p], "models": model_links[p]}
                   for p in result.processes}
        (tmp / "summary.json").write_text(_with_outputs(summary_text, outputs), encoding="utf-8")
        (tmp / "report.html").write_text(
            render_html(result, graphs=graph_paths, tables=table_links, min_cases=min_cases, generated_at=stamp,
                        models=model_links, workbook="divergence.xlsx"),
            encoding="utf-8",
        )
        (tmp / MANIFEST).write_text(json.dumps({"entries": entries}, indent=1) + "\n", encoding="utf-8")
        progress("writing report", 1, 1)
        _move_into_place(tmp, out, entries)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


#: Where ``summary.json``'s ``outputs`` go until the files are written (JSON escapes the NULs).
_OUTPUTS_MARK = "\x00outputs\x00"


def _summary_text(result: AnalysisResult, stamp: str) -> str:
    """``summary.json`` as text, its ``outputs`` a mark for :func:`_with_outputs` (the slow part, in a worker)."""
    from .summary import build_summary, dumps

    summary = build_summary(result, generated_at=stamp)
    summary["outputs"] = _OUTPUTS_MARK
    return dumps(summary)


def _with_outputs(text: str, outputs: dict) -> str:
    """``summary.json`` with its ``outputs``: the text ``dumps`` gives the whole summary."""
    from .summary import dumps

    mark = json.dumps(_OUTPUTS_MARK)
    if text.count(mark) != 1:
        raise AssertionError("summary.json: the place of the outputs is not marked once")
    part = dumps(outputs).rstrip("\n").replace("\n", "\n  ")  # one level in: "outputs" is a top-level key
    return text.replace(mark, part)


def _unique(name: str, taken: list[str]) -> str:
    cand, k = name, 2
    while cand in taken:
        cand, k = f"{name}-{k}", k + 1
    return cand


def _move_into_place(tmp: Path, out: Path, entries: list[str]) -> None:
    if not out.exists():
        tmp.rename(out)
        return
    if not out.is_dir():
        raise DivergenceError(f"{out}: exists and is not a folder")
    old = []
    man = out / MANIFEST
    if man.is_file():
        try:
            old = json.loads(man.read_text(encoding="utf-8")).get("entries", [])
        except (ValueError, OSError):
            old = []
    for name in sorted(set(old) | set(entries) | {MANIFEST}):
        if "/" in name or name in ("", ".", ".."):
            continue
        target = out / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
    for name in entries + [MANIFEST]:
        (tmp / name).rename(out / name)
    shutil.rmtree(tmp, ignore_errors=True)
