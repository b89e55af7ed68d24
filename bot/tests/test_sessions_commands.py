"""`sessions`, `join`, `leave` through discord.py's own parsing, against the real database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from bot.tests.harness import PLAYER_ID, say
from gamers.models import Gamer
from sessions_app.models import Attendance, GameSession, Platform
from sessions_app.tests.factories import AttendanceFactory, GameSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def new_session(*, attendees: int = 0, **fields: Any) -> GameSession:
    session = GameSessionFactory.create(**fields)
    for _ in range(attendees):
        AttendanceFactory(session=session)
    return session


@sync_to_async
def attending(session: GameSession, gamer: Gamer) -> bool:
    return Attendance.objects.filter(session=session, gamer=gamer).exists()


async def link(gamer: Gamer, discord_id: int = PLAYER_ID) -> None:
    await Gamer.objects.filter(pk=gamer.pk).aupdate(discord_id=str(discord_id))


def ts(moment) -> str:
    return f"<t:{int(moment.timestamp())}:f>"


# sessions ---------------------------------------------------------------------------------


async def test_sessions_lists_the_next_joinable_sessions_soonest_first(bot, transcript):
    now = timezone.now()
    later = await new_session(title="Later games", starts_at=now + timedelta(days=3), attendees=2, max_attendees=5)
    sooner = await new_session(
        title="Soon games", game="Rocket League", platform=Platform.XBOX, starts_at=now + timedelta(hours=2)
    )
    await new_session(title="Full games", starts_at=now + timedelta(days=1), max_attendees=1, attendees=1)
    await new_session(title="Switched off", starts_at=now + timedelta(days=1), is_available=False)
    started = await new_session(title="Already started")
    await GameSession.objects.filter(pk=started.pk).aupdate(starts_at=now - timedelta(minutes=5))

    await say(bot, "!sessions")

    box = transcript.last.embed
    assert box.title == "Next sessions"
    assert [f.name for f in box.fields] == [f"{sooner.pk} · Soon games", f"{later.pk} · Later games"]
    soon, late = (f.value for f in box.fields)
    assert "**Rocket League** on Xbox" in soon and "👥 0/10" in soon and ts(sooner.starts_at) in soon
    assert "**Valorant** on PC" in late and "👥 2/5" in late and ts(later.starts_at) in late
    assert f"`!join {sooner.pk}`" in soon, "each line says how to join it"


async def test_sessions_filters_by_game_ignoring_case_and_takes_names_with_spaces(bot, transcript):
    cod = await new_session(title="Squad up", game="Call of Duty")
    await new_session(title="Aim practice", game="Valorant")

    await say(bot, "!sessions call of DUTY")

    box = transcript.last.embed
    assert box.title == "Next sessions · call of DUTY"
    assert [f.name for f in box.fields] == [f"{cod.pk} · Squad up"]


async def test_sessions_shows_ten_and_says_there_are_more(bot, transcript):
    now = timezone.now()
    made = [await new_session(starts_at=now + timedelta(hours=i + 1)) for i in range(12)]

    await say(bot, "!sessions")

    box = transcript.last.embed
    assert [f.name.split(" · ")[0] for f in box.fields] == [str(s.pk) for s in made[:10]]
    assert "more on the website" in box.footer.text


async def test_sessions_with_nothing_to_join_says_so(bot, transcript):
    await new_session(game="Valorant")
    await say(bot, "!sessions chess")
    box = transcript.last.embed
    assert box.fields == []
    assert "No joinable sessions for **chess** right now" in box.description
    assert "`!sessions`" in box.description


async def test_sessions_marks_the_ones_a_linked_player_joined(bot, transcript, gamer):
    mine = await new_session(title="Mine")
    other = await new_session(title="Other", starts_at=timezone.now() + timedelta(days=5))
    await sync_to_async(AttendanceFactory)(session=mine, gamer=gamer)
    await link(gamer)

    await say(bot, "!sessions")

    values = {f.name: f.value for f in transcript.last.embed.fields}
    assert "✅ you're in" in values[f"{mine.pk} · Mine"]
    assert "you're in" not in values[f"{other.pk} · Other"]


async def test_sessions_escapes_markdown_in_titles(bot, transcript):
    session = await new_session(title="**loud** _title_")
    await say(bot, "!sessions")
    assert transcript.last.embed.fields[0].name == f"{session.pk} · \\*\\*loud\\*\\* \\_title\\_"


# join -------------------------------------------------------------------------------------


async def test_join_for_an_unlinked_user_explains_how_to_link(bot, transcript, gamer):
    session = await new_session()
    await say(bot, f"!join {session.pk}")
    assert transcript.last.embed.title == "Link your GameConnect account first"
    assert "`!link CODE`" in transcript.last.embed.description
    assert not await Attendance.objects.filter(session=session).aexists()


async def test_join_adds_the_linked_player_and_shows_the_session(bot, transcript, gamer):
    session = await new_session(title="Friday night", attendees=2, max_attendees=4)
    await link(gamer)

    await say(bot, f"!join {session.pk}")

    box = transcript.last.embed
    assert box.title == "Joined! 🎮"
    assert box.description == "You joined Friday night."
    fields = {f.name: f.value for f in box.fields}
    assert fields["Session"] == f"`{session.pk}` · Friday night"
    assert fields["Game"] == "Valorant on PC"
    assert fields["Attending"] == "3/4"
    assert ts(session.starts_at) in fields["Starts"]
    assert await attending(session, gamer)


async def test_joining_a_full_session_says_it_is_full(bot, transcript, gamer):
    session = await new_session(max_attendees=2, attendees=2)
    await link(gamer)

    await say(bot, f"!join {session.pk}")

    box = transcript.last.embed
    assert box.title == "Can't do that"
    assert box.description == "This session is full."
    assert not await attending(session, gamer)
    assert await Attendance.objects.filter(session=session).acount() == 2


async def test_joining_twice_says_already_joined(bot, transcript, gamer):
    session = await new_session()
    await link(gamer)
    await say(bot, f"!join {session.pk}")
    await say(bot, f"!join {session.pk}")
    assert transcript.last.embed.description == "You already joined this session."
    assert await Attendance.objects.filter(session=session).acount() == 1


async def test_joining_a_switched_off_session_says_why(bot, transcript, gamer):
    session = await new_session(is_available=False)
    await link(gamer)
    await say(bot, f"!join {session.pk}")
    assert transcript.last.embed.description == "This session can't be joined: it is switched off or has started."


@pytest.mark.parametrize("session_id", ["0", "-4", "123456789", "99999999999999999999999"])
async def test_joining_an_unknown_session_says_there_is_none(bot, transcript, gamer, session_id):
    await link(gamer)
    await say(bot, f"!join {session_id}")
    assert transcript.last.embed.title == "Can't do that"
    assert transcript.last.embed.description == "No session with that id."


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("!join abc", "`abc` isn't a number (for `session_id`)."),
        ("!join", "Missing `session_id`."),
        ("!join 1 2", "Too many arguments."),
        ("!leave #1", "`#1` isn't a number (for `session_id`)."),
    ],
)
async def test_join_and_leave_with_bad_arguments_answer_with_usage(bot, transcript, gamer, command, reason):
    await link(gamer)
    await say(bot, command)
    assert len(transcript.sent) == 1
    text = transcript.last.content
    name = command.split()[0]
    assert text == f"{reason}\nUsage: `{name} <session_id>`"


# leave ------------------------------------------------------------------------------------


async def test_leave_removes_the_player_and_shows_the_new_count(bot, transcript, gamer):
    session = await new_session(title="Leaving soon", attendees=1, max_attendees=3)
    await sync_to_async(AttendanceFactory)(session=session, gamer=gamer)
    await link(gamer)

    await say(bot, f"!leave {session.pk}")

    box = transcript.last.embed
    assert box.title == "Left the session"
    assert box.description == "You left Leaving soon."
    assert {f.name: f.value for f in box.fields}["Attending"] == "1/3"
    assert not await attending(session, gamer)


async def test_leaving_a_session_you_did_not_join_says_so(bot, transcript, gamer):
    session = await new_session(attendees=1)
    await link(gamer)
    await say(bot, f"!leave {session.pk}")
    assert transcript.last.embed.description == "You are not attending this session."
    assert await Attendance.objects.filter(session=session).acount() == 1


async def test_leave_for_an_unlinked_user_explains_how_to_link(bot, transcript):
    session = await new_session()
    await say(bot, f"!leave {session.pk}")
    assert transcript.last.embed.title == "Link your GameConnect account first"


async def test_leaving_an_unknown_session_says_there_is_none(bot, transcript, gamer):
    await link(gamer)
    await say(bot, "!leave 987654")
    assert transcript.last.embed.description == "No session with that id."


async def test_join_then_sessions_then_leave_round_trip(bot, transcript, gamer):
    session = await new_session(title="Round trip", max_attendees=2, attendees=1)
    await link(gamer)
    await say(bot, f"!join {session.pk}")
    assert transcript.last.embed.title == "Joined! 🎮"
    await say(bot, "!sessions")  # now full: no longer joinable
    assert transcript.last.embed.fields == []
    await say(bot, f"!leave {session.pk}", author_id=PLAYER_ID)
    await say(bot, "!sessions")
    assert [f.name for f in transcript.last.embed.fields] == [f"{session.pk} · Round trip"]
