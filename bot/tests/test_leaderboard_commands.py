"""`leaderboard [game] [period]` through discord.py's own parsing, on the real boards."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from bot.tests.harness import say
from common.redis import get_redis
from conftest import ahead, make_gamer, utc
from leaderboard.boards import breaker_reset
from leaderboard.games import catalog_invalidate
from leaderboard.tests.factories import ensure_games, submit

# The boards are per UTC day, ISO week and month: every test starts at one instant, a Wednesday
# noon mid-month (ahead of the real clock, for Redis's expiries), whatever the real date.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.time_machine(ahead(utc(2031, 3, 12, 12)), tick=True)]

SLUGS = "`apex`, `chess`, `cod`, `csgo`, `fifa`, `fortnite`, `lol`, `minecraft`, `rocket`, `valorant`"


@pytest.fixture(autouse=True)
def games(transactional_db: Any) -> Iterator[dict[str, Any]]:
    # Transactional tests flush the data migration's games; the catalogue is cached per process.
    breaker_reset()
    made = ensure_games()
    yield made
    catalog_invalidate()


# Both patch the cog's module after the `bot` fixture loaded it (load_extension imports it afresh).
@pytest.fixture(autouse=True)
def boards_shared(bot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot reads the shared Redis boards (the production setup); in this test process the
    embedded emulation is shared with the test code, so both configurations exercise them."""
    monkeypatch.setattr(sys.modules["bot.cogs.leaderboard"], "is_embedded", lambda: False)


@pytest.fixture(params=["boards", "history"])
def source(request: Any, bot: Any, boards_shared: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test twice: on the Redis boards, and as the bot does on the embedded defaults
    (its own in-process Redis knows nothing: emptied here to prove it reads the database)."""
    if request.param == "history":
        monkeypatch.setattr(sys.modules["bot.cogs.leaderboard"], "is_embedded", lambda: True)
    return request.param


def footer(source: str, players: int) -> str:
    return f"GameConnect · {players} players on this board" if source == "boards" else "GameConnect"


async def say_from(bot: Any, source: str, command: str) -> None:
    if source == "history":
        await sync_to_async(get_redis().flushdb)()
    await say(bot, command)


@sync_to_async
def scores(*rows: tuple[str, str, int], at: Any = None) -> None:
    players: dict[str, Any] = {}
    for name, game, value in rows:
        if name not in players:
            players[name] = make_gamer(name)
        submit(players[name], game, value, at=at)


def lines(box) -> list[str]:
    return box.description.splitlines()


async def test_leaderboard_of_a_game_shows_the_top_players_best_scores(bot, transcript, source):
    await scores(
        ("ace player", "fortnite", 900),
        ("bee player", "fortnite", 1500),
        ("cee player", "fortnite", 700),
        ("dee player", "fortnite", 20),
        ("ace player", "fortnite", 1000),  # a better score replaces the old one
        ("eve player", "valorant", 9000),  # another game
    )

    await say_from(bot, source, "!leaderboard fortnite")

    box = transcript.last.embed
    assert box.title == "🏆 Fortnite · all time"
    assert lines(box) == [
        "🥇 **bee player** · 1,500",
        "🥈 **ace player** · 1,000",
        "🥉 **cee player** · 700",
        "` 4.` **dee player** · 20",
    ]
    assert box.footer.text == footer(source, 4)


async def test_leaderboard_defaults_to_all_games_and_shows_only_the_top_ten(bot, transcript, source):
    await scores(*[(f"player {i:02d}", "fifa", 100 + i) for i in range(12)], ("player 00", "cod", 5000))

    await say_from(bot, source, "!leaderboard")

    box = transcript.last.embed
    assert box.title == "🏆 All games · all time"
    rows = lines(box)
    assert len(rows) == 10
    assert rows[0] == "🥇 **player 00** · 5,100", "the all board sums each player's best per game"
    assert rows[1] == "🥈 **player 11** · 111"
    assert rows[9] == "`10.` **player 03** · 103"
    assert box.footer.text == footer(source, 12)


async def test_leaderboard_takes_a_game_name_in_any_case_and_a_period(bot, transcript, source):
    await scores(("old timer", "rocket", 4000), at=timezone.now() - timedelta(days=40))
    await scores(("new comer", "rocket", 100))

    await say_from(bot, source, '!leaderboard "Rocket League" month')
    box = transcript.last.embed
    assert box.title == "🏆 Rocket League · this month"
    assert lines(box) == ["🥇 **new comer** · 100"]

    await say_from(bot, source, "!leaderboard ROCKET")
    assert lines(transcript.last.embed) == ["🥇 **old timer** · 4,000", "🥈 **new comer** · 100"]


async def test_leaderboard_of_an_empty_board_says_so(bot, transcript, source):
    await scores(("yesterday player", "chess", 100), at=timezone.now() - timedelta(days=1, hours=1))
    await say_from(bot, source, "!leaderboard chess day")
    box = transcript.last.embed
    assert box.title == "🏆 Chess · today"
    assert box.description == "No scores yet: be the first!"


async def test_leaderboard_of_an_unknown_game_lists_the_valid_ones_with_usage(bot, transcript):
    await say(bot, "!leaderboard tetris")
    assert len(transcript.sent) == 1
    assert transcript.last.content == (
        f"There is no game `tetris`. Use `all` or one of: {SLUGS}.\n"
        "Usage: `!leaderboard [game=all] [period=all|month|week|day]`"
    )


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("!leaderboard cod year", "`year` isn't a choice for `period`: use `all`, `month`, `week`, `day`."),
        ("!leaderboard cod week extra", "Too many arguments."),
    ],
)
async def test_leaderboard_with_bad_arguments_answers_with_usage(bot, transcript, command, reason):
    await say(bot, command)
    assert transcript.last.content == f"{reason}\nUsage: `!leaderboard [game=all] [period=all|month|week|day]`"


async def test_leaderboard_escapes_player_names(bot, transcript):
    await scores(("__under__ dog", "lol", 50))
    await say(bot, "!leaderboard lol")
    assert lines(transcript.last.embed) == ["🥇 **\\_\\_under\\_\\_ dog** · 50"]


async def test_leaderboard_with_redis_down_says_try_again(bot, transcript):
    from leaderboard.boards import BoardsUnavailable

    with mock.patch("bot.cogs.leaderboard.board_window", side_effect=BoardsUnavailable()):
        await say(bot, "!leaderboard cod")
    assert transcript.last.embed.title == "Can't do that"
    assert transcript.last.embed.description == "The live leaderboards are unavailable right now; try again shortly."


async def test_slash_game_suggestions_match_slug_or_name(bot):
    cog = bot.get_cog("Leaderboards")
    assert type(cog).__name__ == "LeaderboardCog"  # load_extension imports the module afresh
    suggestions = await cog.game_autocomplete(mock.Mock(), "LEAG")
    assert [(c.name, c.value) for c in suggestions] == [("League of Legends", "lol"), ("Rocket League", "rocket")]
    everything = await cog.game_autocomplete(mock.Mock(), "")
    assert everything[0].value == "all" and len(everything) == 11
    slash = bot.tree.get_command("leaderboard")
    assert slash.get_parameter("game").autocomplete
    assert [c.value for c in slash.get_parameter("period").choices] == ["all", "month", "week", "day"]
