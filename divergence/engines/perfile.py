"""The pandas engine's read and profile in one pass per file: each file profiled where it is read.

The whole event frame is never built: the worker process that reads a group
of log files (:func:`divergence.io.read.run_groups`; small files are grouped,
:func:`file_groups`) also profiles them (:func:`divergence.profile.profile_units`)
and sends back their profiles, a few tables per unit, instead of every event. The profiling then runs on both
cores beside the reading, the parent process spends no time unpickling and
concatenating events (it imports the later stages' libraries meanwhile,
:mod:`divergence.warmup`), and its memory holds profiles only.

A unit's profile depends on its own cases only, so profiling each group alone
gives the same profiles as profiling all the events at once whenever no
(process, unit) is in more than one group: the usual layout, one file per
unit. Groups that share a (process, unit) (a unit column spread over several
files, say) are read again as one group and profiled together, so the
result is the same in every case; their warnings are not repeated.

Pseudonyms are made in the workers with one key, chosen in the parent.
Activity mappings and ``--complete-only`` work on events, and keep the
road through one event frame (:func:`divergence.engines.step.read_step`).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import pandas as pd

from ..options import Columns, ReadOptions
from ..profile import UnitProfile, profile_units

__all__ = ["read_profiles"]

Profiles = dict[str, dict[str, UnitProfile]]


def read_profiles(inputs: Sequence, columns: Columns, read: ReadOptions, *, key: bytes | str | None = None,
                  pseudonymise: bool = False,
                  meanwhile: Callable[[], None] | None = None) -> tuple[Profiles, list[dict[str, Any]]]:
    """The profiles of the logs ``inputs`` and their source records, each file profiled where it was read.

    Parameters
    ----------
    inputs : sequence of paths
        Log files and folders, as :func:`divergence.read_logs`.
    columns, read : option objects
        Column keys; the unit rule, lifecycle and OCEL object type of ``read``.
    key, pseudonymise
        With ``pseudonymise``, case ids and people are replaced by pseudonyms
        keyed by ``key`` (a random key, with a warning, when None) before
        profiling, as :func:`divergence.privacy.pseudonymise_events`.
    meanwhile : callable, optional
        Work for this process while the workers read (see :func:`divergence.read_logs`).

    Returns
    -------
    profiles : dict
        ``{process: {unit: UnitProfile}}``, equal to
        ``profile_units(read_logs(inputs))`` (pseudonymised first when asked).
    sources : list of dict
        The source record of each file read, in read order.
    """
    from ..io.read import read_jobs, run_groups

    jobs = read_jobs(inputs, columns=columns, unit_rule=read.unit_rule, lifecycle=read.lifecycle,
                     object_type=read.object_type)
    kb = None
    if pseudonymise:
        from ..privacy import _key_bytes

        kb = _key_bytes(key)  # once here: every worker uses the same key
    then = partial(_profile_files, key=kb)
    results = run_groups(file_groups(jobs), meanwhile, then)
    sources = [record for _, records in results for record in records]
    seen = Counter((p, u) for profiles, _ in results for p, units in profiles.items() for u in units)
    shared = {k for k, n in seen.items() if n > 1}
    if not shared:
        return _merged([profiles for profiles, _ in results]), sources
    # groups that share a unit: read again, as one group, and profiled together
    again = [i for i, (profiles, _) in enumerate(results)
             if any((p, u) in shared for p, units in profiles.items() for u in units)]
    paths = {record["path"] for i in again for record in results[i][1]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # said already, on the first read
        [(joint, _)] = run_groups([[job for job in jobs if str(job[0].path) in paths]], None, then)
    kept = [profiles for i, (profiles, _) in enumerate(results) if i not in set(again)]
    return _merged([*kept, joint]), sources


#: Files are read and profiled in groups of consecutive files of about this many bytes on disk
#: (profiling a frame has a fixed cost of about 50 ms), at least :data:`MIN_GROUPS` groups.
GROUP_BYTES = 1024**2
#: Fewest groups (when there are as many files): work for both cores, and some to balance.
MIN_GROUPS = 4


def file_groups(jobs: list[tuple]) -> list[list[tuple]]:
    """The jobs in groups of consecutive files, each about :data:`GROUP_BYTES` (or 1/:data:`MIN_GROUPS` of all)."""
    sizes = []
    for job in jobs:
        try:
            sizes.append(job[0].path.stat().st_size)
        except OSError:
            sizes.append(0)  # the read reports it
    size = min(GROUP_BYTES, sum(sizes) / MIN_GROUPS)
    groups: list[list[tuple]] = []
    filled = size
    for job, n in zip(jobs, sizes):
        if filled >= size:
            groups.append([])
            filled = 0
        groups[-1].append(job)
        filled += n
    return groups


def _profile_files(pairs: list[tuple[pd.DataFrame, dict]], *, key: bytes | None) -> Profiles:
    """The profiles of a group's events (one frame), pseudonymised first when ``key`` is given (run where read)."""
    frames = [events for events, _ in pairs]
    events = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, sort=False)
    if key is not None:
        from ..privacy import pseudonymise_events

        events = pseudonymise_events(events, key)
    return profile_units(events)


def _merged(parts: list[Profiles]) -> Profiles:
    """One ``{process: {unit: profile}}`` from parts that share no (process, unit), both levels sorted."""
    out: Profiles = {}
    for part in parts:
        for p, units in part.items():
            out.setdefault(p, {}).update(units)
    return {p: dict(sorted(units.items())) for p, units in sorted(out.items())}
