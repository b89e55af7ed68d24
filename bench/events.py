"""Events benchmark (issue 4): the ticket race and the public search, over HTTP on daphne.

1. Ticket race: 200 buyers, each with their own account and token, POST
   `/api/v1/events/{id}/tickets {"quantity": 1}` at the same instant for an event with 50
   tickets. Figures: answered requests/s, p50/p99 latency, status counts, tickets sold (must be
   exactly 50, and `tickets_available + sold == tickets_total` in the database).
2. Search: 5,000 events; 32 anonymous clients GET `/api/v1/events/?search=festival` for a
   fixed time. Figures: requests/s, p50/p99 latency, status counts.

Run from the project folder (needs PostgreSQL and Redis on 127.0.0.1):

    .venv/bin/python bench/events.py [--rounds 5] [--buyers 200] [--tickets 50] [--events 5000]
                                     [--clients 32] [--duration 20] [--web 1] [--port 8200]

BENCH_DATABASE_URL / BENCH_REDIS_URL choose the database and Redis db (defaults below).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench_events")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")

import contextlib
import subprocess
import urllib.request
from collections.abc import Iterator

from bench.harness import PY, ROOT, LoadResult, bench_env, ensure_database, http_load

LOG_DIR = ROOT / "bench" / "results"

FESTIVAL_WORDS = ["Festival", "FESTIVAL", "Festival", "Fèstival"]  # one accented spelling still matches
PLACES = [
    ("Tunis", "Cité de la Culture"),
    ("Sousse", "Corniche de Boujaâfar"),
    ("Nabeul", "Centre Culturel International de Hammamet"),
    ("Mahdia", "Amphithéâtre d'El Jem"),
    ("Jendouba", "Basilique de Tabarka"),
    ("Kebili", "Place Hnich, Douz"),
    ("Sfax", "Théâtre de plein air"),
    ("Béja", "Théâtre antique de Dougga"),
]
KINDS = ["Jazz Night", "Film Days", "Esports Night", "Theatre Evening", "Heritage Walk", "Concert", "Art Fair"]
CATEGORIES = ["music", "cinema", "esports", "theatre", "heritage", "music", "art"]


@contextlib.contextmanager
def daphne(env: dict[str, str], port: int) -> Iterator[str]:
    """Like bench.harness.daphne, but the server's stderr goes to a file: a pipe nobody reads
    fills up after 64 KiB of log lines and then blocks the server mid-benchmark."""
    LOG_DIR.mkdir(exist_ok=True)
    log_path = LOG_DIR / f"events-daphne-{port}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(Path(PY).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"daphne did not start; see {log_path}") from None
                    time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"server log: {log_path.relative_to(ROOT)} ({log_path.stat().st_size} bytes)", flush=True)


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def reset_events() -> None:
    from events.models import Bookmark, Event, TicketOrder

    TicketOrder.objects.all().delete()
    Bookmark.objects.all().delete()
    Event.objects.all().delete()


def make_buyers(n: int) -> list[str]:
    """n accounts (created once, kept across runs) and a fresh access token for each."""
    from gamers.models import Gamer
    from gamers.rules import username_key
    from gamers.services import gamer_create, token_pair_for

    tokens = []
    for i in range(n):
        name = f"bench buyer {i:04d}"
        gamer = Gamer.objects.filter(username_key=username_key(name)).first()
        if gamer is None:
            gamer = gamer_create(username=name, email=f"bench-buyer-{i}@example.com", password=None)
        tokens.append(token_pair_for(gamer)["access"])
    return tokens


def organizer():
    from gamers.models import Gamer
    from gamers.services import gamer_create

    return Gamer.objects.filter(username_key="bench organizer").first() or gamer_create(
        username="bench organizer", email="bench-organizer@example.com", password=None
    )


def make_search_events(n: int) -> int:
    """n events, about a third with "festival" (in various cases and accents) in the title or
    description. Returns how many mention it."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from events.models import Event

    owner = organizer()
    now = timezone.now()
    rows, festive = [], 0
    for i in range(n):
        city, location = PLACES[i % len(PLACES)]
        kind = i % len(KINDS)
        title = f"{KINDS[kind]} #{i} in {city}"
        description = "An evening of music, film and games with friends."
        if i % 3 == 0:
            festive += 1
            word = FESTIVAL_WORDS[i % len(FESTIVAL_WORDS)]
            if i % 2:
                title = f"{word} {KINDS[kind]} #{i}"
            else:
                description = f"Part of the summer {word.lower()} programme in {city}."
        event = Event(
            title=title,
            description=description,
            starts_at=now + timedelta(days=1 + i % 300, hours=i % 24),
            location=location,
            city=city,
            category=CATEGORIES[kind],
            image_url=f"https://picsum.photos/seed/bench-{i}/800/450",
            tickets_total=500,
            tickets_available=500 - i % 500,
            ticket_price=Decimal(i % 120),
            organizer=owner,
        )
        event.refresh_derived()  # bulk_create skips save(), which fills the search columns
        rows.append(event)
    Event.objects.bulk_create(rows, batch_size=1000)
    # What autovacuum would soon do after a bulk load (and after the previous run's deletes):
    # fresh planner statistics and no dead rows for the search to scan.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE events_event, events_bookmark, events_ticketorder")
    return festive


def race_event(tickets: int) -> int:
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from events.services import event_create

    event = event_create(
        organizer=organizer(),
        title="Bench race: Carthage opening night",
        starts_at=timezone.now() + timedelta(days=3),
        location="Roman Theatre of Carthage",
        city="Tunis",
        category="festival",
        tickets_total=tickets,
        ticket_price=Decimal("60.00"),
    )
    return event.pk


def check_race(event_id: int) -> tuple[int, int, int, int]:
    """(tickets sold by orders, order rows, tickets_available, tickets_total) from the database."""
    from django.db.models import Sum

    from events.models import Event, TicketOrder

    event = Event.objects.get(pk=event_id)
    orders = TicketOrder.objects.filter(event_id=event_id)
    sold = orders.aggregate(n=Sum("quantity"))["n"] or 0
    return sold, orders.count(), event.tickets_available, event.tickets_total


async def _race(bases: list[str], event_id: int, tokens: list[str]) -> LoadResult:
    """Every buyer connects first, then all send their purchase at the same instant (buyer i
    talks to web process i mod N, as a load balancer would spread them)."""
    import aiohttp

    result = LoadResult()
    start = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=len(tokens))
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # Open one keep-alive connection per buyer first, so the race measures purchases and not
        # TCP set-up (a path that answers 404 without touching the database).
        async def warm(i: int) -> None:
            async with session.get(f"{bases[i % len(bases)]}/api/v1/bench-warm-up") as response:
                await response.read()

        await asyncio.gather(*(warm(i) for i in range(len(tokens))))

        async def buyer(i: int, token: str) -> None:
            url = f"{bases[i % len(bases)]}/api/v1/events/{event_id}/tickets"
            await start.wait()
            began = time.perf_counter()
            headers = {"Authorization": f"Bearer {token}"}
            async with session.post(url, json={"quantity": 1}, headers=headers) as response:
                await response.read()
            result.latencies.append(time.perf_counter() - began)
            result.statuses[response.status] = result.statuses.get(response.status, 0) + 1

        tasks = [asyncio.create_task(buyer(i, token)) for i, token in enumerate(tokens)]
        await asyncio.sleep(0)  # let every buyer reach the start line
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        result.elapsed = time.perf_counter() - began
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--web", type=int, default=1, help="daphne processes (ports port, port+1, ...)")
    parser.add_argument("--port", type=int, default=8200)
    args = parser.parse_args()
    if not (args.port >= 8200 and args.port + args.web - 1 <= 8299):
        parser.error("this benchmark's ports are 8200-8299")

    # Each web process keeps a pool of DB_POOL_MAX_SIZE connections: without one, a burst of 200
    # requests opens 200 connections, past PostgreSQL's max_connections (100) -> 503s.
    env = bench_env(LOG_LEVEL="ERROR", DB_POOL_MAX_SIZE=os.environ.get("DB_POOL_MAX_SIZE", "20"))
    ensure_database(env)
    setup_django(env)
    print(
        f"database {env['DATABASE_URL']}  redis {env['REDIS_URL']}  web processes {args.web}"
        f"  pool {env['DB_POOL_MAX_SIZE']} connections each",
        flush=True,
    )
    reset_events()
    tokens = make_buyers(args.buyers)
    festive = make_search_events(args.events)
    print(f"prepared {args.buyers} buyers and {args.events} events ({festive} mention festival)", flush=True)

    failures = 0
    with contextlib.ExitStack() as stack:
        bases = [stack.enter_context(daphne(env, port=args.port + i)) for i in range(args.web)]
        # -- 1. the ticket race ------------------------------------------------------------
        total = LoadResult()
        for round_no in range(1, args.rounds + 1):
            event_id = race_event(args.tickets)
            result = asyncio.run(_race(bases, event_id, tokens))
            sold, orders, available, tickets_total = check_race(event_id)
            ok = sold == args.tickets and orders == args.tickets and available == 0
            ok = ok and available + sold == tickets_total and result.statuses.get(201, 0) == args.tickets
            failures += not ok
            print(
                result.summary(f"race {round_no}: {args.buyers} buyers / {args.tickets} tickets")
                + f"   sold {sold} in {orders} orders, available {available} {'OK' if ok else 'WRONG'}",
                flush=True,
            )
            total.latencies += result.latencies
            total.elapsed += result.elapsed
            for code, count in result.statuses.items():
                total.statuses[code] = total.statuses.get(code, 0) + count
        print(total.summary(f"race, {args.rounds} rounds (all purchase requests)"), flush=True)
        print(
            f"{'race: successful purchases/s':<48} {args.rounds * args.tickets / total.elapsed:8.1f}"
            f"   (a round: {args.buyers} requests answered in {total.elapsed / args.rounds * 1000:.0f} ms)",
            flush=True,
        )

        # -- 2. search over 5,000 events -----------------------------------------------------
        import json

        urls = [f"{base}/api/v1/events/?search=festival" for base in bases]
        with urllib.request.urlopen(urls[0], timeout=30) as response:
            found = json.loads(response.read())["count"]
        print(f"search=festival finds {found} of the {festive} events that mention it", flush=True)
        failures += found != festive
        http_load(urls, concurrency=args.clients, duration=2.0)  # warm-up
        result = http_load(urls, concurrency=args.clients, duration=args.duration)
        print(result.summary(f"GET /events/?search=festival ({args.events} events, {args.clients} clients)"))
        failures += set(result.statuses) != {200}

    print("RESULT:", "OK" if not failures else f"{failures} check(s) failed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
