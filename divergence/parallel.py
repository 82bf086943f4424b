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
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

__all__ = ["cores", "can_fork", "fork_map", "fork_iter", "background", "Background"]

T = TypeVar("T")

_JOB: list = []
_IN_WORKER = False


def cores() -> int:
    """CPU cores this process may use: ``DIVERGENCE_WORKERS`` if set, else the affinity mask."""
    env = os.environ.get("DIVERGENCE_WORKERS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def can_fork() -> bool:
    """Whether a forked pool is safe here: fork available, caller single-threaded, not a worker.

    Workers never fork again: the cores are already in use.
    """
    return not _IN_WORKER and "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


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
    return list(fork_iter(fn, n, workers=workers, chunks=chunks or max(1, -(-n // max(1, workers or cores())))))


def fork_iter(fn: Callable[[int], T], n: int, *, workers: int | None = None, chunks: int = 1) -> Iterator[T]:
    """:func:`fork_map` as a generator: each result as soon as it and all before it are done.

    For progress reporting; a pool that fails to start, or breaks, leaves
    the remaining jobs to this process.
    """
    workers = min(cores() if workers is None else max(1, int(workers)), n)
    given = 0
    if workers > 1 and can_fork():
        _JOB[:] = [fn]
        try:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                size = max(1, int(chunks))
                starts = range(0, n, size)
                futures = {pool.submit(_run_chunk, k, min(n, k + size)): k for k in starts}
                done: dict[int, list] = {}
                for f in as_completed(futures):
                    done[futures[f]] = f.result()
                    while given in done:
                        for r in done.pop(given):
                            given += 1
                            yield r
            return
        except (OSError, BrokenProcessPool):
            pass
        finally:
            _JOB.clear()
    for i in range(given, n):
        yield fn(i)


def _run_chunk(start: int, stop: int) -> list:
    global _IN_WORKER
    _IN_WORKER = True  # in a forked worker from here on
    return [_JOB[0](i) for i in range(start, stop)]




class Background:
    """A job started now in a forked process, its result collected later.

    ``result()`` returns it (re-raising its exception); ``close()`` stops the
    job if its result is no longer wanted (for example when the caller
    failed), so nothing is left running. Where a fork is not possible or
    worthwhile (one core, a threaded caller) the job runs in this process
    when ``result()`` is first called; either way the result is the same.
    """

    def __init__(self, fn: Callable[[], T], *, forked: bool) -> None:
        self._fn = fn
        self._proc = None
        self._conn = None
        self._done = False
        self._value = None
        self.forked = False  # whether the job runs (or ran) in another process
        if forked:
            ctx = multiprocessing.get_context("fork")
            here, there = ctx.Pipe(duplex=False)
            try:
                # a daemon: it cannot outlive this process
                self._proc = ctx.Process(target=_run_background, args=(fn, there), daemon=True)
                self._proc.start()
                self._conn = here
                self.forked = True
            except OSError:
                self._proc = None
                here.close()
            finally:
                there.close()

    def result(self) -> T:
        if not self._done:
            ok, value = True, None
            try:
                if self._conn is not None:
                    try:
                        ok, value = self._conn.recv()
                    except EOFError:  # the worker died (e.g. killed): do it here
                        self._conn = None
                if self._conn is None:
                    value = self._fn()
            finally:
                self.close()
            if not ok:
                raise value
            self._value, self._done = value, True
        return self._value

    def close(self) -> None:
        """Stop the job if it still runs and release the process (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.terminate()
            self._proc.join()
            self._proc = None


def _run_background(fn: Callable, conn) -> None:
    global _IN_WORKER
    _IN_WORKER = True  # in a forked worker from here on
    try:
        out = (True, fn())
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        out = (False, exc)
    conn.send(out)
    conn.close()


def background(fn: Callable[[], T]) -> Background:
    """Start ``fn()`` in a forked process when there is a spare core; see :class:`Background`."""
    return Background(fn, forked=cores() > 1 and can_fork())
