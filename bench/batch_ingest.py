"""Game-server batch ingest benchmark (issue 17), on PostgreSQL + Redis, through HAProxy.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gameconnect_bench_batch \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/9 BENCH_PROCESSES=4 .venv/bin/python bench/batch_ingest.py

(`make bench BENCH_ARGS=batch_ingest` runs it too.) Steps:
1. drop and re-create the bench database, migrate, empty the bench Redis database;
2. BENCH_PLAYERS players (default 20,000, bulk-inserted) and one game key per client (`cod`);
3. HAProxy in front of BENCH_PROCESSES web processes (default 4) of BENCH_SERVER (uvicorn), as
   `make cluster` runs them; BENCH_CLIENTS clients (default 16), each with its own key, post
   batches of BENCH_ROWS rows (500) to /api/v1/leaderboard/scores/batch for BENCH_DURATION
   seconds: random players and scores, each row with its own `achieved_at` (so the duplicate
   check runs, as for a real server): scores/s, p50/p99 per batch, server CPU per 1,000 scores;
4. one retried batch (every row `duplicate`) and a check that every created row is in the database.
BENCH_PROFILE=1 also samples one web process with py-spy during the load (bench/results/).
Everything talks to 127.0.0.1 only (ports 8660-8669) and every loop is bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench_batch")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")

from bench.harness import (  # noqa: E402
    CLUSTERS,
    PY,
    LoadResult,
    bench_env,
    cluster,
    percentile,
    proxy_cpu_seconds,
    server_cpu_seconds,
)
from bench.leaderboard import flush_redis, fresh_database  # noqa: E402

PORT = int(os.environ.get("BENCH_BATCH_PORT", "8660"))
PLAYERS = int(os.environ.get("BENCH_PLAYERS", "20000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
ROWS = int(os.environ.get("BENCH_ROWS", "500"))
DURATION = float(os.environ.get("BENCH_DURATION", "20"))
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "4"))
SERVER = os.environ.get("BENCH_SERVER", "uvicorn")
PROFILE = os.environ.get("BENCH_PROFILE", "") not in ("", "0")
GAME, MAX_SCORE = "cod", 100_000

SETUP_SCRIPT = """
import json
from gamers.models import Gamer
from leaderboard.keys import key_create
have = Gamer.objects.filter(username__startswith="ingest ").count()
Gamer.objects.bulk_create(
    [Gamer(username=f"ingest {{i}}", username_key=f"ingest {{i}}", username_skeleton=f"ingest {{i}}",
           email=f"ingest{{i}}@example.com", password="!") for i in range(have, {players})],
    batch_size=5000,
)
ids = list(Gamer.objects.filter(username__startswith="ingest ").values_list("id", flat=True))
keys = [key_create(game="{game}", name=f"bench server {{i}}", by=None)[1] for i in range({clients})]
print(json.dumps({{"ids": ids, "keys": keys}}))
"""

COUNT_SCRIPT = """
from leaderboard.models import Score
print(Score.objects.filter(source="server").count())
"""


def shell(env: dict[str, str], script: str) -> str:
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return out.strip().splitlines()[-1]


class Rows:
    """Batches of distinct rows: every row gets its own instant, one microsecond apart."""

    def __init__(self, ids: list[int], seed: int) -> None:
        self.ids = ids
        self.rng = random.Random(seed)
        self.at = datetime.now(UTC) - timedelta(days=1) + timedelta(seconds=seed)
        self.seed = seed

    def body(self) -> bytes:
        rows = []
        for _ in range(ROWS):
            self.at += timedelta(microseconds=1)
            rows.append(
                {
                    "player": self.rng.choice(self.ids),
                    "score": self.rng.randint(0, MAX_SCORE),
                    "achieved_at": self.at.isoformat(),
                }
            )
        return json.dumps({"game": GAME, "scores": rows}).encode()


async def _ingest(base: str, keys: list[str], ids: list[int], duration: float) -> tuple[LoadResult, int, int]:
    """Each client posts batches back to back with its own key: (per-batch latencies, created, rejected)."""
    import aiohttp

    result = LoadResult()
    counts = {"created": 0, "rejected": 0}
    stop_at = time.perf_counter() + duration

    async def client(key: str, seed: int) -> None:
        rows = Rows(ids, seed)
        headers = {"Authorization": f"GameKey {key}", "Content-Type": "application/json"}
        async with aiohttp.ClientSession(headers=headers) as session:
            while time.perf_counter() < stop_at:
                body = rows.body()
                started = time.perf_counter()
                async with session.post(f"{base}/api/v1/leaderboard/scores/batch", data=body) as response:
                    answer = await response.read()
                result.latencies.append(time.perf_counter() - started)
                result.statuses[response.status] = result.statuses.get(response.status, 0) + 1
                if response.status == 200:
                    for row in json.loads(answer)["results"]:
                        counts[row["status"]] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(key, i) for i, key in enumerate(keys)))
    result.elapsed = time.perf_counter() - started
    return result, counts["created"], counts["rejected"]


async def _retry(base: str, key: str, body: bytes) -> list[str]:
    import aiohttp

    headers = {"Authorization": f"GameKey {key}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(headers=headers) as session:
        codes = []
        for _ in range(2):
            async with session.post(f"{base}/api/v1/leaderboard/scores/batch", data=body) as response:
                codes.append(",".join(sorted({r.get("code", r["status"]) for r in (await response.json())["results"]})))
        return codes


def main() -> int:
    env = bench_env(
        DB_POOL_MAX_SIZE=os.environ.get("BENCH_DB_POOL_MAX_SIZE", "16"),
        THROTTLE_GAME_KEY_RATE="1000000/min",
    )
    print(
        f"database {env['DATABASE_URL']}  redis {env['REDIS_URL']}  {PLAYERS:,} players  {CLIENTS} clients x "
        f"{ROWS} rows/batch  {PROCESSES} {SERVER} process(es) behind HAProxy  DB_POOL_MAX_SIZE={env['DB_POOL_MAX_SIZE']}",
        flush=True,
    )
    fresh_database(env)
    flush_redis(env)
    setup = json.loads(shell(env, SETUP_SCRIPT.format(players=PLAYERS, clients=CLIENTS + 1, game=GAME)))
    ids, keys = setup["ids"], setup["keys"]
    figures = []
    with cluster(env, processes=PROCESSES, server=SERVER, port=PORT) as base:
        asyncio.run(_ingest(base, keys[:CLIENTS], ids, 3))  # warm up: connections, scripts, caches
        profiler = None
        if PROFILE:
            pid = CLUSTERS[base].web_pids()[0]
            out = ROOT / "bench" / "results" / "batch_ingest-profile.txt"
            profiler = subprocess.Popen(
                [str(Path(PY).parent / "py-spy"), "record", "-p", str(pid), "-d", str(int(DURATION)), "-f", "raw",
                 "-o", str(out), "--nonblocking"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        cpu, lb = server_cpu_seconds(base), proxy_cpu_seconds(base)
        load, created, rejected = asyncio.run(_ingest(base, keys[:CLIENTS], ids, DURATION))
        cpu, lb = server_cpu_seconds(base) - cpu, proxy_cpu_seconds(base) - lb
        if profiler is not None:
            profiler.wait(timeout=DURATION + 60)
        per_k = cpu * 1000 / max(created, 1) * 1000
        figures.append(
            f"POST /leaderboard/scores/batch x{CLIENTS} clients, {ROWS} rows: {created / load.elapsed:,.0f} scores/s "
            f"({load.rps:.1f} batches/s)   p50 {percentile(load.latencies, 50) * 1000:.0f} ms   "
            f"p99 {percentile(load.latencies, 99) * 1000:.0f} ms per batch   server CPU {per_k:.0f} ms per 1,000 scores "
            f"(+ HAProxy {lb * 1000 / max(created, 1) * 1000:.1f})   statuses {load.statuses}   rejected rows {rejected}"
        )
        print(figures[-1], flush=True)
        retry = asyncio.run(_retry(base, keys[CLIENTS], Rows(ids, 10_000).body()))
        figures.append(f"the same batch twice: {retry[0]} then {retry[1]}")
    stored = int(shell(env, COUNT_SCRIPT))
    warm = stored - created - ROWS
    figures.append(
        f"rows stored with source=server: {stored:,} (measured {created:,} + warm-up {warm:,} + retry {ROWS})"
    )
    print("\n######## batch_ingest figures")
    print("\n".join(figures))
    return 0 if load.statuses.keys() == {200} and retry[1] == "duplicate" else 1


if __name__ == "__main__":
    raise SystemExit(main())
