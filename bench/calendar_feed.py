"""Calendar feed benchmark (issue 21): the feed of a gamer with 200 items, on PostgreSQL + Redis,
through HAProxy.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gameconnect_bench_calendar \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/calendar_feed.py

Steps:
1. drop and re-create the bench database, migrate, and seed: BENCH_BACKGROUND (default 20,000)
   sessions and a tenth as many events of other gamers, then one gamer who organises 100
   sessions, attends 50 and holds tickets for 50 events (200 feed items); issue their feed key;
2. count the queries of one feed (in-process) and its size;
3. HAProxy in front of BENCH_PROCESSES (2) BENCH_SERVER (uvicorn) processes, as `make cluster`
   runs them; `GET /me/calendar.ics?key=` from 1 client, then 8, for BENCH_DURATION (10 s) each:
   req/s, p50/p99, server CPU per request; and a wrong key (the 404 path).
Not `bench/calendar.py`: run as a script, bench/ comes first on sys.path, and a calendar.py there
would stand in for the standard library's `calendar` in every benchmark (aiohttp, Django import it).
BENCH_REUSE=1 skips step 1 (and reads the key from bench/results/calendar-key.txt). Everything
talks to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench_calendar")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")

from bench.harness import PY, bench_env, cluster, http_load, manage  # noqa: E402
from bench.leaderboard import flush_redis, fresh_database  # noqa: E402

BACKGROUND = int(os.environ.get("BENCH_BACKGROUND", "20000"))
DURATION = float(os.environ.get("BENCH_DURATION", "10"))
REUSE = os.environ.get("BENCH_REUSE", "") not in ("", "0")
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "2"))
SERVER = os.environ.get("BENCH_SERVER", "uvicorn")
KEY_FILE = ROOT / "bench" / "results" / "calendar-key.txt"

SEED_SCRIPT = """
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from calendars.services import calendar_key_issue
from events.models import Event, TicketOrder
from events.rules import new_order_code
from gamers.services import gamer_create
from sessions_app.counters import counters_recount
from sessions_app.models import Attendance, GameSession

now = timezone.now()
me = gamer_create(username="calendar owner", email="calendar@example.com", password=None)
host = gamer_create(username="calendar host", email="host@example.com", password=None)
def session(i, organizer):
    return GameSession(title=f"Session {{i}}", game="Valorant", description="Ranked games, voice on Discord. " * 4,
                       platform="pc", starts_at=now + timedelta(hours=i % 2000), max_attendees=10, organizer=organizer)
def event(i):
    return Event(title=f"Event {{i}}", description="An evening to remember. " * 8, starts_at=now + timedelta(days=1 + i % 300),
                 location="Cité de la Culture", city="Tunis", tickets_total=100, tickets_available=98,
                 ticket_price=Decimal("15.00"), organizer=host)
GameSession.objects.bulk_create([session(i, host) for i in range({background})], batch_size=5000)
Event.objects.bulk_create([event(i) for i in range({background} // 10)], batch_size=5000)
mine = GameSession.objects.bulk_create([session(i, me) for i in range(100)])
theirs = list(GameSession.objects.filter(organizer=host).order_by("id")[:50])
Attendance.objects.bulk_create([Attendance(session=s, gamer=me) for s in theirs])
counters_recount(session_ids=[s.pk for s in theirs])
events = list(Event.objects.order_by("id")[:50])
TicketOrder.objects.bulk_create([TicketOrder(code=new_order_code(), event=e, buyer=me, quantity=2,
                                 unit_price=e.ticket_price, total_price=e.ticket_price * 2) for e in events])
print(calendar_key_issue(user=me))
"""

MEASURE_SCRIPT = """
import icalendar
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client()
with CaptureQueriesContext(connection) as captured:
    response = client.get("/api/v1/me/calendar.ics", {{"key": "{key}"}}, HTTP_HOST="127.0.0.1")
items = len(list(icalendar.Calendar.from_ical(response.content).walk("VEVENT")))
print(f"one feed in-process: status {{response.status_code}}, {{items}} items, {{len(response.content):,}} bytes, "
      f"{{len(captured)}} queries")
import time
from calendars.feed import feed_digest, feed_render
from calendars.models import CalendarKey
from calendars.selectors import calendar_items
user_id = CalendarKey.objects.get().user_id
t = time.process_time(); rows = calendar_items(user_id=user_id); selected = time.process_time() - t
t = time.process_time(); feed_render(rows, host="h", site_url="http://h", name="G"); rendered = time.process_time() - t
t = time.process_time(); feed_digest(rows, host="h", site_url="http://h", name="G"); digested = time.process_time() - t
print(f"CPU in-process: select {{selected * 1000:.1f}} ms, render (a cache miss) {{rendered * 1000:.1f}} ms, "
      f"digest (every fetch) {{digested * 1000:.2f}} ms")
"""


def shell(script: str, env: dict[str, str]) -> str:
    out = subprocess.run([PY, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True)
    return out.stdout.decode().strip()


def main() -> int:
    env = bench_env(DB_POOL_MAX_SIZE=os.environ.get("BENCH_DB_POOL_MAX_SIZE", "8"))
    print(f"database {env['DATABASE_URL']}  {PROCESSES} {SERVER} process(es) behind HAProxy", flush=True)
    if REUSE:
        key = KEY_FILE.read_text().strip()
    else:
        fresh_database(env)
        flush_redis(env)
        key = shell(SEED_SCRIPT.format(background=BACKGROUND), env).splitlines()[-1]
        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        KEY_FILE.write_text(key)
        manage("shell", "-c", "from django.db import connection; connection.cursor().execute('ANALYZE')", env=env)
        print(f"seeded {BACKGROUND:,} background sessions, {BACKGROUND // 10:,} events; the owner has 200 items")
    print(shell(MEASURE_SCRIPT.format(key=key), env), flush=True)
    with cluster(env, processes=PROCESSES, server=SERVER) as base:
        url = f"{base}/api/v1/me/calendar.ics?key={key}"
        http_load(url, concurrency=4, duration=2, cpu_of=base)  # warm every process
        for clients in (1, 8):
            result = http_load(url, concurrency=clients, duration=DURATION, cpu_of=base)
            print(result.summary(f"GET /me/calendar.ics (200 items), {clients} client(s)"), flush=True)
        wrong = http_load(f"{base}/api/v1/me/calendar.ics?key=wrong", concurrency=8, duration=DURATION / 2, cpu_of=base)
        print(wrong.summary("GET /me/calendar.ics, wrong key (404), 8 clients"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
