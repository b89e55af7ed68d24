"""The permission matrix: for every API endpoint and every persona, the status the spec says.

One row per (URL name, method). Personas: `anon` (no token), `gamer` (signed in, owns nothing
here), `owner` (a gamer who organises the session and the event, attends the session and wrote
its review), `moderator`, `admin`. A row's `ok` is the status for allowed personas; refused
personas get 401 (anonymous) or 403; `expect` overrides single cells where the spec says
something else (e.g. a 409 because the owner already joined). test_permission_matrix.py runs
every cell on a fresh world and fails when an endpoint has no row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

ANON, GAMER, OWNER, MOD, ADMIN = "anon", "gamer", "owner", "moderator", "admin"
PERSONAS = (ANON, GAMER, OWNER, MOD, ADMIN)
SIGNED_IN = frozenset({GAMER, OWNER, MOD, ADMIN})
EVERYONE = frozenset(PERSONAS)
STAFF = frozenset({MOD, ADMIN})
PASSWORD = "S3cure-pass!"


@dataclass
class World:
    """Objects every cell starts from (made anew for each cell)."""

    owner: Any
    caller: Any  # the persona's user, None for anonymous
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def build_world(owner: Any, caller: Any) -> World:
    from events.services import event_create
    from sessions_app.services import review_create, session_create, session_like

    world = World(owner=owner, caller=caller)
    soon = timezone.now() + timedelta(days=3)
    session = session_create(
        organizer=owner, title="Friday ranked", game="Valorant", platform="pc", starts_at=soon, max_attendees=10
    )
    # The owner attends as the organizer (session_create joins them).
    session_like(session_id=session.pk, user=owner)
    world.objects["session"] = session
    world.objects["review"] = review_create(session_id=session.pk, user=owner, rating=5, content="GG")
    world.objects["event"] = event_create(
        organizer=owner,
        title="Esports night",
        starts_at=soon,
        location="Cité de la Culture",
        city="Tunis",
        tickets_total=100,
        ticket_price=Decimal("15.00"),
    )
    # A sold-out event of the owner's, with the owner's order: check-in, attendees, the waiting
    # list, my ticket and its cancellation (the event above stays without sales: it can be deleted).
    from events.codes import signed_code
    from events.services import ticket_purchase

    world.objects["full_event"] = full = event_create(
        organizer=owner,
        title="Sold-out night",
        starts_at=soon,
        location="Théâtre municipal",
        city="Tunis",
        tickets_total=2,
        ticket_price=Decimal("20.00"),
    )
    world.objects["order"] = order = ticket_purchase(event_id=full.pk, user=owner, quantity=2)
    world.objects["ticket_code"] = signed_code(order.tickets.get(seat=1).code)
    from gamers.services import token_pair_for
    from leaderboard.services import score_submit
    from trivia.models import EntryReport, EntryReporter
    from trivia.services.entries import entry_create

    entry = entry_create(category="Geography", clue="Capital of Tunisia", answer="Tunis", value=30)
    report = EntryReport.objects.create(entry=entry)
    EntryReporter.objects.create(report=report, gamer=owner)
    world.objects["entry"] = entry
    world.objects["report"] = report
    world.objects["score"] = score_submit(user=owner, game="rocket", score=1200)
    score_submit(user=owner, game="chess", score=1200)  # chess is `verified`: a pending self-report

    # The owner's calendar feed key, and a user report of the owner's session by a third gamer.
    from calendars.services import calendar_key_issue
    from conftest import make_gamer
    from moderation.services import report_create

    world.objects["calendar_key"] = calendar_key_issue(user=owner)
    reporter = make_gamer(f"reporter of {owner.pk}")
    world.objects["user_report"] = report_create(
        user=reporter, target_type="session", target_id=session.pk, reason="spam"
    ).report
    from leaderboard.models import Game, Suspension

    world.objects["suspension"] = Suspension.objects.create(
        user=reporter, game=Game.objects.get(slug="rocket"), until=timezone.now() + timedelta(days=1), reason="smurf"
    )

    world.objects["owner_refresh"] = token_pair_for(owner)["refresh"]
    world.objects["caller_refresh"] = token_pair_for(caller)["refresh"] if caller is not None else "not-a-token"
    return world


Body = dict[str, Any] | None


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: Callable[[World], str]
    allowed: frozenset[str]
    ok: int
    body: Callable[[World], Body] = lambda w: None
    expect: dict[str, int] = field(default_factory=dict)
    fmt: str = "json"

    def status_for(self, persona: str) -> int:
        if persona in self.expect:
            return self.expect[persona]
        if persona in self.allowed:
            return self.ok
        return 401 if persona == ANON else 403


def _pending_id(w: World) -> int:
    from leaderboard.models import Score

    return Score.objects.filter(user=w.owner, status="pending").values_list("pk", flat=True).get()


def _game_key(w: World) -> int:
    from leaderboard.keys import key_create

    return key_create(game="chess", name="matrix", by=None)[0].pk


def _future() -> str:
    return (timezone.now() + timedelta(days=5)).isoformat()


def _session_body(w: World) -> Body:
    return {"title": "New session", "game": "Chess", "platform": "pc", "starts_at": _future(), "max_attendees": 4}


def _event_body(w: World) -> Body:
    return {
        "title": "Festival",
        "starts_at": _future(),
        "location": "Amphitheatre",
        "city": "El Jem",
        "category": "festival",
        "tickets_total": 10,
        "ticket_price": "5.00",
    }


def _link_token() -> str:
    from bot.weblink import link_request_create

    return link_request_create(discord_id=424242).token


S = "/api/v1/sessions/{}"
E = "/api/v1/events/{}"

ROWS: list[Row] = [
    # --- accounts (SPEC §2) ---
    Row("auth-register", "POST", lambda w: "/api/v1/auth/register", EVERYONE, 201,
        body=lambda w: {"username": "brand new", "email": "new@example.com", "password": PASSWORD}),
    Row("auth-availability", "GET", lambda w: "/api/v1/auth/availability/free%20name", EVERYONE, 200),
    Row("auth-token", "POST", lambda w: "/api/v1/auth/token", EVERYONE, 200,
        body=lambda w: {"login": w.owner.username, "password": PASSWORD}),
    Row("auth-token-refresh", "POST", lambda w: "/api/v1/auth/token/refresh", EVERYONE, 200,
        body=lambda w: {"refresh": w.owner_refresh}),
    Row("auth-logout", "POST", lambda w: "/api/v1/auth/logout", SIGNED_IN, 204,
        body=lambda w: {"refresh": w.caller_refresh}),
    Row("auth-me", "GET", lambda w: "/api/v1/auth/me", SIGNED_IN, 200),
    Row("auth-me", "PATCH", lambda w: "/api/v1/auth/me", SIGNED_IN, 200, body=lambda w: {"bio": "hi"}),
    Row("auth-me", "DELETE", lambda w: "/api/v1/auth/me", SIGNED_IN, 204, expect={ADMIN: 403}),
    # Social login is not configured in tests: 503 provider_disabled for everyone.
    Row("auth-social", "POST", lambda w: "/api/v1/auth/social/google", EVERYONE, 503,
        body=lambda w: {"code": "abc", "redirect_uri": "http://localhost/cb"}),
    Row("auth-discord-link-code", "POST", lambda w: "/api/v1/auth/discord/link-code", SIGNED_IN, 201),
    # The bot's one-use link page (bot.weblink): a fresh token per cell, bound to the caller.
    Row("auth-discord-link", "POST", lambda w: "/api/v1/auth/discord/link", SIGNED_IN, 200,
        body=lambda w: {"token": _link_token()}),
    Row("auth-discord-link", "DELETE", lambda w: "/api/v1/auth/discord/link", SIGNED_IN, 204),
    # Account lifecycle: forged links are 400 `invalid_token` for everyone.
    Row("auth-email-verify", "POST", lambda w: "/api/v1/auth/email/verify", EVERYONE, 400,
        body=lambda w: {"uid": "MQ", "token": "forged-token"}),
    Row("auth-email-verify-resend", "POST", lambda w: "/api/v1/auth/email/verify/resend", SIGNED_IN, 200),
    Row("auth-password-change", "POST", lambda w: "/api/v1/auth/password/change", SIGNED_IN, 200,
        body=lambda w: {"current_password": PASSWORD, "new_password": "An0ther-lovely-pass"}),
    Row("auth-password-reset", "POST", lambda w: "/api/v1/auth/password/reset", EVERYONE, 202,
        body=lambda w: {"email": w.owner.email}),
    Row("auth-password-reset-confirm", "POST", lambda w: "/api/v1/auth/password/reset/confirm", EVERYONE, 400,
        body=lambda w: {"uid": "MQ", "token": "forged-token", "new_password": "An0ther-lovely-pass"}),
    Row("auth-logout-all", "POST", lambda w: "/api/v1/auth/logout-all", SIGNED_IN, 204),
    Row("gamer-list", "GET", lambda w: "/api/v1/gamers", STAFF, 200),
    Row("gamer-detail", "GET", lambda w: f"/api/v1/gamers/{w.owner.pk}", SIGNED_IN, 200),
    Row("gamer-detail", "DELETE", lambda w: f"/api/v1/gamers/{w.owner.pk}", frozenset({ADMIN}), 204),
    Row("gamer-role", "PUT", lambda w: f"/api/v1/gamers/{w.owner.pk}/role", frozenset({ADMIN}), 200,
        body=lambda w: {"role": "moderator"}),
    Row("my-coins", "GET", lambda w: "/api/v1/me/coins", SIGNED_IN, 200),
    Row("my-notifications", "GET", lambda w: "/api/v1/me/notifications", SIGNED_IN, 200),
    Row("my-notifications-read", "POST", lambda w: "/api/v1/me/notifications/read", SIGNED_IN, 200,
        body=lambda w: {"all": True}),
    # --- gaming sessions (SPEC §3) ---
    # Reading is public (shareable links): list, detail, attendees, reviews.
    Row("session-list", "GET", lambda w: "/api/v1/sessions", EVERYONE, 200),
    Row("session-list", "POST", lambda w: "/api/v1/sessions", SIGNED_IN, 201, body=_session_body),
    Row("session-detail", "GET", lambda w: S.format(w.session.pk), EVERYONE, 200),
    Row("session-detail", "PUT", lambda w: S.format(w.session.pk), frozenset({OWNER, ADMIN}), 200, body=_session_body),
    Row("session-detail", "PATCH", lambda w: S.format(w.session.pk), frozenset({OWNER, ADMIN}), 200,
        body=lambda w: {"title": "Renamed"}),
    Row("session-detail", "DELETE", lambda w: S.format(w.session.pk), frozenset({OWNER, MOD, ADMIN}), 204),
    Row("session-join", "POST", lambda w: S.format(w.session.pk) + "/join", SIGNED_IN, 200, expect={OWNER: 409}),
    # Others don't attend (409 `not_joined`); the organizer can't leave (409 `organizer_cannot_leave`).
    Row("session-leave", "POST", lambda w: S.format(w.session.pk) + "/leave", SIGNED_IN, 409),
    # Nobody waits for a session with free seats: 404 `not_waiting`.
    Row("session-wait", "DELETE", lambda w: S.format(w.session.pk) + "/wait", SIGNED_IN, 404),
    Row("session-attendees", "GET", lambda w: S.format(w.session.pk) + "/attendees", EVERYONE, 200),
    Row("session-like", "POST", lambda w: S.format(w.session.pk) + "/like", SIGNED_IN, 201, expect={OWNER: 409}),
    Row("session-like", "DELETE", lambda w: S.format(w.session.pk) + "/like", SIGNED_IN, 404, expect={OWNER: 204}),
    Row("session-reviews", "GET", lambda w: S.format(w.session.pk) + "/reviews", EVERYONE, 200),
    # Only attendees review: the owner attends (and already reviewed: 409), the others don't (403).
    Row("session-reviews", "POST", lambda w: S.format(w.session.pk) + "/reviews", frozenset({OWNER}), 409,
        body=lambda w: {"rating": 4, "content": "Fun"}),
    Row("session-review-mine", "GET", lambda w: S.format(w.session.pk) + "/reviews/mine", SIGNED_IN, 404,
        expect={OWNER: 200}),
    Row("session-review-mine", "PUT", lambda w: S.format(w.session.pk) + "/reviews/mine", SIGNED_IN, 404,
        body=lambda w: {"rating": 3, "content": "Edited"}, expect={OWNER: 200}),
    Row("session-review-mine", "PATCH", lambda w: S.format(w.session.pk) + "/reviews/mine", SIGNED_IN, 404,
        body=lambda w: {"rating": 2}, expect={OWNER: 200}),
    Row("session-review-mine", "DELETE", lambda w: S.format(w.session.pk) + "/reviews/mine", SIGNED_IN, 404,
        expect={OWNER: 204}),
    Row("review-list", "GET", lambda w: "/api/v1/reviews", STAFF, 200),
    Row("review-detail", "GET", lambda w: f"/api/v1/reviews/{w.review.pk}", STAFF, 200),
    Row("review-detail", "DELETE", lambda w: f"/api/v1/reviews/{w.review.pk}", STAFF, 204),
    Row("my-sessions", "GET", lambda w: "/api/v1/me/sessions", SIGNED_IN, 200),
    # --- events and tickets (SPEC §4) ---
    Row("event-list", "GET", lambda w: "/api/v1/events", EVERYONE, 200),
    Row("event-list", "POST", lambda w: "/api/v1/events", SIGNED_IN, 201, body=_event_body),
    Row("event-detail", "GET", lambda w: E.format(w.event.pk), EVERYONE, 200),
    Row("event-detail", "PATCH", lambda w: E.format(w.event.pk), frozenset({OWNER, ADMIN}), 200,
        body=lambda w: {"title": "Renamed"}),
    Row("event-detail", "DELETE", lambda w: E.format(w.event.pk), frozenset({OWNER, ADMIN}), 204),
    Row("event-tickets", "POST", lambda w: E.format(w.event.pk) + "/tickets", SIGNED_IN, 201,
        body=lambda w: {"quantity": 2}),
    Row("event-bookmark", "POST", lambda w: E.format(w.event.pk) + "/bookmark", SIGNED_IN, 201),
    Row("event-bookmark", "DELETE", lambda w: E.format(w.event.pk) + "/bookmark", SIGNED_IN, 204),
    Row("event-checkin", "POST", lambda w: E.format(w.full_event.pk) + "/checkin", frozenset({OWNER, ADMIN}), 200,
        body=lambda w: {"code": w.ticket_code}),
    Row("event-attendees", "GET", lambda w: E.format(w.full_event.pk) + "/attendees", frozenset({OWNER, ADMIN}), 200),
    Row("event-waitlist", "POST", lambda w: E.format(w.full_event.pk) + "/waitlist", SIGNED_IN, 202,
        body=lambda w: {"quantity": 1}),
    Row("event-waitlist", "DELETE", lambda w: E.format(w.full_event.pk) + "/waitlist", SIGNED_IN, 204),
    Row("my-tickets", "GET", lambda w: "/api/v1/me/tickets", SIGNED_IN, 200),
    # Another user's order is not theirs to see: 404, like one that doesn't exist.
    Row("my-ticket-detail", "GET", lambda w: f"/api/v1/me/tickets/{w.order.pk}", SIGNED_IN, 404, expect={OWNER: 200}),
    Row("my-ticket-cancel", "POST", lambda w: f"/api/v1/me/tickets/{w.order.pk}/cancel", SIGNED_IN, 404,
        expect={OWNER: 200}),
    Row("my-bookmarks", "GET", lambda w: "/api/v1/me/bookmarks", SIGNED_IN, 200),
    # --- live trivia (SPEC §5) ---
    Row("trivia-leaderboard", "GET", lambda w: "/api/v1/trivia/leaderboard", SIGNED_IN, 200),
    Row("trivia-round-current", "GET", lambda w: "/api/v1/trivia/rounds/current", SIGNED_IN, 200),
    Row("trivia-entry-list", "GET", lambda w: "/api/v1/trivia/entries", STAFF, 200),
    Row("trivia-entry-list", "POST", lambda w: "/api/v1/trivia/entries", STAFF, 201,
        body=lambda w: {"category": "Games", "clue": "Plumber hero", "answer": "Mario", "value": 20}),
    Row("trivia-entry-detail", "GET", lambda w: f"/api/v1/trivia/entries/{w.entry.pk}", STAFF, 200),
    Row("trivia-entry-detail", "PATCH", lambda w: f"/api/v1/trivia/entries/{w.entry.pk}", STAFF, 200,
        body=lambda w: {"clue": "Capital city of Tunisia"}),
    Row("trivia-entry-detail", "DELETE", lambda w: f"/api/v1/trivia/entries/{w.entry.pk}", STAFF, 204),
    Row("trivia-report-list", "GET", lambda w: "/api/v1/trivia/reports", STAFF, 200),
    Row("trivia-report-ban", "POST", lambda w: f"/api/v1/trivia/reports/{w.report.pk}/ban", STAFF, 200),
    Row("trivia-report-unban", "POST", lambda w: f"/api/v1/trivia/reports/{w.report.pk}/unban", STAFF, 200),
    Row("trivia-report-dismiss", "POST", lambda w: f"/api/v1/trivia/reports/{w.report.pk}/dismiss", STAFF, 200),
    Row("system-info", "GET", lambda w: "/api/v1/system/info", EVERYONE, 200),
    Row("system-disconnect-everyone", "POST", lambda w: "/api/v1/system/disconnect-everyone", frozenset({ADMIN}), 200),
    # --- leaderboards (SPEC §6) ---
    Row("leaderboard-games", "GET", lambda w: "/api/v1/leaderboard/games", EVERYONE, 200),
    Row("leaderboard-scores", "POST", lambda w: "/api/v1/leaderboard/scores", SIGNED_IN, 201,
        body=lambda w: {"game": "chess", "score": 900}),
    Row("leaderboard-reports", "GET", lambda w: "/api/v1/leaderboard/reports", SIGNED_IN, 200),
    Row("leaderboard-board", "GET", lambda w: "/api/v1/leaderboard/rocket?period=all", EVERYONE, 200),
    Row("leaderboard-me", "GET", lambda w: "/api/v1/leaderboard/rocket/me", SIGNED_IN, 404, expect={OWNER: 200}),
    Row("leaderboard-around-me", "GET", lambda w: "/api/v1/leaderboard/rocket/around-me", SIGNED_IN, 404,
        expect={OWNER: 200}),
    # Signed in: everyone gets their squad's rows (empty when nobody in it has a score).
    Row("leaderboard-squad", "GET", lambda w: "/api/v1/leaderboard/chess/squad?period=week", SIGNED_IN, 200),
    # Moderating the boards: void a score, suspend a player from a game's boards (staff).
    Row("leaderboard-score-void", "DELETE", lambda w: f"/api/v1/leaderboard/scores/{w.score.score_id}", STAFF, 204),
    Row("leaderboard-suspensions", "POST", lambda w: "/api/v1/leaderboard/rocket/suspensions", STAFF, 201,
        body=lambda w: {"user": w.owner.pk, "until": _future(), "reason": "stat padding"}),
    Row("leaderboard-suspensions", "GET", lambda w: "/api/v1/leaderboard/rocket/suspensions", STAFF, 200),
    Row("leaderboard-suspension", "DELETE", lambda w: f"/api/v1/leaderboard/suspensions/{w.suspension.pk}", STAFF, 204),
    # Session results and confirmations (issue 17, helper "results"). Results: the organizer
    # only, and the world's session has not started (409 `not_started`).
    Row("session-results", "POST", lambda w: S.format(w.session.pk) + "/results", frozenset({OWNER}), 409,
        body=lambda w: {"game": "chess", "scores": [{"player": w.owner.pk, "score": 1000}]}),
    # The owner's chess score is pending (chess is verified): staff confirm it, the player can't.
    Row("leaderboard-score-confirm", "POST", lambda w: f"/api/v1/leaderboard/scores/{_pending_id(w)}/confirm", STAFF,
        200),
    # Signed in: staff see every pending score, organizers their attendees', others an empty list.
    Row("leaderboard-scores-pending", "GET", lambda w: "/api/v1/leaderboard/scores/pending", SIGNED_IN, 200),
    # Game-server keys (admins) and score batches (a GameKey, never a user's token: 401 for all).
    Row("leaderboard-game-keys", "GET", lambda w: "/api/v1/leaderboard/games/chess/keys", frozenset({ADMIN}), 200),
    Row("leaderboard-game-keys", "POST", lambda w: "/api/v1/leaderboard/games/chess/keys", frozenset({ADMIN}), 201,
        body=lambda w: {"name": "EU server"}),
    Row("leaderboard-key", "DELETE", lambda w: f"/api/v1/leaderboard/keys/{_game_key(w)}", frozenset({ADMIN}), 204),
    Row("leaderboard-scores-batch", "POST", lambda w: "/api/v1/leaderboard/scores/batch", frozenset(), 401,
        body=lambda w: {"game": "chess", "scores": []}, expect={GAMER: 401, OWNER: 401, MOD: 401, ADMIN: 401}),
    # Seasons (public like the boards; nothing is archived in the matrix's world: 404 `no_season`).
    Row("leaderboard-seasons", "GET", lambda w: "/api/v1/leaderboard/chess/seasons?period=week", EVERYONE, 200),
    Row("leaderboard-season", "GET", lambda w: "/api/v1/leaderboard/chess/seasons/w2026-W49", EVERYONE, 404),
    # --- moderation (SPEC §7) ---
    Row("moderation-log", "GET", lambda w: "/api/v1/moderation/log", STAFF, 200),
    # --- user reports (SPEC §3 "More for sessions") ---
    # The owner reporting their own session is 400 `cannot_report_self`.
    Row("report-create", "POST", lambda w: "/api/v1/reports", SIGNED_IN, 201,
        body=lambda w: {"target_type": "session", "target_id": w.session.pk, "reason": "spam"}, expect={OWNER: 400}),
    Row("moderation-report-list", "GET", lambda w: "/api/v1/moderation/reports", STAFF, 200),
    Row("moderation-report-ban", "POST", lambda w: f"/api/v1/moderation/reports/{w.user_report.pk}/ban", STAFF, 200),
    # Only a banned report can be unbanned: the world's report is open (409 `report_closed`).
    Row("moderation-report-unban", "POST", lambda w: f"/api/v1/moderation/reports/{w.user_report.pk}/unban", STAFF,
        409),
    Row("moderation-report-dismiss", "POST", lambda w: f"/api/v1/moderation/reports/{w.user_report.pk}/dismiss",
        STAFF, 200),
    # --- calendar feed (SPEC §3 "Calendar"): the key authenticates, no token needed ---
    Row("my-calendar-feed", "GET", lambda w: f"/api/v1/me/calendar.ics?key={w.calendar_key}", EVERYONE, 200),
    Row("my-calendar-key", "POST", lambda w: "/api/v1/me/calendar/key", SIGNED_IN, 201),
]  # fmt: skip
