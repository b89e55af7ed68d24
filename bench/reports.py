"""Leaderboard reports benchmark (issue 15), on PostgreSQL + Redis, through HAProxy.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gameconnect_bench_reports \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/reports.py

(`make bench BENCH_ARGS=reports` runs it too.) Steps:
1. drop and re-create the bench database, migrate, empty the bench Redis database, and time
   `seed_demo --scores N` (N = BENCH_SCORES, default 1,000,000 over 6 months; the report
   aggregates are derived by the seeder);
2. EXPLAIN ANALYZE of every query of a 180-day report, and one run of the raw GROUP BY the
   reports used before the aggregates, for comparison;
3. HAProxy in front of BENCH_PROCESSES web processes (default 2) of BENCH_SERVER (default uvicorn),
   as `make cluster` runs them; `GET /leaderboard/reports` over the last 180 days, the last day, and 180 days of one game,
   1 client then 32: req/s, p50/p99, server CPU per request;
4. `POST /leaderboard/scores` from 32 clients for BENCH_DURATION (10 s): the write path with
   the aggregates kept in its transaction.
BENCH_REUSE=1 skips step 1. Everything talks to 127.0.0.1 only (ports 8500-8519).
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench_reports")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")

from bench.harness import bench_env, cluster, http_load, manage, server_cpu_seconds  # noqa: E402
from bench.leaderboard import _submit_load, flush_redis, fresh_database, line, tokens  # noqa: E402

PORT = int(os.environ.get("BENCH_REPORTS_PORT", "8500"))
SCORES = int(os.environ.get("BENCH_SCORES", "1000000"))
READ_REQUESTS = int(os.environ.get("BENCH_READ_REQUESTS", "1000"))
DURATION = float(os.environ.get("BENCH_DURATION", "10"))
REUSE = os.environ.get("BENCH_REUSE", "") not in ("", "0")
CLIENTS = 32
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "2"))
SERVER = os.environ.get("BENCH_SERVER", "uvicorn")

EXPLAIN_SCRIPT = """
import time
from datetime import datetime, timedelta, UTC
from django.db import connection
from django.test.utils import CaptureQueriesContext
from leaderboard.reports import report_rows
end = datetime.now(UTC); start = end - timedelta(days=180)
report_rows(start=start, end=end, limit=10, game_id=None)  # warm
with CaptureQueriesContext(connection) as captured:
    t = time.perf_counter(); report_rows(start=start, end=end, limit=10, game_id=None); took = time.perf_counter() - t
print(f"report_rows 180 days: {len(captured)} queries, {took * 1000:.1f} ms")
with connection.cursor() as cursor:
    for q in captured.captured_queries:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
        print("\\n".join(r[0] for r in cursor.fetchall()))
        print("-" * 60)
    old = '''SELECT user_id, game_id, MAX(value), MAX(achieved_at) FROM leaderboard_score
             WHERE achieved_at >= %s AND achieved_at <= %s GROUP BY user_id, game_id'''
    t = time.perf_counter(); cursor.execute("SELECT COUNT(*) FROM (" + old + ") x", [start, end]); pairs = cursor.fetchone()[0]
    print(f"the old raw GROUP BY alone (no ranking): {(time.perf_counter() - t) * 1000:.0f} ms, {pairs} player-game pairs")
"""


def main() -> int:
    env = bench_env(DB_POOL_MAX_SIZE=os.environ.get("BENCH_DB_POOL_MAX_SIZE", "16"))
    print(
        f"database {env['DATABASE_URL']}  redis {env['REDIS_URL']}  scores {SCORES:,}  "
        f"{PROCESSES} {SERVER} process(es) behind HAProxy",
        flush=True,
    )
    figures = []
    if not REUSE:
        fresh_database(env)
        flush_redis(env)
        figures.append(f"seed_demo --scores {SCORES}: {manage('seed_demo', '--scores', str(SCORES), env=env):.1f} s")
    manage("shell", "-c", EXPLAIN_SCRIPT, env=env)
    players = tokens(env, CLIENTS)
    me_token = players[0][1]
    auth = {"Authorization": f"Bearer {me_token}"}
    end = datetime.now(UTC).replace(microsecond=0)

    def query(days: int, game: str = "") -> str:
        start = (end - timedelta(days=days)).isoformat().replace("+00:00", "Z")
        return f"start={start}&end={end.isoformat().replace('+00:00', 'Z')}&limit=10" + (
            f"&game={game}" if game else ""
        )

    results = []
    with cluster(env, processes=PROCESSES, server=SERVER, port=PORT) as base:
        api = f"{base}/api/v1/leaderboard/reports"
        http_load(f"{api}?{query(1)}", concurrency=4, duration=2, headers=auth)  # warm up
        reads = [
            # Baselines: the same stack (server, Django middleware, DRF, throttle) with no report work.
            ("GET /healthz (baseline)", f"{base}/healthz"),
            ("GET /leaderboard/games (baseline)", f"{base}/api/v1/leaderboard/games"),
            ("GET /leaderboard/reports 180 days", f"{api}?{query(180)}"),
            ("GET /leaderboard/reports 1 day", f"{api}?{query(1)}"),
            ("GET /leaderboard/reports 180 days game=cod", f"{api}?{query(180, 'cod')}"),
        ]
        for concurrency in (1, CLIENTS):
            for label, url in reads:
                cpu = server_cpu_seconds(base)
                result = http_load(url, concurrency=concurrency, duration=30, headers=auth, max_requests=READ_REQUESTS)
                results.append(line(f"{label} c={concurrency}", result, server_cpu_seconds(base) - cpu))
                print(results[-1], flush=True)
        cpu = server_cpu_seconds(base)
        submits = asyncio.run(_submit_load(base, players, DURATION))
        results.append(line(f"POST /leaderboard/scores x{CLIENTS} clients", submits, server_cpu_seconds(base) - cpu))
        print(results[-1], flush=True)
    print("\n######## reports figures")
    print("\n".join([*figures, *results]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
