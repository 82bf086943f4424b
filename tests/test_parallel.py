"""Tests of divergence.parallel: forked pools that fall back to this process."""

from __future__ import annotations

import os
import threading

import pytest

from divergence import parallel


@pytest.fixture
def single_threaded(monkeypatch):
    """Other tests (browsers, Spark) may leave threads behind; this test stands for a single-threaded caller."""
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)


def test_fork_map_returns_results_in_job_order_from_closures(single_threaded):
    base = 10
    assert parallel.fork_map(lambda i: (i, base + i * i), 7, workers=2) == [(i, base + i * i) for i in range(7)]


def test_fork_map_runs_jobs_in_other_processes_with_two_workers(single_threaded):
    pids = set(parallel.fork_map(lambda i: os.getpid(), 4, workers=2))
    assert os.getpid() not in pids


def test_fork_map_runs_in_this_process_with_one_worker_or_one_job():
    seen = []
    assert parallel.fork_map(lambda i: seen.append(i) or i, 3, workers=1) == [0, 1, 2]
    assert seen == [0, 1, 2]
    assert parallel.fork_map(lambda i: os.getpid(), 1, workers=2) == [os.getpid()]


def test_fork_map_does_not_fork_from_a_threaded_caller():
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not parallel.can_fork()
        assert set(parallel.fork_map(lambda i: os.getpid(), 4, workers=2)) == {os.getpid()}
    finally:
        stop.set()
        t.join()


def test_workers_setting_overrides_the_cores(monkeypatch):
    monkeypatch.setenv("DIVERGENCE_WORKERS", "3")
    assert parallel.cores() == 3
    monkeypatch.setenv("DIVERGENCE_WORKERS", "zero")
    assert parallel.cores() >= 1


def test_fork_iter_yields_every_result_in_order_with_uneven_chunks(single_threaded):
    assert list(parallel.fork_iter(lambda i: i * 10, 7, workers=2, chunks=3)) == [0, 10, 20, 30, 40, 50, 60]
    assert list(parallel.fork_iter(lambda i: i, 0, workers=2)) == []


def test_workers_do_not_fork_again(single_threaded):
    # a job that asks for its own pool gets its results computed in its own process
    def inner(i):
        return set(parallel.fork_map(lambda k: os.getpid(), 3, workers=2)) == {os.getpid()}

    assert parallel.fork_map(inner, 2, workers=2) == [True, True]


def test_background_job_runs_elsewhere_and_returns_its_result(single_threaded):
    job = parallel.background(lambda: (os.getpid(), sum(range(10))))
    pid, total = job.result()
    assert total == 45 and job.result() == (pid, 45)
    assert (pid != os.getpid()) == job.forked


def test_background_job_runs_here_when_it_cannot_fork(monkeypatch):
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    job = parallel.background(lambda: os.getpid())
    assert not job.forked and job.result() == os.getpid()


def test_background_job_reraises_its_error(single_threaded):
    def boom():
        raise ValueError("no")

    job = parallel.background(boom)
    with pytest.raises(ValueError, match="no"):
        job.result()


def test_closing_a_background_job_stops_it(single_threaded):
    import time

    job = parallel.background(lambda: time.sleep(60))
    assert job.forked
    proc = job._proc
    started = time.monotonic()
    job.close()
    assert time.monotonic() - started < 10 and not proc.is_alive()
    job.close()  # idempotent
