"""Sessions benchmark (issues 3, 15 and 21): list endpoints under load at two data sizes, and a
burst of joins on one session.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gameconnect_bench_sessions \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/sessions.py

(`make bench BENCH_ARGS=sessions` runs it too.) For each data set of `BENCH_SETS` (default
`10k,100k`):
1. create/migrate the bench database and replace its contents (COPY, then VACUUM ANALYZE):
   `10k`: 2,000 gamers, 10,000 sessions, 50,000 attendances, 100,000 likes;
   `100k`: 20,000 gamers, 100,000 sessions, 500,000 attendances, 1,000,000 likes;
   plus, since issue 21, each organizer's attendance of their session, reviews by about half
   of the attendees (1-5 stars, so `-avg_rating` has sessions above and below 3 reviews), and
   like dates spread over the last 14 days (half of them inside the 7-day trending window);
2. serve through HAProxy with 1, then 2 web processes (`BENCH_PROCESSES`, default `1,2`) of
   `BENCH_SERVER` (default uvicorn), as `make cluster` runs them (bench/harness.py `cluster`);
3. for reference, 32 clients for 10 s on `/healthz` and on `/api/v1/auth/me` (the framework's
   floor: server CPU per request without view work, and with authentication and one query);
   32 clients for 20 s on `GET /api/v1/sessions/?ordering=-like_count`, then on
   `?joinable=true&search=...` (search words round-robin), `?ordering=-avg_rating` and
   `?ordering=trending` (`BENCH_LISTS` picks some by these names: `popular,search,top_rated,
   trending`, default all): req/s, p50/p99, SQL queries per request,
   and the server's CPU time per request (user + system of the web processes, /proc; HAProxy's
   is printed beside it);
4. 200 concurrent `POST /sessions/{id}/join` by 200 different gamers on one session with
   `max_attendees=100`: joins/s, and the invariant (rows <= 100, rows == attendee_count shown ==
   distinct gamers == 200 answers; the others are 409 `session_full`).
Each web process keeps a pool of 10 PostgreSQL connections (deploy/cluster.py's default).
The last lines compare the sets (req/s, p99 and CPU per request of the larger over the smaller).

Everything talks to 127.0.0.1 only and every loop is bounded.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench_sessions")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")

from bench.harness import (  # noqa: E402
    LoadResult,
    bench_env,
    cluster,
    ensure_database,
    http_load,
    percentile,
    proxy_cpu_seconds,
    server_cpu_seconds,
)

PORT = int(os.environ.get("BENCH_SESSIONS_PORT", "8100"))  # this benchmark's range: 8100-8199
# name -> (gamers, sessions, attendances, likes)
DATA_SETS: dict[str, tuple[int, int, int, int]] = {
    "10k": (2_000, 10_000, 50_000, 100_000),
    "100k": (20_000, 100_000, 500_000, 1_000_000),
}
SETS = [name.strip() for name in os.environ.get("BENCH_SETS", "10k,100k").split(",") if name.strip()]
CONCURRENCY, DURATION = 32, float(os.environ.get("BENCH_DURATION", "20"))
REFERENCE_SECONDS = float(os.environ.get("BENCH_REFERENCE_DURATION", "10"))
JOINERS, JOIN_SEATS = 200, 100
PROCESSES = [int(n) for n in os.environ.get("BENCH_PROCESSES", "1,2").split(",") if n.strip()]
SERVER = os.environ.get("BENCH_SERVER", "uvicorn")
SEARCHES = ["ranked", "tunis cup", "chill", "valorant night", "apex", "beginners"]
LISTS = [name.strip() for name in os.environ.get("BENCH_LISTS", "popular,search,top_rated,trending").split(",")]

GAMES = [
    "Call of Duty",
    "Fortnite",
    "Valorant",
    "League of Legends",
    "CS:GO",
    "FIFA",
    "Rocket League",
    "Apex Legends",
    "Minecraft",
    "Chess",
]
PLATFORMS = ["pc", "playstation", "xbox", "switch", "mobile", "other"]
CITIES = ["Tunis", "Sfax", "Sousse", "Bizerte", "Nabeul", "Monastir", "Gabes", "Kairouan", "Ariana", "Djerba"]
TITLES = ["{g} night", "Ranked {g}", "Chill {g}", "{g} cup in {c}", "Beginners {g}", "{g} scrims", "Late {g} in {c}"]
WORDS = ["voice chat", "no toxicity", "ranked grind", "casual games", "strategy talk", "tournament practice", "fun"]


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def copy_rows(table_and_columns: str, rows: list[tuple]) -> None:
    """Bulk-load rows with PostgreSQL's COPY (the fastest way in)."""
    from django.db import connection

    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table_and_columns} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def fill(rng: random.Random, size: tuple[int, int, int, int]) -> None:
    """Replace the bench database's accounts and sessions with the generated data set."""
    gamers, sessions, attendances, likes = size
    from django.db import connection
    from django.utils import timezone

    from gamers.models import Gamer
    from sessions_app.models import GameSession

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE sessions_app_like, sessions_app_review, sessions_app_attendance, sessions_app_waitingentry, "
            "sessions_app_gamesession, "
            "gamers_cointransaction, gamers_gamer RESTART IDENTITY CASCADE"
        )
    Gamer.objects.bulk_create(
        [
            Gamer(
                username=f"bench gamer {i}",
                username_key=f"bench gamer {i}",
                email=f"bench{i}@example.com",
                password="!",
                coins=0,
                last_seen=now,  # seen just now: authentication skips its once-a-minute write
            )
            for i in range(gamers)
        ],
        batch_size=2000,
    )
    gamer_ids = list(Gamer.objects.order_by("id").values_list("id", flat=True))
    capacities = [2, 4, 5, 6, 8, 10, 12, 16, 20, 50]
    rows = []
    for i in range(sessions):
        game, city = rng.choice(GAMES), rng.choice(CITIES)
        starts = now + timedelta(minutes=rng.randint(-30 * 24 * 60, 60 * 24 * 60))
        rows.append(
            (
                rng.choice(TITLES).format(g=game, c=city)[:120],
                game,
                f"{rng.choice(WORDS)}, {rng.choice(WORDS)} in {city}.",
                rng.choice(PLATFORMS),
                starts,
                rng.choice(capacities),
                rng.random() > 0.05,
                gamer_ids[i % gamers],
                starts - timedelta(days=rng.randint(1, 30)),
                now,
                0,  # counters: set from the rows once they are in (counters_recount below)
                0,
                0,
                0,
                0,
                0,
            )
        )
    copy_rows(
        "sessions_app_gamesession (title, game, description, platform, starts_at, max_attendees, is_available, "
        "organizer_id, created_at, updated_at, attendee_count, like_count, review_count, rating_sum, "
        "waiting_count, trend_score)",
        rows,
    )
    session_ids = list(GameSession.objects.order_by("id").values_list("id", flat=True))
    capacity = dict(zip(session_ids, (r[5] for r in rows), strict=True))

    # Attendances: the organizer (hosting: not a trending join), then a few per session within
    # the remaining capacity, topped up or trimmed to exactly `attendances` besides the organizers.
    organizer_of = dict(zip(session_ids, (r[7] for r in rows), strict=True))
    copy_rows(
        "sessions_app_attendance (session_id, gamer_id, joined_at, trend_counted)",
        [(s, organizer_of[s], now, False) for s in session_ids],
    )
    capacity = {s: c - 1 for s, c in capacity.items()}
    target = {s: min(capacity[s], rng.randint(0, 10)) for s in session_ids}
    total = sum(target.values())
    while total != attendances:
        s = rng.choice(session_ids)
        if total < attendances and target[s] < capacity[s]:
            target[s], total = target[s] + 1, total + 1
        elif total > attendances and target[s] > 0:
            target[s], total = target[s] - 1, total - 1
    guests = [(s, g) for s, n in target.items() for g in rng.sample(gamer_ids, n + 1) if g != organizer_of[s]]
    seen: dict[int, int] = {}
    attending = []
    for s, g in guests:  # n per session, skipping the organizer if sampled
        if seen.get(s, 0) < target[s]:
            seen[s] = seen.get(s, 0) + 1
            attending.append((s, g))
    copy_rows(
        "sessions_app_attendance (session_id, gamer_id, joined_at, trend_counted)",
        [(s, g, now, True) for s, g in attending],
    )
    # Reviews: about half of the attendees, a session's ratings around its own mean.
    mean = {s: rng.uniform(1.5, 5) for s in session_ids}
    copy_rows(
        "sessions_app_review (session_id, author_id, rating, content, created_at, updated_at)",
        [
            (s, g, max(1, min(5, round(rng.gauss(mean[s], 0.8)))), "GG", now, now)
            for s, g in attending
            if rng.random() < 0.5
        ],
    )

    # Likes: skewed, a few sessions are very popular (so `-like_count` has a real top).
    weights = [1 / (rank + 5) ** 0.8 for rank in range(sessions)]
    shuffled = session_ids[:]
    rng.shuffle(shuffled)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < likes:
        for s in rng.choices(shuffled, weights=weights, k=likes - len(pairs)):
            pairs.add((s, rng.choice(gamer_ids)))
            if len(pairs) == likes:
                break
    week = timedelta(days=7)
    liked = [(s, g, now - timedelta(seconds=rng.randint(0, 14 * 24 * 3600))) for s, g in pairs]
    copy_rows(
        "sessions_app_like (session_id, gamer_id, created_at, trend_counted)",
        [(s, g, at, at > now - week) for s, g, at in liked],
    )

    # COPY bypasses the services: set the counters from the rows (one UPDATE), and tell the
    # cached list counts the tables changed.
    from common.counts import count_changed
    from sessions_app.counters import counters_recount
    from sessions_app.models import Attendance

    counters_recount()
    count_changed(GameSession, Attendance)

    connection.close()
    with connection.cursor() as cursor:  # autocommit: VACUUM can't run in a transaction
        for table in (
            "gamers_gamer",
            "sessions_app_gamesession",
            "sessions_app_attendance",
            "sessions_app_like",
            "sessions_app_review",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def burst_session() -> int:
    """A fresh upcoming session with JOIN_SEATS seats and nobody in it."""
    from django.utils import timezone

    from gamers.models import Gamer
    from sessions_app.models import GameSession

    return GameSession.objects.create(
        title="Join burst",
        game="Chess",
        platform="pc",
        starts_at=timezone.now() + timedelta(days=7),
        max_attendees=JOIN_SEATS,
        organizer=Gamer.objects.latest("id"),
    ).pk


def queries_per_request(path: str, token: str) -> int:
    """SQL statements one request runs, captured in-process against the bench database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    client.get(path)  # warm: the once-a-minute last_seen write
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return len(ctx)


def server_statements(dbname: str) -> int:
    """Committed transactions in the bench database (each autocommit SELECT is one)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [dbname])
        return int(cursor.fetchone()[0])


async def join_burst(base: str, session_id: int, tokens: list[str]) -> tuple[float, list[float], dict[int, int], dict]:
    import aiohttp

    statuses: dict[int, int] = {}
    codes: dict[str, int] = {}
    latencies: list[float] = []
    start = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=len(tokens))
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(token: str) -> None:
            await start.wait()
            began = time.perf_counter()
            async with http.post(
                f"{base}/api/v1/sessions/{session_id}/join", headers={"Authorization": f"Bearer {token}"}
            ) as response:
                body = await response.json(content_type=None)
            latencies.append(time.perf_counter() - began)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            code = body.get("code", "joined") if isinstance(body, dict) else "?"
            codes[code] = codes.get(code, 0) + 1

        tasks = [asyncio.create_task(one(t)) for t in tokens]
        await asyncio.sleep(0)  # every task is now waiting on `start`
        began = time.perf_counter()
        start.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
        elapsed = time.perf_counter() - began
    return elapsed, latencies, statuses, codes


def run_phase(
    label: str, processes: int, env: dict[str, str], dbname: str, reader: str, join_tokens: list[str]
) -> tuple[bool, dict[str, tuple[LoadResult, float]]]:
    """Serve, load the two lists, burst the joins. Returns whether the join invariant held and,
    per list, its load result and the server's CPU milliseconds per request."""
    from sessions_app.models import Attendance
    from sessions_app.selectors import session_detail

    print(f"\n--- {label}", flush=True)
    popular = "/api/v1/sessions/?ordering=-like_count"
    joinable = [f"/api/v1/sessions/?joinable=true&search={s.replace(' ', '+')}" for s in SEARCHES]
    burst_id = burst_session()
    figures: dict[str, tuple[LoadResult, float]] = {}
    with cluster(env, processes=processes, server=SERVER, port=PORT) as base:
        headers = {"Authorization": f"Bearer {reader}"}
        # The framework's floor on the same process: no view work, then authentication + one query.
        for path in ("/healthz", "/api/v1/auth/me"):
            http_load(base + path, concurrency=4, duration=1, headers=headers)
            cpu_before, lb_before = server_cpu_seconds(base), proxy_cpu_seconds(base)
            result = http_load(base + path, concurrency=CONCURRENCY, duration=REFERENCE_SECONDS, headers=headers)
            done = max(len(result.latencies), 1)
            cpu_ms = (server_cpu_seconds(base) - cpu_before) * 1000 / done
            lb_ms = (proxy_cpu_seconds(base) - lb_before) * 1000 / done
            print(result.summary(f"reference GET {path} ({REFERENCE_SECONDS:.0f} s)"), flush=True)
            print(f"{'':<4}server CPU {cpu_ms:.1f} ms/request (web processes), HAProxy {lb_ms:.2f} ms", flush=True)
        lists = {
            "popular": ("GET ?ordering=-like_count", [popular]),
            "search": ("GET ?joinable=true&search=...", joinable),
            "top_rated": ("GET ?ordering=-avg_rating", ["/api/v1/sessions/?ordering=-avg_rating"]),
            "trending": ("GET ?ordering=trending", ["/api/v1/sessions/?ordering=trending"]),
        }
        for name, paths in (lists[key] for key in LISTS):
            http_load([base + p for p in paths], concurrency=4, duration=2, headers=headers)  # warm up
            before = server_statements(dbname)
            cpu_before, lb_before = server_cpu_seconds(base), proxy_cpu_seconds(base)
            result = http_load([base + p for p in paths], concurrency=CONCURRENCY, duration=DURATION, headers=headers)
            cpu_ms = (server_cpu_seconds(base) - cpu_before) * 1000 / max(len(result.latencies), 1)
            lb_ms = (proxy_cpu_seconds(base) - lb_before) * 1000 / max(len(result.latencies), 1)
            time.sleep(1.5)  # backends report their statistics on exit or within a second
            after = server_statements(dbname)
            per_request = max(queries_per_request(p, reader) for p in paths)
            figures[name] = (result, cpu_ms)
            print(result.summary(f"{name} ({CONCURRENCY} clients, {DURATION:.0f} s)"), flush=True)
            print(
                f"{'':<4}server CPU {cpu_ms:.1f} ms/request (web processes), HAProxy {lb_ms:.2f} ms; "
                f"SQL queries per request: "
                f"{per_request} (captured in-process); server counted "
                f"~{(after - before) / max(len(result.latencies), 1):.1f} transactions/request",
                flush=True,
            )
        elapsed, latencies, statuses, codes = asyncio.run(join_burst(base, burst_id, join_tokens))
    rows = Attendance.objects.filter(session_id=burst_id).count()
    distinct = Attendance.objects.filter(session_id=burst_id).values("gamer_id").distinct().count()
    shown = session_detail(session_id=burst_id).attendee_count
    joined = statuses.get(200, 0)
    print(
        f"{JOINERS} concurrent joins, one session (max_attendees={JOIN_SEATS}): {elapsed:.2f} s, "
        f"{JOINERS / elapsed:.1f} join calls/s, {joined / elapsed:.1f} successful joins/s, "
        f"p50 {percentile(latencies, 50) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms",
        flush=True,
    )
    print(f"{'':<4}statuses {dict(sorted(statuses.items()))}  codes {dict(sorted(codes.items()))}", flush=True)
    holds = rows <= JOIN_SEATS and rows == shown == distinct == joined
    print(
        f"{'':<4}invariant: rows={rows} distinct gamers={distinct} attendee_count shown={shown} "
        f"200 answers={joined} max_attendees={JOIN_SEATS} -> {'HOLDS' if holds else 'BROKEN'}",
        flush=True,
    )
    if statuses.get(503):
        print(f"{'':<4}{statuses[503]} calls got 503: the server ran out of database connections", flush=True)
    return holds, figures


def run_set(name: str, env: dict[str, str], dbname: str) -> tuple[bool, dict[str, dict[str, tuple[LoadResult, float]]]]:
    from gamers.models import Gamer
    from gamers.services import token_pair_for
    from sessions_app.models import Attendance, GameSession, Like, Review

    print(f"\n===== data set {name}", flush=True)
    started = time.perf_counter()
    fill(random.Random(2026), DATA_SETS[name])
    print(
        f"data: {Gamer.objects.count()} gamers, {GameSession.objects.count()} sessions, "
        f"{Attendance.objects.count()} attendances (organizers included), {Like.objects.count()} likes, "
        f"{Review.objects.count()} reviews "
        f"(inserted in {time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    gamers = list(Gamer.objects.order_by("id")[:JOINERS])
    reader = token_pair_for(gamers[0])["access"]
    join_tokens = [token_pair_for(g)["access"] for g in gamers]
    print(f"machine load average before the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)

    held = True
    by_phase: dict[str, dict[str, tuple[LoadResult, float]]] = {}
    for processes in PROCESSES:
        label = f"{processes} {SERVER} process{'es' if processes > 1 else ''} behind HAProxy"
        holds, figures = run_phase(f"{name}: {label}", processes, env, dbname, reader, join_tokens)
        held = held and holds
        by_phase[label] = figures
    return held, by_phase


def main() -> int:
    env = bench_env()
    dbname = env["DATABASE_URL"].rsplit("/", 1)[1]
    print(
        f"database {env['DATABASE_URL']}  redis {env['REDIS_URL']}  balancer port {PORT}  sets {SETS}  processes {PROCESSES}",
        flush=True,
    )
    unknown = [name for name in SETS if name not in DATA_SETS]
    if unknown:
        print(f"unknown BENCH_SETS {unknown}; known: {', '.join(DATA_SETS)}", flush=True)
        return 2
    ensure_database(env)
    setup_django(env)

    results = [run_set(name, env, dbname) for name in SETS]
    if len(results) > 1:
        print("\n===== larger set against the smaller (same run)", flush=True)
        small, large = results[0][1], results[-1][1]
        for phase, lists in small.items():
            for list_name, (result, cpu_ms) in lists.items():
                big, big_cpu = large[phase][list_name]
                print(
                    f"{phase}, {list_name}: req/s {big.rps:.1f} / {result.rps:.1f} = "
                    f"{result.rps / max(big.rps, 1e-9):.2f}x slower; "
                    f"p99 {percentile(big.latencies, 99) * 1000:.0f} / {percentile(result.latencies, 99) * 1000:.0f} ms; "
                    f"CPU {big_cpu:.1f} / {cpu_ms:.1f} ms per request",
                    flush=True,
                )
    return 0 if all(held for held, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
