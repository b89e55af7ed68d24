"""Squad board read (issue 17 item 5) on a 1M-entry board: the Redis side, in process.

    BENCH_REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/squad.py

Knobs: BENCH_MEMBERS (1000000), BENCH_SQUAD (500), BENCH_RUNS (200). EMPTIES the Redis database
it is given, then loads one game's all-time board and week board with BENCH_MEMBERS players
(random values, distinct ties; names and dates hashes filled as live boards have them), and
times `leaderboard.selectors.board_squad` (the squad view's whole Redis part: one script doing
ZMSCORE on the squad and ZREVRANK for the members found) for BENCH_SQUAD random members plus 50
without a score, BENCH_RUNS times per board: p50 / p99 and the process CPU per read, next to
one full-board read (ZREVRANGE 0 -1) for scale. The squad's ids (one SQL query on the
attendance indexes) are not part of this figure. Checks each answer against the board's ranks.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from common.redis import get_redis  # noqa: E402
from leaderboard import boards, rules  # noqa: E402
from leaderboard.selectors import board_squad  # noqa: E402

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "1000000"))
SQUAD = int(os.environ.get("BENCH_SQUAD", "500"))
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
CHUNK = 10_000


def load(client, rng: random.Random) -> None:
    all_key = rules.board_key("chess", boards.window_of("all", None))
    week_key = rules.board_key("chess", boards.window_of("week", None))
    ties = list(range(1, MEMBERS + 1))
    rng.shuffle(ties)
    for lo in range(0, MEMBERS, CHUNK):
        pipe = client.pipeline(transaction=False)
        ids = range(lo + 1, min(lo + CHUNK, MEMBERS) + 1)
        pipe.zadd(all_key, {str(u): rules.encode(rng.randrange(0, 2000), ties[u - 1]) for u in ids})
        pipe.zadd(week_key, {str(u): rules.encode(rng.randrange(0, 2000), rng.randrange(0, 86_400_000)) for u in ids})
        pipe.hset(boards.NAMES_KEY, mapping={str(u): f"player{u}" for u in ids})
        pipe.hset(boards.WHEN_KEY, mapping={str(ties[u - 1]): 1_700_000_000_000 + u for u in ids})
        pipe.execute()


def pct(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * p))]


def main() -> None:
    client = get_redis()
    client.flushdb()
    rng = random.Random(17)
    t0 = time.perf_counter()
    load(client, rng)
    print(f"loaded 2 boards x {MEMBERS:,} players in {time.perf_counter() - t0:.1f} s")
    for period in ("all", "week"):
        window = boards.window_of(period, None)
        key = rules.board_key("chess", window)
        wall, cpu = [], []
        for _ in range(RUNS):
            squad = rng.sample(range(1, MEMBERS + 1), SQUAD) + list(range(MEMBERS + 1, MEMBERS + 51))
            c0, w0 = time.process_time(), time.perf_counter()
            rows = board_squad(game="chess", period=period, user_ids=squad)
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert len(rows) == SQUAD, len(rows)
            ranks = [r["board_rank"] for r in rows]
            assert ranks == sorted(ranks) and [r["rank"] for r in rows] == list(range(1, SQUAD + 1))
        spot = rows[SQUAD // 2]
        assert client.zrevrank(key, str(spot["user_id"])) == spot["board_rank"] - 1
        w0 = time.perf_counter()
        client.zrevrange(key, 0, -1, withscores=True)
        scan = (time.perf_counter() - w0) * 1000
        print(
            f"squad of {SQUAD} (+50 without a score) on the {period} board of {MEMBERS:,}: "
            f"p50 {statistics.median(wall):.2f} ms, p99 {pct(wall, 0.99):.2f} ms, "
            f"client CPU {statistics.mean(cpu):.2f} ms/read; one full-board ZREVRANGE: {scan:.0f} ms"
        )
    client.flushdb()


if __name__ == "__main__":
    main()
