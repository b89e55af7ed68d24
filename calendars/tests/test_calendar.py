"""The personal calendar feed (SPEC §3 "Calendar"): a revocable key, RFC 5545 output, the
sessions I organise or attend and the events I hold tickets for, in a bounded number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calendars.models import CalendarKey
from calendars.services import calendar_key_issue, key_hash
from conftest import ahead, client_for, utc
from events.models import OrderStatus, TicketOrder
from events.tests.factories import EventFactory, sell
from sessions_app.models import GameSession
from sessions_app.tests.factories import AttendanceFactory, GameSessionFactory

pytestmark = pytest.mark.django_db
NOW = ahead(utc(2031, 5, 4, 12))
FEED = "/api/v1/me/calendar.ics"
KEY = "/api/v1/me/calendar/key"


def feed(api: Any, key: str, **headers: Any) -> Any:
    return api.get(FEED, {"key": key}, **headers)


def parse(response: Any) -> icalendar.Calendar:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events_of(calendar: icalendar.Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


# --- the key ----------------------------------------------------------------------------------


def test_key_is_issued_with_an_absolute_feed_url_and_only_its_hash_is_stored(gamer, settings):
    settings.SITE_URL = "https://gameconnect.example"
    response = client_for(gamer).post(KEY)
    assert response.status_code == 201
    key, url = response.data["key"], response.data["url"]
    assert len(key) >= 40
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "gameconnect.example", FEED)
    assert parse_qs(parts.query) == {"key": [key]}
    stored = CalendarKey.objects.get(user=gamer)
    assert stored.key_hash == key_hash(key) and key not in stored.key_hash


def test_key_needs_a_token(api):
    assert api.post(KEY).status_code == 401


def test_a_new_key_revokes_the_old_one(gamer, api):
    old = client_for(gamer).post(KEY).data["key"]
    assert feed(api, old).status_code == 200
    new = client_for(gamer).post(KEY).data["key"]
    assert new != old
    gone = feed(api, old)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    assert feed(api, new).status_code == 200
    assert CalendarKey.objects.filter(user=gamer).count() == 1


@pytest.mark.parametrize("key", ["", "wrong-key", "x" * 5000, "é\x00"])
def test_a_wrong_or_missing_key_is_404(gamer, api, key):
    calendar_key_issue(user=gamer)
    response = feed(api, key)
    assert response.status_code == 404
    assert response.json() == {"detail": "No calendar feed with that key.", "code": "not_found"}
    assert api.get(FEED).status_code == 404  # no key at all


def test_a_deactivated_owners_feed_is_404(gamer, api):
    key = calendar_key_issue(user=gamer)
    gamer.is_active = False
    gamer.save(update_fields=["is_active"])
    assert feed(api, key).status_code == 404


def test_the_key_authenticates_and_a_bearer_token_is_ignored(gamer, other_gamer):
    key = calendar_key_issue(user=gamer)
    # A calendar app sends no token; a stale or foreign token must not turn the feed into a 401.
    client = client_for(other_gamer)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert feed(client, key).status_code == 200


def test_a_client_accepting_only_text_calendar_gets_the_feed_and_its_404(gamer, api):
    key = calendar_key_issue(user=gamer)
    assert parse(feed(api, key, HTTP_ACCEPT="text/calendar"))
    assert feed(api, "nope", HTTP_ACCEPT="text/calendar").status_code == 404


# --- what the feed holds ------------------------------------------------------------------------


@pytest.mark.time_machine(NOW, tick=False)
def test_feed_lists_sessions_i_organise_or_attend_and_events_i_hold_tickets_for(gamer, other_gamer, api, settings):
    settings.SITE_URL = "https://gameconnect.example"
    mine = GameSessionFactory(organizer=gamer, title="My night", game="Chess", starts_at=NOW + timedelta(days=1))
    attended = GameSessionFactory(organizer=other_gamer, title="Their night", starts_at=NOW + timedelta(days=2))
    AttendanceFactory(session=attended, gamer=gamer)
    GameSessionFactory(organizer=other_gamer, title="Not mine")  # neither organised nor attended
    old = GameSessionFactory(organizer=gamer, starts_at=NOW - timedelta(days=91))  # past the window
    recent = GameSessionFactory(organizer=gamer, starts_at=NOW - timedelta(days=89))
    concert = EventFactory(title="Concert", location="Théâtre", city="Sousse", starts_at=NOW + timedelta(days=3))
    sell(concert, gamer, 2)
    sell(concert, gamer, 1)
    sell(EventFactory(title="Their tickets"), other_gamer, 1)
    EventFactory(title="No ticket")

    calendar = parse(feed(api, calendar_key_issue(user=gamer)))

    items = events_of(calendar)
    assert set(items) == {
        f"session-{mine.pk}@gameconnect.example",
        f"session-{attended.pk}@gameconnect.example",
        f"session-{recent.pk}@gameconnect.example",
        f"event-{concert.pk}@gameconnect.example",
    }
    assert f"session-{old.pk}@gameconnect.example" not in items
    session = items[f"session-{mine.pk}@gameconnect.example"]
    assert str(session["SUMMARY"]) == "My night (Chess)"
    assert session.decoded("DTSTART") == NOW + timedelta(days=1)
    assert session.decoded("DTEND") == NOW + timedelta(days=1, hours=2)
    assert str(session["URL"]) == f"https://gameconnect.example/sessions/{mine.pk}"
    assert str(session["LOCATION"]) == "Online (PC)"
    assert str(session["DESCRIPTION"]).startswith("You organise this session.")
    assert str(items[f"session-{attended.pk}@gameconnect.example"]["DESCRIPTION"]).startswith("You are attending.")
    event = items[f"event-{concert.pk}@gameconnect.example"]
    assert str(event["SUMMARY"]) == "Concert"
    assert str(event["LOCATION"]) == "Théâtre, Sousse"
    assert str(event["URL"]) == f"https://gameconnect.example/events/{concert.pk}"
    assert str(event["DESCRIPTION"]).startswith("You hold 3 tickets.")


def test_an_organizer_who_also_attends_appears_once(gamer, api):
    session = GameSessionFactory(organizer=gamer)
    AttendanceFactory(session=session, gamer=gamer)
    assert len(events_of(parse(feed(api, calendar_key_issue(user=gamer))))) == 1


def test_an_empty_feed_is_a_valid_calendar(gamer, api):
    calendar = parse(feed(api, calendar_key_issue(user=gamer)))
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert list(calendar.walk("VEVENT")) == []


# --- RFC 5545 -----------------------------------------------------------------------------------


def test_output_follows_rfc_5545(gamer, api):
    long = "Ünïcödé description, with; commas\nand lines. " * 20
    session = GameSessionFactory(organizer=gamer, title="Tournoi d'été: ☕ & 🎮", description=long)
    sell(EventFactory(description=long), gamer, 1)
    response = feed(api, calendar_key_issue(user=gamer))
    body: bytes = response.content

    lines = body.split(b"\r\n")
    assert body.endswith(b"\r\n") and lines[-1] == b""
    assert b"\n" not in body.replace(b"\r\n", b"")  # every line ends with CRLF, no bare LF
    assert all(len(line) <= 75 for line in lines), max(lines, key=len)  # folded at 75 octets
    assert any(line.startswith(b" ") for line in lines)  # long text was folded, not truncated
    body.decode("utf-8")  # folding never splits a UTF-8 sequence
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-2] == b"END:VCALENDAR"

    calendar = parse(response)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"])
    vevents = list(calendar.walk("VEVENT"))
    assert len(vevents) == 2
    for vevent in vevents:
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL", "DESCRIPTION", "LOCATION"):
            assert prop in vevent, prop
        for prop in ("DTSTAMP", "DTSTART", "DTEND"):
            moment = vevent.decoded(prop)
            assert isinstance(moment, datetime) and moment.utcoffset() == timedelta(0)
            assert vevent[prop].to_ical().endswith(b"Z")  # UTC form, no TZID
        assert vevent.decoded("DTEND") > vevent.decoded("DTSTART")
        assert str(vevent["DESCRIPTION"]).endswith(long.strip())  # escaped and unescaped back intact
    titles = {str(v["SUMMARY"]) for v in vevents}
    assert "Tournoi d'été: ☕ & 🎮 (Valorant)" in titles
    assert len({str(v["UID"]) for v in vevents}) == 2
    assert session.pk


def test_uids_and_bytes_are_stable_between_fetches(gamer, api):
    GameSessionFactory(organizer=gamer)
    sell(EventFactory(), gamer, 1)
    key = calendar_key_issue(user=gamer)
    first = feed(api, key).content
    cache.clear()  # rendered anew, not served from the rendering cache
    assert feed(api, key).content == first


def test_a_non_utc_start_is_written_in_utc(gamer, api):
    from zoneinfo import ZoneInfo

    tunis = datetime(2031, 7, 1, 21, 30, tzinfo=ZoneInfo("Africa/Tunis"))
    GameSessionFactory(organizer=gamer, starts_at=ahead(tunis.astimezone(UTC)))
    (vevent,) = parse(feed(api, calendar_key_issue(user=gamer))).walk("VEVENT")
    assert vevent["DTSTART"].to_ical().endswith(b"T203000Z")


# --- cost -----------------------------------------------------------------------------------------


def _queries_for_feed(api: Any, key: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert feed(api, key).status_code == 200
    return len(captured)


def test_the_feed_costs_the_same_queries_for_200_items_as_for_2(gamer, other_gamer, api):
    key = calendar_key_issue(user=gamer)
    GameSessionFactory(organizer=gamer)
    sell(EventFactory(), gamer, 1)
    few = _queries_for_feed(api, key)

    for i in range(100):
        GameSessionFactory(organizer=gamer if i % 2 else other_gamer)
    for session in GameSessionFactory.create_batch(50, organizer=other_gamer):
        AttendanceFactory(session=session, gamer=gamer)
    for _ in range(48):
        sell(EventFactory(), gamer, 2)
    many_response = feed(api, key)
    assert len(list(parse(many_response).walk("VEVENT"))) == 2 + 50 + 50 + 48
    many = _queries_for_feed(api, key)
    assert many == few <= 3  # the key, the sessions, the events


# --- the rendering cache and conditional GET ----------------------------------------------------


def test_an_unchanged_feed_is_not_rendered_again_and_a_change_shows_at_once(gamer, api, monkeypatch):
    from calendars import feed as feed_module

    session = GameSessionFactory(organizer=gamer, title="Before")
    key = calendar_key_issue(user=gamer)
    renders: list[int] = []
    real = feed_module.feed_render
    monkeypatch.setattr(feed_module, "feed_render", lambda items, **kw: renders.append(1) or real(items, **kw))

    first = feed(api, key).content
    assert feed(api, key).content == first and len(renders) == 1

    GameSession.objects.filter(pk=session.pk).update(title="After", updated_at=timezone.now() + timedelta(seconds=1))
    changed = parse(feed(api, key))
    assert [str(v["SUMMARY"]) for v in changed.walk("VEVENT")] == ["After (Valorant)"]
    sell(EventFactory(), gamer, 1)  # a new ticket: a new item, without any session changing
    assert len(list(parse(feed(api, key)).walk("VEVENT"))) == 2
    assert len(renders) == 3


def test_if_none_match_with_the_etag_is_304_until_the_feed_changes(gamer, api):
    GameSessionFactory(organizer=gamer)
    key = calendar_key_issue(user=gamer)
    etag = feed(api, key)["ETag"]
    assert etag.startswith('"') and len(etag) == 34
    unchanged = api.get(FEED, {"key": key}, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == etag
    GameSessionFactory(organizer=gamer)
    assert api.get(FEED, {"key": key}, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_cache_that_is_down_still_serves_the_feed(gamer, api, monkeypatch):
    from calendars import feed as feed_module

    class Down:
        def get(self, *args: Any) -> Any:
            raise ConnectionError("redis down")

        set = get

    monkeypatch.setattr(feed_module, "cache", Down())
    GameSessionFactory(organizer=gamer)
    assert len(list(parse(feed(api, calendar_key_issue(user=gamer))).walk("VEVENT"))) == 1


def test_a_cancelled_order_takes_its_event_out_of_the_feed(gamer, api):
    kept = EventFactory(title="Kept", starts_at=NOW + timedelta(days=5))
    dropped = EventFactory(title="Dropped", starts_at=NOW + timedelta(days=6))
    sell(kept, gamer, 1)
    order = sell(dropped, gamer, 2)
    TicketOrder.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)

    items = events_of(parse(feed(api, calendar_key_issue(user=gamer))))

    uids = {uid.split("@")[0] for uid in items}
    assert f"event-{kept.pk}" in uids
    assert f"event-{dropped.pk}" not in uids
