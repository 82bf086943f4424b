"""``read_logs``: find the log files, read each, and combine canonical events."""

from __future__ import annotations

import multiprocessing
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from divergence import schema
from divergence.errors import DivergenceError, DivergenceWarning, EmptyLogError, InputError, warn
from divergence.io.clean import canonical_events
from divergence.io.columns import detect_columns, wanted_xes_keys
from divergence.io.csv import read_csv
from divergence.io.parquet import read_parquet
from divergence.io.safety import (
    default_max_bytes,
    file_sha256,
    log_format,
    strip_log_suffix,
)
from divergence.io.ocel import AmbiguousObjectType
from divergence.io.xes import read_xes
from divergence.options import Columns

__all__ = ["read_logs"]

PathArg = str | os.PathLike

#: Files are read in this many worker processes ...
PARALLEL_WORKERS = 2
#: ... when there are at least two and the XES and CSV files among them
#: total more than this many bytes on disk (pool start-up costs ~0.1 s).
PARALLEL_MIN_BYTES = 4 * 1024**2


@dataclass(frozen=True)
class _Source:
    path: Path
    fmt: str
    process: str | None  # the walked folder, or its first-level sub-folder holding the file


def read_logs(
    paths: PathArg | Sequence[PathArg],
    *,
    columns: Columns | None = None,
    max_bytes: int | None = None,
    unit_rule: str = "first",
    lifecycle: str = "auto",
    object_type: str | None = None,
    meanwhile: Callable[[], None] | None = None,
    **column_keys: str | None,
) -> pd.DataFrame:
    """Read event logs (XES, CSV, Parquet, OCEL 2.0; files or folders) into canonical events.

    Parameters
    ----------
    paths : str, PathLike or a list of them
        Log files and folders. Folders are walked recursively in sorted
        order; hidden files and files that are not logs (``.md``, ``.bpmn``,
        ...) are skipped there. Logs: ``.xes``, ``.xes.gz``, ``.csv``,
        ``.csv.gz``, ``.parquet``, ``.pq``, and OCEL 2.0 ``.jsonocel``,
        ``.xmlocel``, ``.sqlite``.
    columns : Columns, optional
        Column (or XES attribute; ``case:<key>`` for trace attributes) of each
        role; default: detected from pm4py and common names.
    **column_keys
        The same as pm4py's keywords instead: ``case_id_key``,
        ``activity_key``, ``timestamp_key``, ``resource_key``, ``unit_key``,
        ``process_key``.
    max_bytes : int, optional
        Largest decompressed size of one file. Default: the environment
        variable ``DIVERGENCE_MAX_INPUT_BYTES``, else 4 GiB (``DEFAULT_MAX_BYTES``).
    unit_rule : {"first", "last", "most"}, default "first"
        The unit of a case whose unit column changes within it: that of its
        first (last) event naming a unit, or the one most of its events name.
        Every event of a case gets the case's unit; see
        :func:`divergence.io.clean.canonical_events`.
    lifecycle : {"auto", "as-activity", "ignore"}, default "auto"
        What is done with a lifecycle column; see
        :func:`divergence.io.clean.canonical_events`.
    object_type : str, optional
        The OCEL 2.0 object type that plays the case (may be left out for a
        file with one object type); see :mod:`divergence.io.ocel` for the
        flattening rule. The source record of an OCEL file holds ``ocel``:
        the object type used, the events shared by several objects, ...
    meanwhile : callable, optional
        Work for this process while worker processes read the files (the
        CLI imports the later stages' libraries, :mod:`divergence.warmup`);
        with it, the files are read in workers whatever their size. It is
        run after a serial read when no worker can be started.

    Returns
    -------
    DataFrame
        Columns process, unit, case, activity, timestamp (``datetime64[ns, UTC]``),
        resource, then ``start_timestamp`` when lifecycle start events were
        folded, then the other attributes under their names. Sorted by process,
        unit, case, timestamp and read order. ``attrs["sources"]`` lists
        ``{"path", "sha256", "format", "events"}`` per file in read order.

        Two or more files holding more than :data:`PARALLEL_MIN_BYTES` of
        XES and CSV are read in :data:`PARALLEL_WORKERS` worker processes
        (same result, order, warnings and errors as reading them one by one;
        serial when no worker process can be started).

        The unit of an event is its case's unit (unit column, see
        ``unit_rule``), else its file name without log extensions. Its
        process is its process column, else, for a file found in an input
        folder, the name of the first-level sub-folder holding it, or the
        input folder's own name for a file directly inside it (so each input
        folder is its own process); for files given directly, the file's
        name without log extensions when one file is given so, else the name
        of the folder holding the first of them (they are one process).

    Raises
    ------
    InputError
        A path is missing, unreadable, not a log or not what its extension
        says, too large, malformed or unsafe (XML entities); a folder holds no logs.
    ColumnError
        A required column is missing or ambiguous.
    TimestampError
        A timestamp cannot be parsed.
    EmptyLogError
        A file holds no events (after cleaning).
    """
    jobs = read_jobs(paths, columns=columns, max_bytes=max_bytes, unit_rule=unit_rule, lifecycle=lifecycle,
                     object_type=object_type, **column_keys)
    results = run_jobs(jobs, meanwhile)
    frames = [events for events, _ in results]
    records = [record for _, record in results]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, sort=False)
    frame = _sort(frame)
    frame.attrs["sources"] = records
    return frame


def read_jobs(
    paths: PathArg | Sequence[PathArg],
    *,
    columns: Columns | None = None,
    max_bytes: int | None = None,
    unit_rule: str = "first",
    lifecycle: str = "auto",
    object_type: str | None = None,
    **column_keys: str | None,
) -> list[tuple]:
    """One job per log file found (arguments as :func:`read_logs`), in read order, for :func:`run_jobs`."""
    limit = default_max_bytes() if max_bytes is None else int(max_bytes)
    keys = Columns.resolve(columns, column_keys).by_role()
    from divergence.io.clean import check_read_options

    check_read_options(unit_rule=unit_rule, lifecycle=lifecycle)
    sources = _find_sources(paths)
    fallback_process = loose_process(sources)
    options = {"unit_rule": unit_rule, "lifecycle": lifecycle, "object_type": object_type}
    return [(source, keys, limit, source.process or fallback_process, options) for source in sources]


def run_jobs(jobs: list[tuple], meanwhile: Callable[[], None] | None = None) -> list[tuple[pd.DataFrame, dict]]:
    """``(events, source record)`` of each job's file read, in order (see :func:`read_logs` for when in workers)."""
    return [pair for pairs, _ in run_groups([[job] for job in jobs], meanwhile) for pair in pairs]


def run_groups(groups: list[list[tuple]], meanwhile: Callable[[], None] | None = None,
               then: Callable[[list[tuple[pd.DataFrame, dict]]], Any] | None = None) -> list[tuple[Any, list[dict]]]:
    """Read groups of files (jobs of :func:`read_jobs`), a group at a time per worker, in order.

    Returns, for each group with a file read, ``(pairs, records)``: the
    ``(events, source record)`` of its files read and their records. With
    ``then`` (a module-level function), ``then(pairs)`` is computed where the
    group was read and returned instead of the pairs, so large frames need
    not travel back. OCEL files that need an object type are left out (with
    their warning); none read at all is an error. Workers are used as by
    :func:`read_logs`.
    """
    pooled = meanwhile is not None or _parallel_worth_it([job[0] for group in groups for job in group])
    results = _read_parallel(groups, meanwhile, then) if pooled and PARALLEL_WORKERS > 1 else None
    if results is None:
        results = [_read_group(group, then) for group in groups]
        if meanwhile is not None:
            meanwhile()
    skipped = [reason for _, _, reasons in results for reason in reasons]  # OCEL logs that need --object-type
    results = [(payload, records) for payload, records, _ in results if records]
    if not results:
        raise InputError(skipped[0])
    return results


def _read_group(group: list[tuple], then: Callable | None):
    """``(payload, records, skipped reasons)`` of one group of files (see :func:`run_groups`)."""
    got = []
    for job in group:
        try:
            got.append(_read_one(*job))
        except MemoryError:
            raise InputError(f"{job[0].path}: out of memory while reading the file") from None
    pairs = [g for g in got if not isinstance(g, str)]
    records = [record for _, record in pairs]
    payload = pairs if then is None else (then(pairs) if pairs else None)
    return payload, records, [g for g in got if isinstance(g, str)]


def loose_process(sources) -> str:
    """Process of the files given directly (not found in a folder): one process for all of them.

    Named after the file (without log extensions) when there is one such
    file, else after the folder holding the first of them.
    """
    loose = [s for s in sources if s.process is None]
    if len(loose) == 1:
        return strip_log_suffix(loose[0].path) or "process"
    return (loose[0].path.resolve().parent.name if loose else "") or "process"


def _find_sources(paths: PathArg | Sequence[PathArg]) -> list[_Source]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    items = [Path(p) for p in paths]
    if not items:
        raise InputError("no input: give at least one log file or folder")
    sources: list[_Source] = []
    for item in items:
        if item.is_dir():
            found = _walk(item)
            if not found:
                raise InputError(
                    f"{item}: folder holds no event logs (.xes, .xes.gz, .csv, .csv.gz, .parquet, .pq, .jsonocel, .xmlocel, .sqlite)"
                )
            sources.extend(found)
        elif item.exists():
            fmt = log_format(item)
            if fmt is None:
                raise InputError(
                    f"{item}: unknown file type; expected .xes, .xes.gz, .csv, .csv.gz, .parquet, .pq, "
                    ".jsonocel, .xmlocel or .sqlite (OCEL 2.0)"
                )
            sources.append(_Source(item, fmt, None))
        elif item.is_symlink():
            raise InputError(f"{item}: broken symbolic link")
        else:
            raise InputError(f"{item}: no such file or folder")
    return sources


def _walk(root: Path) -> list[_Source]:
    found: list[_Source] = []

    def fail(exc: OSError) -> None:
        raise InputError(f"{exc.filename}: cannot read the folder ({exc.strerror})")

    own_name = root.resolve().name or "process"
    for folder, dirs, files in os.walk(root, onerror=fail):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        relative = here.relative_to(root).parts
        process = relative[0] if relative else own_name
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = here / name
            fmt = log_format(path)
            if fmt is None:
                continue
            if not os.access(path, os.R_OK) or not path.exists():
                raise InputError(f"{path}: cannot read the file (permission denied or broken link)")
            found.append(_Source(path, fmt, process))
    return sorted(found, key=lambda source: source.path.relative_to(root).parts)


def _read_raw(source: _Source, keys: dict[str, str | None], limit: int, object_type: str | None = None):
    """The raw frame of one file, and the OCEL flattening record (None for other formats)."""
    if source.fmt.startswith("ocel-"):
        from divergence.io.ocel import read_ocel

        wanted = {v for v in keys.values() if v is not None}
        return read_ocel(source.path, source.fmt, object_type=object_type, wanted=wanted, max_bytes=limit)
    return _read_flat(source, keys, limit), None


def _read_flat(source: _Source, keys: dict[str, str | None], limit: int) -> pd.DataFrame:
    if source.fmt == "csv":
        return read_csv(source.path, max_bytes=limit)
    if source.fmt == "parquet":
        return read_parquet(source.path, max_bytes=limit)
    event_keys, trace_keys = wanted_xes_keys(keys)
    return read_xes(source.path, event_keys=event_keys, trace_keys=trace_keys, max_bytes=limit)


def _read_one(source: _Source, keys: dict[str, str | None], limit: int, process: str, options=None):
    """Read, check and canonicalise one file: (events, source record), or the reason it was skipped."""
    options = dict(options or {})
    try:
        raw, ocel = _read_raw(source, keys, limit, options.pop("object_type", None))
    except AmbiguousObjectType as exc:
        if source.process is None:  # named on the command line: the user must choose
            raise
        # found in a folder beside other logs: the rest are analysed, this one is named in a warning
        from divergence.io.ocel import skipped_message

        warn("ocel_skipped", skipped_message(source.path), source.path)
        return str(exc)
    if len(raw) == 0:
        what = "the file holds a header only" if source.fmt == "csv" else "the file holds no events"
        raise EmptyLogError(f"{source.path}: no events ({what})")
    roles = detect_columns([c for c in raw.columns if c != "_row"], keys, source.path)
    events = canonical_events(
        raw, roles, source.path, unit=strip_log_suffix(source.path), process=process, **options
    )
    record = {
        "path": str(source.path),
        "sha256": file_sha256(source.path),
        "format": source.fmt,
        "events": len(events),
    }
    if ocel is not None:
        record["ocel"] = {**ocel, "process": process}
    return events, record


def _parallel_worth_it(sources: list[_Source]) -> bool:
    if len(sources) < 2 or PARALLEL_WORKERS < 2:
        return False
    size = 0
    for source in sources:
        if source.fmt in ("xes", "csv"):
            try:
                size += source.path.stat().st_size
            except OSError:
                return False  # let the serial path report it
    return size > PARALLEL_MIN_BYTES


def _read_parallel(groups: list, meanwhile: Callable[[], None] | None = None, then: Callable | None = None) -> list | None:
    """Read files in worker processes, in order; None when no pool can be had.

    Workers record their warnings and return them with what they read (or the
    :class:`DivergenceError` raised); the parent re-issues the warnings in
    file order and raises the first file's error, as the serial path would
    (``groups`` hold consecutive files, so group order is file order).
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork") if "fork" in methods else None
    try:
        with ProcessPoolExecutor(max_workers=min(PARALLEL_WORKERS, len(groups)), mp_context=context) as pool:
            futures = [pool.submit(_worker, group, then) for group in groups]
            if meanwhile is not None:  # the workers are forked by now: this process is free
                meanwhile()
                meanwhile = None
            out = []
            for future in futures:
                status, payload, caught = future.result()
                for category, message, attrs in caught:
                    category = category if category is not None else DivergenceWarning
                    w = category(message)
                    for name, value in attrs.items():
                        setattr(w, name, value)
                    warnings.warn(w, stacklevel=3)
                if status == "error":
                    for f in futures:
                        f.cancel()
                    raise payload
                out.append(payload)
            return out
    except (BrokenProcessPool, OSError, RuntimeError, ImportError):
        return None  # no worker processes here (sandbox, frozen app): read serially


def _worker(group: list[tuple], then: Callable | None = None):
    """Run :func:`_read_group` in a worker: ("ok"|"error", result or error, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("ok", _read_group(group, then))
        except DivergenceError as exc:
            result = ("error", exc.with_traceback(None))
        except MemoryError:  # in ``then``: the files themselves were read
            where = ", ".join(str(job[0].path) for job in group)
            result = ("error", InputError(f"{where}: out of memory while profiling what was read"))
    msgs = []
    for w in caught:
        category = w.category if issubclass(w.category, DivergenceWarning) else None
        if category is None and not issubclass(w.category, UserWarning):
            continue  # library deprecation noise stays in the worker
        attrs = {k: getattr(w.message, k) for k in ("code", "file", "count") if hasattr(w.message, k)}
        msgs.append((category, str(w.message), attrs))
    return result[0], result[1], msgs


def _sort(frame: pd.DataFrame) -> pd.DataFrame:
    """Events ordered by process, unit, case, timestamp, then input order (one Arrow sort)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def arrow(column: str) -> pa.Array:
        return pa.array(frame[column].array)  # Arrow-backed strings: no copy

    keys = [schema.PROCESS, schema.UNIT, schema.CASE]
    table = pa.table(
        {
            **{k: arrow(k) for k in keys},
            "_ts": pa.array(frame[schema.TIMESTAMP].array.asi8),
            "_order": pa.array(np.arange(len(frame), dtype=np.int64)),
        }
    )
    order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in [*keys, "_ts", "_order"]])
    return frame.drop(columns="_row").take(order.to_numpy()).reset_index(drop=True)

