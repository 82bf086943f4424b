"""Outputs: ``report.html``, ``summary.json``, ``divergence.xlsx``, CSV tables, BPMN models and graphs, written atomically."""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import tempfile
from pathlib import Path

from ..errors import DivergenceError
from ..progress import ProgressFn, no_progress
from ..result import AnalysisResult
from .safe import safe_name

__all__ = ["write_outputs", "MANIFEST"]

#: Lists what the last run wrote into the output folder, so the next run can
#: replace exactly that and leave a user's other files alone.
MANIFEST = ".divergence-manifest.json"


def write_outputs(
    result: AnalysisResult,
    out: Path,
    *,
    graphs: bool = True,
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
    from .summary import build_summary, dumps
    from .tables import write_process_tables

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
        folders: dict[str, str] = {}
        # tables and graphs of every process are independent jobs: they share
        # one pool of two workers (tables first, the longest single job)
        from functools import partial

        from .maps import graph_jobs, run_jobs, svg_of

        tables_jobs, drawing_jobs = [], []
        for p, pr in result.processes.items():
            folder_name = _unique(safe_name(p), entries)
            entries.append(folder_name)
            folders[p] = folder_name
            folder = tmp / folder_name
            tables_jobs.append(((p, "tables"), partial(write_process_tables, pr, folder, min_cases=min_cases)))
            if graphs:
                graph_paths[p] = {}
                drawing_jobs += [((p, k), job) for k, job in graph_jobs(pr, folder / "graphs", min_cases=min_cases)]
        jobs = tables_jobs + drawing_jobs
        label = "writing tables and drawing graphs" if graphs else "writing tables"
        for done, ((p, key), value) in enumerate(run_jobs(jobs), start=1):
            if key == "tables":
                table_links[p] = {k: f"{folders[p]}/{v.name}" for k, v in value.items()}
            elif value:  # a drawing that would carry no information writes nothing
                graph_paths[p][key] = svg_of(value)
            progress(label, done, len(jobs))
        progress("writing report", 0, 1)
        from .bpmn import write_models

        model_links = {}  # the target's and every unit's model as laid-out BPMN
        for p, pr in result.processes.items():
            written = write_models(pr, tmp / folders[p] / "models")
            model_links[p] = {k: f"{folders[p]}/models/{v.name}" for k, v in written.items()}
        summary = build_summary(result, generated_at=stamp)
        summary["outputs"] = {p: {"folder": folders[p], "tables": table_links[p], "models": model_links[p]}
                              for p in result.processes}
        (tmp / "summary.json").write_text(dumps(summary), encoding="utf-8")
        (tmp / "report.html").write_text(
            render_html(result, graphs=graph_paths, tables=table_links, min_cases=min_cases, generated_at=stamp,
                        models=model_links, workbook="divergence.xlsx"),
            encoding="utf-8",
        )
        from .workbook import write_workbook

        write_workbook(result, tmp / "divergence.xlsx", min_cases=min_cases)
        (tmp / MANIFEST).write_text(json.dumps({"entries": entries}, indent=1) + "\n", encoding="utf-8")
        progress("writing report", 1, 1)
        _move_into_place(tmp, out, entries)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


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
