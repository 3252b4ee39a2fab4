"""The recognizer's worker pool: urgent work (a turn's final) before the rest (partials)."""

import threading

import pytest

from callkit.stt.priority_pool import PriorityPool


def test_urgent_work_goes_before_work_that_came_earlier():
    pool = PriorityPool(1, "test-pool")
    started = threading.Event()
    release = threading.Event()
    ran: list[str] = []

    def block():
        started.set()
        release.wait(10)

    first = pool.submit(block)
    assert started.wait(10)  # the one worker is busy: what follows queues
    later = [pool.submit(ran.append, "partial 1"), pool.submit(ran.append, "partial 2"),
             pool.submit(ran.append, "final", urgent=True),
             pool.submit(ran.append, "partial 3")]
    release.set()
    for future in [first, *later]:
        future.result(10)
    assert ran == ["final", "partial 1", "partial 2", "partial 3"]
    pool.shutdown()


def test_errors_reach_the_caller_and_shutdown_finishes_queued_work():
    pool = PriorityPool(1, "test-pool")
    failing = pool.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result(10)
    done = [pool.submit(lambda i=i: i) for i in range(5)]
    pool.shutdown()
    assert [f.result(0) for f in done] == list(range(5))
    assert not any(t.name.startswith("test-pool") for t in threading.enumerate())
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(print)


def test_an_unused_pool_holds_no_thread():
    PriorityPool(2, "idle-pool").shutdown()
    assert not any(t.name.startswith("idle-pool") for t in threading.enumerate())
