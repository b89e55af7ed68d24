"""common.groupcommit: sync callers in threads, one batch in the database at a time."""

from __future__ import annotations

import threading

import pytest

from common.groupcommit import GroupCommit
from testsupport.testing import run_in_threads

WAIT = 10.0


def test_an_idle_runner_writes_a_lone_item_at_once_in_the_callers_thread():
    seen = []

    def work(items):
        seen.append((list(items), threading.get_ident()))
        return [item * 10 for item in items]

    runner = GroupCommit(work)
    assert runner.submit(4) == 40
    assert seen == [([4], threading.get_ident())]
    assert runner.submit(5) == 50
    assert runner.batch_sizes == [1, 1]


def test_items_that_arrive_while_a_batch_runs_go_in_together_and_each_caller_gets_its_own_result():
    n = 12
    first_started, release = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def work(items):
        batches.append(list(items))
        if len(batches) == 1:
            first_started.set()
            assert release.wait(WAIT)
        return [f"done {item}" for item in items]

    runner = GroupCommit(work)
    first = threading.Thread(target=lambda: runner.submit(-1))
    first.start()
    assert first_started.wait(WAIT)

    def others(i):
        if i == 0:  # the releaser: once every other caller has queued behind the running batch
            for _ in range(2000):
                if runner.queued() == n - 1:
                    break
                threading.Event().wait(0.005)
            release.set()
            return None
        return runner.submit(i)

    results = run_in_threads(n, others)
    first.join(WAIT)
    assert results[1:] == [f"done {i}" for i in range(1, n)]
    assert batches[0] == [-1]
    assert sorted(batches[1]) == list(range(1, n)), batches  # everything queued meanwhile: one batch
    assert len(batches) == 2


def test_a_failed_item_fails_only_its_caller_and_a_failed_batch_does_not_stop_the_next():
    calls = []

    def work(items):
        calls.append(list(items))
        if "boom" in items:
            raise RuntimeError("database down")
        return [ValueError(item) if item == "bad" else item.upper() for item in items]

    runner = GroupCommit(work)
    with pytest.raises(ValueError, match="bad"):
        runner.submit("bad")
    assert runner.submit("ok") == "OK"
    with pytest.raises(RuntimeError, match="database down"):
        runner.submit("boom")
    assert runner.submit("after") == "AFTER"


def test_batches_are_capped_and_every_caller_is_answered_under_contention():
    n = 40
    seen: list[int] = []
    lock = threading.Lock()

    def work(items):
        with lock:
            seen.extend(items)
        return [item + 1000 for item in items]

    runner = GroupCommit(work, max_batch=3)
    results = run_in_threads(n, runner.submit)
    assert results == [i + 1000 for i in range(n)]
    assert sorted(seen) == list(range(n))  # each item written exactly once
    assert max(runner.batch_sizes) <= 3
