"""RFC 5545 output of a calendar feed, written by the `icalendar` library (it escapes text,
folds lines at 75 octets and ends them with CRLF)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import icalendar

from calendars.selectors import CalendarItem

PRODID = "-//GameConnect//Personal calendar feed//EN"
REFRESH = timedelta(hours=1)  # a hint to calendar apps: poll hourly (RFC 7986)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def feed_render(items: Iterable[CalendarItem], *, host: str, site_url: str, name: str) -> bytes:
    """The VCALENDAR of `items`. UIDs are `<kind>-<id>@<host>`, so an item keeps its identity
    from one fetch to the next; DTSTAMP is the item's last change (RFC 5545 §3.8.7.2: without a
    METHOD it means LAST-MODIFIED), so an unchanged feed renders the same bytes."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")  # the same hint in Outlook's words
    for item in items:
        event = icalendar.Event()
        event.add("uid", f"{item.kind}-{item.id}@{host}")
        event.add("dtstamp", _utc(item.modified))
        event.add("last-modified", _utc(item.modified))
        event.add("dtstart", _utc(item.starts_at))
        event.add("dtend", _utc(item.ends_at))
        event.add("summary", item.title)
        event.add("location", item.location)
        event.add("url", site_url.rstrip("/") + item.path)
        event.add("description", item.description)
        event.add("categories", [item.kind])
        calendar.add_component(event)
    return calendar.to_ical()
