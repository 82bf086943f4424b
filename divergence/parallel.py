"""Run independent jobs on both cores: a forked process pool, or this process.

The pipeline is pure Python and numpy; the GIL keeps threads on one core, so
independent pieces of heavy work (transport problems, bootstrap resamples,
drawings) go to forked worker processes. Fork is used only where it is
safe and cheap: on systems that have it and from a single-threaded caller
(forking a threaded process can deadlock); ``spawn`` is never used, because
it would re-run a caller's unguarded script. Jobs reach the workers through
fork's copy of memory, not pickling; only results are pickled back.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

__all__ = ["cores", "can_fork", "fork_map"]

T = TypeVar("T")

_JOB: list = []


def cores() -> int:
    """CPU cores this process may use: ``DIVERGENCE_WORKERS`` if set, else the affinity mask."""
    env = os.environ.get("DIVERGENCE_WORKERS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def can_fork() -> bool:
    """Whether a forked pool is safe here (fork available, caller single-threaded)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def fork_map(fn: Callable[[int], T], n: int, *, workers: int | None = None, chunks: int | None = None) -> list[T]:
    """``[fn(0), ..., fn(n - 1)]``, in a forked pool when it pays, else in this process.

    Parameters
    ----------
    fn : callable
        ``fn(i)``: any callable, closures included (the workers are forks);
        its results must pickle.
    n : int
        Number of jobs.
    workers : int, optional
        Pool size; default :func:`cores`. One worker (or one job) runs here.
    chunks : int, optional
        Jobs sent to a worker at a time (default: split evenly).

    Returns
    -------
    list
        Results in job order. If the pool cannot start (no processes
        allowed) the jobs run in this process.
    """
    workers = min(cores() if workers is None else max(1, int(workers)), n)
    if workers > 1 and can_fork():
        _JOB[:] = [fn]
        try:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                size = chunks or max(1, -(-n // workers))
                return list(pool.map(_run, range(n), chunksize=size))
        except (OSError, BrokenProcessPool):
            pass
        finally:
            _JOB.clear()
    return [fn(i) for i in range(n)]


def _run(i: int):
    return _JOB[0](i)


