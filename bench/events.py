"""Events benchmark: the public search at two data sizes (cost flat in data size), and the ticket race.

1. Search: for each size (default 5,000 and 50,000 events) the events table is refilled with
   realistic Tunisian events (titles, 2-4 sentence descriptions, places; about 1 in 10 mentions
   "festival", in various spellings: *Festival*, *FESTIVAL*, *Fèstival*), a fresh cluster is
   started (HAProxy in front of `--web` processes of `--server`, as `make cluster` runs them), and 32 anonymous clients GET `/api/v1/events/?search=festival` (a page of 20 with its
   count) for a fixed time. Figures per size: requests/s, p50/p99 latency, status counts, the
   server's CPU milliseconds per request (user + system of the web processes, /proc; HAProxy's beside), and
   the larger size's req/s and p99 relative to the smaller one. `GET /healthz` is measured the
   same way just before, as the floor of what any request costs on that server at that moment.
2. Ticket race (`--rounds N`, off by default): per round 200 buyers, each with their own account
   and token, POST `/api/v1/events/{id}/tickets {"quantity": 1}` at the same instant for an event
   with 50 tickets; it checks exactly 50 are sold and `tickets_available + sold == tickets_total`.
3. Check-in (`--checkin-tickets N`, off by default; 5000 in docs/events.md): an event with N tickets
   (orders of 10, written directly), then `--scanners` (8) doors, each on its own keep-alive
   connection with the organizer's token, POST `/api/v1/events/{id}/checkin {"code": <signed code>}`
   for their share of the codes, one after the other, as fast as answers come. Figures: check-ins/s
   over the whole run, p50/p99, server CPU per check-in; then the same doors scan 10% of the codes
   again (every answer must be `409 already_checked_in`); the database must show exactly N scanned.

Run from the project folder (needs PostgreSQL and Redis on 127.0.0.1):

    .venv/bin/python bench/events.py [--sizes 5000,50000] [--clients 32] [--duration 20]
                                     [--web 2] [--server uvicorn] [--port 8200] [--rounds 0] [--profile]
                                     [--checkin-tickets 0] [--scanners 8]

BENCH_DATABASE_URL / BENCH_REDIS_URL choose the database and Redis db (defaults below); the
Redis db is flushed before each size. `--profile` records the server with py-spy during each
timed run (bench/results/events-<size>.txt, py-spy's "raw" collapsed stacks).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench_events")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")

from bench.harness import (
    CLUSTERS,
    PY,
    ROOT,
    LoadResult,
    bench_env,
    cluster,
    ensure_database,
    http_load,
    proxy_cpu_seconds,
    server_cpu_seconds,
)

LOG_DIR = ROOT / "bench" / "results"
SEARCH_PATH = "/api/v1/events/?search=festival"

# -- realistic events -----------------------------------------------------------------------

PLACES = [
    ("Tunis", "Cité de la Culture, avenue Mohamed V"),
    ("Tunis", "Théâtre Municipal de Tunis"),
    ("Tunis", "Médina de Tunis, Dar Lasram"),
    ("Sousse", "Corniche de Boujaâfar"),
    ("Sousse", "Mall of Sousse, event hall"),
    ("Nabeul", "Centre Culturel International de Hammamet"),
    ("Mahdia", "Amphithéâtre d'El Jem"),
    ("Jendouba", "Basilique de Tabarka"),
    ("Kebili", "Place Hnich, Douz"),
    ("Sfax", "Théâtre de plein air de Sfax"),
    ("Béja", "Théâtre antique de Dougga"),
    ("Bizerte", "Fort d'Espagne"),
    ("Tozeur", "Oasis de Tozeur"),
    ("Medenine", "Houmt Souk, Djerba"),
    ("Monastir", "Ribat de Monastir"),
    ("Kairouan", "Grande Mosquée de Kairouan"),
    ("Ariana", "Technopôle El Ghazala"),
    ("Ben Arous", "Salle Omnisport de Radès"),
    ("Gabès", "Théâtre municipal de Gabès"),
    ("Kef", "Kasbah du Kef"),
]
# (title template, category); {city} and {n} are filled in. None of these says "festival".
TITLES = [
    ("{city} Jazz Nights #{n}", "music"),
    ("Malouf evening in {city} ({n})", "music"),
    ("Concert: the {city} symphony orchestra, programme {n}", "music"),
    ("Journées Cinématographiques: {city} screenings {n}", "cinema"),
    ("Open-air cinema in {city}, night {n}", "cinema"),
    ("Théâtre: a new play in {city} ({n})", "theatre"),
    ("Café-théâtre comedy night, {city} #{n}", "theatre"),
    ("{city} Esports Night: Valorant Showdown {n}", "esports"),
    ("EA FC Cup, {city} qualifier {n}", "esports"),
    ("LAN party in {city}: League of Legends weekend {n}", "esports"),
    ("Heritage walk: old {city} ({n})", "heritage"),
    ("Sound and light at the monuments of {city} #{n}", "heritage"),
    ("Art fair: potters and painters of {city} {n}", "art"),
    ("Contemporary dance in {city} ({n})", "art"),
    ("Marathon and 10 km run of {city} #{n}", "sport"),
    ("Derby night in {city} ({n})", "sport"),
    ("Comic & Game Con {city} {n}", "other"),
]
FESTIVAL_TITLES = [
    ("Festival International de {city} #{n}", "festival"),
    ("{city} Summer Festival {n}", "festival"),
    ("FESTIVAL des Arts de {city} ({n})", "festival"),
    ("Fèstival de la Médina, {city} #{n}", "festival"),
]
SENTENCES = [
    "Doors open an hour before the show; seats are not numbered.",
    "A night of Tunisian and Arab music under the stars, with guests from across the Maghreb.",
    "Bring your friends: food stalls, a chill-out corner and late-night jam sessions.",
    "Companies from Tunisia, the Arab world and Africa share the stage for one evening.",
    "Eight teams, one bracket, one night, with big screens and casters in Tounsi and French.",
    "Bring your rig: Rocket League side tournaments and retro corners all weekend.",
    "A guided walk through the medina's alleys, with makroudh tasting at the end.",
    "Falconers, potters and weavers show crafts handed down for centuries.",
    "The programme mixes classics with new works by young Tunisian artists.",
    "Free entry for children under twelve; families welcome.",
    "Parking is limited: the louage station is a ten-minute walk away.",
    "Subtitles in Arabic, French and English for every screening.",
    "Organised with the regional cultural centre and local associations.",
    "The event runs rain or shine; covered seating is available.",
    "Tickets include a welcome drink and the evening's printed programme.",
    "Prize money for the champions, medals for every finisher.",
    "Workshops for young dancers and musicians in the afternoon.",
    "Accessible to wheelchair users; ask the staff at the entrance.",
]
FESTIVAL_SENTENCES = [
    "Part of the summer festival programme of the region.",
    "The closing night of this year's festival, with fireworks over the sea.",
    "A FESTIVAL favourite returns with a brand-new show.",
]


def event_rows(n: int, *, seed: int = 15) -> list[dict[str, object]]:
    """n events' fields, deterministic for a seed: about 6% have "festival" in the title and 4%
    more in the description, the rest never mention it."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    rng = random.Random(seed)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    rows = []
    for i in range(n):
        city, location = rng.choice(PLACES)
        draw = rng.random()
        template, category = rng.choice(FESTIVAL_TITLES if draw < 0.06 else TITLES)
        sentences = rng.sample(SENTENCES, rng.randint(2, 4))
        if 0.06 <= draw < 0.10:
            sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(FESTIVAL_SENTENCES))
        rows.append(
            {
                "title": template.format(city=city, n=i),
                "description": " ".join(sentences),
                "starts_at": now + timedelta(days=1 + rng.randrange(365), hours=rng.randrange(24)),
                "location": location,
                "city": city,
                "category": category,
                "image_url": f"https://picsum.photos/seed/bench-{i}/800/450",
                "tickets_total": 500,
                "tickets_available": 500 - rng.randrange(500),
                "ticket_price": Decimal(rng.randrange(0, 12000)) / 100,
            }
        )
    return rows


# -- plumbing -------------------------------------------------------------------------------


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def reset_events() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE events_ticket, events_waitlistentry, events_ticketorder, events_bookmark, events_event"
        )


def organizer():
    from gamers.models import Gamer
    from gamers.services import gamer_create

    return Gamer.objects.filter(username_key="bench organizer").first() or gamer_create(
        username="bench organizer", email="bench-organizer@example.com", password=None
    )


def fill_events(n: int) -> int:
    """Replace every event with n realistic ones (bulk_create in batches of 5,000). Returns how
    many mention "festival" once folded, i.e. what the search must count."""
    from django.db import connection

    from common.counts import count_changed
    from events.models import Event
    from events.rules import search_terms

    reset_events()
    owner = organizer()
    term = search_terms("festival")[0]
    batch: list[Event] = []
    festive = 0
    for fields in event_rows(n):
        event = Event(organizer=owner, **fields)
        event.refresh_derived()  # bulk_create skips save(), which fills the derived columns
        festive += term in event.search_text
        batch.append(event)
        if len(batch) == 5000:
            Event.objects.bulk_create(batch)
            batch = []
    Event.objects.bulk_create(batch)
    count_changed(Event)  # bulk_create sends no signals: cached list counts must recount
    # What autovacuum would soon do after a bulk load: fresh planner statistics, no dead rows.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE events_event, events_bookmark, events_ticketorder, events_ticket")
    return festive


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@contextlib.contextmanager
def profiling(pid: int, size: int, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    out = LOG_DIR / f"events-{size}.txt"
    spy = subprocess.Popen(
        [
            str(Path(PY).parent / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--gil",
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(2)  # SIGINT: py-spy writes its profile and exits
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spy.kill()
        print(f"  profile: {out.relative_to(ROOT)}", flush=True)


def search_run(env: dict[str, str], size: int, args: argparse.Namespace) -> tuple[LoadResult, float] | None:
    """Fill `size` events, serve them, load the search; (result, server CPU ms per request)."""
    started = time.perf_counter()
    festive = fill_events(size)
    flush_redis(env["REDIS_URL"])
    print(f"{size} events ({festive} mention festival) filled in {time.perf_counter() - started:.1f} s", flush=True)
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(cluster(env, processes=args.web, server=args.server, port=args.port))
        urls = [base + SEARCH_PATH]
        with urllib.request.urlopen(urls[0], timeout=30) as response:
            found = json.loads(response.read())["count"]
        if found != festive:
            print(f"  WRONG: search=festival counts {found}, expected {festive}", flush=True)
            return None
        http_load(urls, concurrency=args.clients, duration=3.0)  # warm-up
        # The floor under the same conditions: GET /healthz (one SELECT 1, one Redis PING).
        cpu_before = server_cpu_seconds(base)
        floor = http_load([base + "/healthz"], concurrency=args.clients, duration=min(10.0, args.duration))
        floor_ms = (server_cpu_seconds(base) - cpu_before) * 1000 / max(1, len(floor.latencies))
        print(f"{floor.summary('  floor: GET /healthz')}   server CPU {floor_ms:.1f} ms/req", flush=True)
        load = os.getloadavg()[0]
        cpu_before, lb_before = server_cpu_seconds(base), proxy_cpu_seconds(base)
        with profiling(CLUSTERS[base].web_pids()[0], size, args.profile):
            result = http_load(urls, concurrency=args.clients, duration=args.duration)
        cpu_ms = (server_cpu_seconds(base) - cpu_before) * 1000 / max(1, len(result.latencies))
        lb_ms = (proxy_cpu_seconds(base) - lb_before) * 1000 / max(1, len(result.latencies))
        label = f"GET {SEARCH_PATH} ({size} events, {args.clients} clients)"
        print(
            f"{result.summary(label)}   server CPU {cpu_ms:.1f} ms/req (HAProxy {lb_ms:.2f})   load avg {load:.1f}",
            flush=True,
        )
        return result, cpu_ms


# -- the ticket race ------------------------------------------------------------------------


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


def race(env: dict[str, str], args: argparse.Namespace) -> int:
    """The ticket race; returns the number of failed checks."""
    tokens = make_buyers(args.buyers)
    failures = 0
    with contextlib.ExitStack() as stack:
        bases = [stack.enter_context(cluster(env, processes=args.web, server=args.server, port=args.port))]
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
    return failures


# -- check-in at the door ---------------------------------------------------------------------


def checkin_event(tickets: int) -> tuple[int, list[str], str]:
    """An event with `tickets` sold in orders of 10 (written directly: the purchase path is the
    race's business), its signed ticket codes in order, and the organizer's access token."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from events.codes import signed_code
    from events.models import Event, Ticket, TicketOrder
    from events.rules import new_order_code, new_ticket_code
    from events.services import event_create
    from gamers.services import token_pair_for

    owner = organizer()
    event = event_create(
        organizer=owner,
        title="Bench check-in: Festival de Carthage closing night",
        starts_at=timezone.now() + timedelta(days=1),
        location="Roman Theatre of Carthage",
        city="Tunis",
        category="festival",
        tickets_total=tickets,
        ticket_price=Decimal("60.00"),
    )
    buyers = make_buyers(50)  # accounts only; their tokens are not used here
    from gamers.models import Gamer

    buyer_ids = list(Gamer.objects.filter(username__startswith="bench buyer").values_list("pk", flat=True)[:50])
    assert len(buyers) == len(buyer_ids) == 50
    orders = [
        TicketOrder(
            code=new_order_code(),
            event=event,
            buyer_id=buyer_ids[i % len(buyer_ids)],
            quantity=min(10, tickets - i * 10),
            unit_price=Decimal("60.00"),
            total_price=Decimal("60.00") * min(10, tickets - i * 10),
        )
        for i in range((tickets + 9) // 10)
    ]
    TicketOrder.objects.bulk_create(orders)
    rows = [
        Ticket(order=order, event=event, code=new_ticket_code(), seat=seat)
        for order in orders
        for seat in range(1, order.quantity + 1)
    ]
    Ticket.objects.bulk_create(rows, batch_size=5000)
    Event.objects.filter(pk=event.pk).update(tickets_available=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE events_ticket, events_ticketorder")
    return event.pk, [signed_code(row.code) for row in rows], token_pair_for(owner)["access"]


async def _scan(base: str, event_id: int, token: str, codes: list[str], scanners: int) -> LoadResult:
    """`scanners` doors, each on its own connection, scan their share of `codes` one by one."""
    import aiohttp

    result = LoadResult()
    connector = aiohttp.TCPConnector(limit=scanners)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/api/v1/events/{event_id}/checkin"
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def door(i: int) -> None:
            for code in codes[i::scanners]:
                began = time.perf_counter()
                async with session.post(url, json={"code": code}) as response:
                    await response.read()
                result.latencies.append(time.perf_counter() - began)
                result.statuses[response.status] = result.statuses.get(response.status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(door(i) for i in range(scanners)))
        result.elapsed = time.perf_counter() - began
    return result


def checkin_run(env: dict[str, str], args: argparse.Namespace) -> int:
    """Check-ins per second at one event; returns the number of failed checks."""
    from events.models import Ticket

    started = time.perf_counter()
    event_id, codes, token = checkin_event(args.checkin_tickets)
    print(f"check-in: {len(codes)} tickets written in {time.perf_counter() - started:.1f} s", flush=True)
    failures = 0
    with cluster(env, processes=args.web, server=args.server, port=args.port) as base:
        http_load(base + "/healthz", concurrency=args.scanners, duration=3)  # warm up
        floor = http_load(base + "/healthz", concurrency=args.scanners, duration=5, cpu_of=base)
        print(floor.summary(f"GET /healthz, {args.scanners} clients (floor)"), flush=True)
        before = (server_cpu_seconds(base), proxy_cpu_seconds(base))
        first = asyncio.run(_scan(base, event_id, token, codes, args.scanners))
        first.server_cpu = server_cpu_seconds(base) - before[0]
        first.proxy_cpu = proxy_cpu_seconds(base) - before[1]
        print(first.summary(f"check-in, {args.scanners} doors, {len(codes)} tickets"), flush=True)
        print(f"{'check-ins per second':<48} {first.statuses.get(200, 0) / first.elapsed:8.1f}", flush=True)
        again = asyncio.run(_scan(base, event_id, token, codes[::10], args.scanners))
        print(again.summary(f"scanned again ({len(codes[::10])} codes: all 409)"), flush=True)
    scanned = Ticket.objects.filter(event_id=event_id, checked_in_at__isnull=False).count()
    ok = first.statuses == {200: len(codes)} and again.statuses == {409: len(codes[::10])} and scanned == len(codes)
    failures += not ok
    print(f"check-in: {scanned} of {len(codes)} tickets scanned once {'OK' if ok else 'WRONG'}", flush=True)
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,50000", help="comma-separated event counts")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--web", type=int, default=2, help="web processes behind HAProxy")
    parser.add_argument("--server", default="uvicorn", choices=("uvicorn", "daphne", "granian"))
    parser.add_argument("--port", type=int, default=8200, help="the balancer's port (web processes on the next ones)")
    parser.add_argument("--profile", action="store_true", help="py-spy record the (first) server")
    parser.add_argument("--rounds", type=int, default=0, help="ticket race rounds (0: no race)")
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--checkin-tickets", type=int, default=0, help="check-in run: tickets of the event (0: none)")
    parser.add_argument("--scanners", type=int, default=8, help="check-in run: concurrent doors")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]

    # Each web process keeps a pool of DB_POOL_MAX_SIZE connections: without one, a burst of 200
    # requests opens 200 connections, past PostgreSQL's max_connections (100) -> 503s.
    env = bench_env(LOG_LEVEL="ERROR", DB_POOL_MAX_SIZE=os.environ.get("DB_POOL_MAX_SIZE", "10"))
    ensure_database(env)
    setup_django(env)
    print(
        f"database {env['DATABASE_URL']}  redis {env['REDIS_URL']}  web processes {args.web}"
        f"  pool {env['DB_POOL_MAX_SIZE']} connections each  cores {os.cpu_count()}",
        flush=True,
    )
    failures = 0
    measured: list[tuple[int, LoadResult, float]] = []
    for size in sizes:
        outcome = search_run(env, size, args)
        if outcome is None or set(outcome[0].statuses) != {200}:
            failures += 1
        if outcome is not None:
            measured.append((size, *outcome))
    if len(measured) >= 2:
        (small, first, _), (large, last, _) = measured[0], measured[-1]
        from bench.harness import percentile

        ratio_rps = first.rps / last.rps if last.rps else float("inf")
        ratio_p99 = percentile(last.latencies, 99) / percentile(first.latencies, 99)
        print(
            f"{large} vs {small} events: req/s {ratio_rps:.2f}x lower, p99 {ratio_p99:.2f}x (flat: both <= 1.3)",
            flush=True,
        )
    if args.rounds:
        failures += race(env, args)
    if args.checkin_tickets:
        failures += checkin_run(env, args)
    print("RESULT:", "OK" if not failures else f"{failures} check(s) failed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
