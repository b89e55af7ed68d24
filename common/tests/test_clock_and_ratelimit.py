from common import clock
from common.ratelimit import TokenBucket


def test_token_bucket_allows_burst_then_refills():
    now = [0.0]
    bucket = TokenBucket(rate=2, capacity=3, clock=lambda: now[0])
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5
    assert bucket.allow() and not bucket.allow()


def test_run_ticks_once_runs_every_tick_even_if_one_fails(monkeypatch):
    calls = []
    monkeypatch.setattr(clock, "_ticks", {})
    clock.register_tick("boom", lambda: 1 / 0)
    clock.register_tick("ok", lambda: calls.append("ok"))
    clock.run_ticks_once()
    assert calls == ["ok"]
