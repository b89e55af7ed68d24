"""Demo sessions: ~200 across the seeded games, with attendees, likes and reviews.

Rows are bulk-inserted (a handful of queries in all) and built to respect the invariants the
services enforce: attendees never exceed `max_attendees`, one attendance/like/review per
gamer and session, reviews only from attendees, and only on sessions that already happened.
Bulk inserts bypass the services, so the sessions' counters are recounted from the rows at the
end (one UPDATE), and the list counts are told the tables changed.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from common.counts import count_changed
from common.progress import Progress
from common.seeding import SeedContext
from gamers.models import Gamer
from sessions_app.counters import counters_recount
from sessions_app.models import Attendance, GameSession, Like, Platform, Review
from sessions_app.rules import TREND_WINDOW_DAYS

SESSIONS = 200

GAMES: dict[str, list[str]] = {
    "Call of Duty": ["pc", "playstation", "xbox"],
    "Fortnite": ["pc", "playstation", "xbox", "switch", "mobile"],
    "Valorant": ["pc"],
    "League of Legends": ["pc"],
    "CS:GO": ["pc"],
    "FIFA": ["playstation", "xbox", "pc"],
    "Rocket League": ["pc", "playstation", "xbox", "switch"],
    "Apex Legends": ["pc", "playstation", "xbox"],
    "Minecraft": ["pc", "mobile", "switch", "xbox"],
    "Chess": ["pc", "mobile", "other"],
}
TITLES = [
    "{game} night in {city}",
    "Ranked grind: {game}",
    "Chill {game} session",
    "{game} tournament warm-up",
    "Beginners welcome: {game}",
    "{game} squad wanted",
    "Late-night {game}",
    "{game} weekend cup",
]
CITIES = ["Tunis", "Sfax", "Sousse", "Bizerte", "Nabeul", "Monastir", "Gabès", "Kairouan", "Ariana", "Djerba"]
DESCRIPTIONS = [
    "Bring your best game and good vibes.",
    "Voice chat on Discord, French or Tunisian Arabic.",
    "We play a few rounds, then talk strategy.",
    "No toxicity, everyone learns.",
    "Casual games first, then we try something harder.",
    "",
]
REVIEW_TEXTS = [
    "Great session, well organised.",
    "Fun people, a bit of lag.",
    "Started late but worth it.",
    "Learned a lot, thanks!",
    "Too many no-shows.",
    "Would join again.",
    "",
]
CAPACITIES = [2, 4, 4, 5, 6, 8, 10, 10, 12, 16, 20, 50]


def seed(ctx: SeedContext) -> None:
    gamer_ids = list(Gamer.objects.order_by("id").values_list("id", flat=True))
    if not gamer_ids:
        return
    rng = ctx.rng
    now = timezone.now()
    bar = Progress(SESSIONS, "sessions", ctx.stdout)
    sessions: list[GameSession] = []
    for _ in range(SESSIONS):
        game = rng.choice(list(GAMES))
        platform = rng.choice(GAMES[game])
        # A third already happened (they get reviews), the rest are upcoming.
        starts_at = now + timedelta(hours=rng.randint(-30 * 24, 30 * 24), minutes=rng.choice([0, 15, 30, 45]))
        created_at = min(now, starts_at) - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        sessions.append(
            GameSession(
                title=rng.choice(TITLES).format(game=game, city=rng.choice(CITIES))[:120],
                game=game,
                description=rng.choice(DESCRIPTIONS),
                platform=platform if platform in Platform.values else Platform.OTHER,
                starts_at=starts_at,
                max_attendees=rng.choice(CAPACITIES),
                is_available=rng.random() > 0.08,
                organizer_id=rng.choice(gamer_ids),
                created_at=created_at,
            )
        )
    GameSession.objects.bulk_create(sessions, batch_size=500)
    if not sessions[0].pk:  # backends that don't return ids from bulk inserts
        sessions = list(GameSession.objects.order_by("-id")[:SESSIONS])[::-1]

    attendances: list[Attendance] = []
    likes: list[Like] = []
    reviews: list[Review] = []
    window = now - timedelta(days=TREND_WINDOW_DAYS)  # older likes and joins don't trend
    for session in sessions:
        # The organizer attends (one of the seats; hosting isn't a trending join), as session_create does.
        attendances.append(
            Attendance(
                session=session, gamer_id=session.organizer_id, joined_at=session.created_at, trend_counted=False
            )
        )
        others = [g for g in gamer_ids if g != session.organizer_id]
        fill = rng.choice([0.3, 0.6, 0.8, 1.0, 1.0])
        count = min(len(others), round((session.max_attendees - 1) * fill))
        joined = rng.sample(others, count)
        for gamer_id in joined:
            joined_at = min(now, session.created_at + timedelta(minutes=rng.randint(1, 60 * 24)))
            attendances.append(
                Attendance(session=session, gamer_id=gamer_id, joined_at=joined_at, trend_counted=joined_at >= window)
            )
        for gamer_id in rng.sample(gamer_ids, min(len(gamer_ids), rng.randint(0, 15))):
            likes.append(
                Like(
                    session=session,
                    gamer_id=gamer_id,
                    created_at=session.created_at,
                    trend_counted=session.created_at >= window,
                )
            )
        if session.starts_at < now:
            for gamer_id in joined:
                if rng.random() < 0.5:
                    reviews.append(
                        Review(
                            session=session,
                            author_id=gamer_id,
                            rating=rng.choice([2, 3, 4, 4, 5, 5]),
                            content=rng.choice(REVIEW_TEXTS),
                            created_at=min(now, session.starts_at + timedelta(hours=rng.randint(2, 48))),
                        )
                    )
        bar.advance()
    Attendance.objects.bulk_create(attendances, batch_size=2000)
    Like.objects.bulk_create(likes, batch_size=2000)
    Review.objects.bulk_create(reviews, batch_size=2000)
    counters_recount(session_ids=[session.pk for session in sessions])
    count_changed(GameSession, Attendance)
    bar.finish()
    ctx.say(f"  {len(sessions)} sessions, {len(attendances)} attendances, {len(likes)} likes, {len(reviews)} reviews")
