"""Reads: board windows, my row, around me (Redis), games, and period reports (database).

Every board read takes an optional `at` (the instant whose periods are read; now by default)
and has an async twin (`a...`) for the WebSocket consumer. Unknown periods raise InvalidInput;
an unreachable Redis raises boards.BoardsUnavailable (503).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from channels.db import database_sync_to_async
from django.utils.translation import gettext

from common.errors import InvalidInput
from leaderboard import boards
from leaderboard.games import agame_catalog, game_catalog
from leaderboard.models import Score
from leaderboard.reports import report_rows
from leaderboard.rules import PERIODS, as_utc

MAX_WINDOW = 100
MAX_RANK = 10**12  # far past any board; keeps window indexes inside Redis's 64-bit range
MAX_RADIUS = 50
MAX_REPORT_LIMIT = 100


@dataclass
class BoardWindow:
    board: str
    period: str
    start: int
    end: int
    total_count: int
    rows: list[dict[str, Any]]


def check_period(period: object) -> str:
    if not isinstance(period, str) or period not in PERIODS:
        raise InvalidInput(
            gettext("period must be one of %(value)s.") % {"value": ", ".join(PERIODS)}, code="invalid_period"
        )
    return period


def check_range(start: object, end: object) -> tuple[int, int]:
    if not _is_int(start) or not _is_int(end):
        raise InvalidInput(gettext("start and end must be integers."), code="invalid_range")
    assert isinstance(start, int) and isinstance(end, int)
    if start < 0 or end < start or end - start + 1 > MAX_WINDOW:
        raise InvalidInput(
            gettext("Need 0 <= start <= end and at most %(MAX_WINDOW)s rows (end - start + 1).")
            % {"MAX_WINDOW": MAX_WINDOW},
            code="invalid_range",
        )
    return start, end


def check_radius(radius: object) -> int:
    if not _is_int(radius) or not 0 <= radius <= MAX_RADIUS:
        raise InvalidInput(
            gettext("radius must be an integer from 0 to %(MAX_RADIUS)s.") % {"MAX_RADIUS": MAX_RADIUS},
            code="invalid_radius",
        )
    return int(radius)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _from_db(sl: boards.Slice) -> boards.Slice:
    """Fill what Redis lacked (it has everything unless a key was lost): names and `all`-time dates."""
    from gamers.models import Gamer

    names: dict[int, str] = {}
    if sl.missing_names:
        names = dict(Gamer.objects.filter(pk__in=sl.missing_names).values_list("pk", "username"))
        boards.names_store(names)
    dates: dict[int, datetime] = {}
    if sl.score_ids:
        dates = dict(Score.objects.filter(pk__in=sl.score_ids.values()).values_list("pk", "achieved_at"))
        boards.when_store(dates)
    boards.fill_from_db(sl, names, dates)
    return sl


def _finish(sl: boards.Slice) -> boards.Slice:
    return _from_db(sl) if sl.missing_names or sl.score_ids else sl


async def _afinish(sl: boards.Slice) -> boards.Slice:
    return await database_sync_to_async(_from_db)(sl) if sl.missing_names or sl.score_ids else sl


# --- board windows -------------------------------------------------------------------------


def board_window(*, game: str, period: str, start: int, end: int, at: datetime | None = None) -> BoardWindow:
    """Rows `start`..`end` (0-based, inclusive) of a board: `game` is a slug or `all`.

    The caller has checked `game` (games.board_name); the bot and the socket use this too.
    """
    check_period(period)
    start, end = check_range(start, end)
    asc_max = game_catalog().asc_max(game)
    sl = _finish(boards.read_window(game, boards.window_of(period, at), start, end, asc_max))
    return BoardWindow(game, period, start, end, sl.total, sl.rows)


async def aboard_window(*, game: str, period: str, start: int, end: int, at: datetime | None = None) -> BoardWindow:
    check_period(period)
    start, end = check_range(start, end)
    asc_max = (await agame_catalog()).asc_max(game)
    sl = await _afinish(await boards.aread_window(game, boards.window_of(period, at), start, end, asc_max))
    return BoardWindow(game, period, start, end, sl.total, sl.rows)


class BoardPage:
    """A board as a sliceable sequence, for the project's page-number paginator.

    The paginator asks for the count, then for one slice. Given the slice it will ask for
    (`expect`), the count is read together with that slice: one Redis round trip per page.
    """

    def __init__(
        self,
        game: str,
        period: str,
        at: datetime | None = None,
        expect: slice | None = None,
        asc_max: int | None = None,  # None: from the catalogue (sync callers)
    ) -> None:
        self.game = game
        self.asc_max = game_catalog().asc_max(game) if asc_max is None else asc_max
        self.window = boards.window_of(check_period(period), at)
        self.expect = expect
        self._total: int | None = None
        self._rows: list[dict[str, Any]] | None = None

    def count(self) -> int:
        if self._total is None:
            if self.expect is not None and self.expect.stop > self.expect.start:
                sl = boards.read_window(self.game, self.window, self.expect.start, self.expect.stop - 1, self.asc_max)
                self._total, self._rows = sl.total, _finish(sl).rows
            else:
                self._total = boards.read_total(self.game, self.window)
        return self._total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        if not isinstance(item, slice) or item.start is None or item.stop is None or item.stop <= item.start:
            return []
        expect = self.expect
        if self._rows is not None and expect is not None and item.start == expect.start and item.stop <= expect.stop:
            return self._rows[: item.stop - item.start]  # the paginator trims the last page
        return _finish(boards.read_window(self.game, self.window, item.start, item.stop - 1, self.asc_max)).rows


async def aboard_page(game: str, period: str, *, expect: slice, at: datetime | None = None) -> BoardPage:
    """A BoardPage whose count and expected rows are already read (one Redis round trip), for
    async callers: the paginator then asks it for nothing it doesn't hold."""
    page = BoardPage(game, period, at, expect=expect, asc_max=(await agame_catalog()).asc_max(game))
    if expect.stop > expect.start:
        sl = await boards.aread_window(game, page.window, expect.start, expect.stop - 1, page.asc_max)
        page._total, page._rows = sl.total, (await _afinish(sl)).rows
    return page


# --- me and around me ----------------------------------------------------------------------


def board_me(*, game: str, period: str, user_id: int, at: datetime | None = None) -> dict[str, Any] | None:
    """My row on a board, or None when I have no score there in that period."""
    rows = board_around(game=game, period=period, user_id=user_id, radius=0, at=at)
    return rows[0] if rows else None


async def aboard_me(*, game: str, period: str, user_id: int, at: datetime | None = None) -> dict[str, Any] | None:
    rows = await aboard_around(game=game, period=period, user_id=user_id, radius=0, at=at)
    return rows[0] if rows else None


def board_around(
    *, game: str, period: str, user_id: int, radius: int, at: datetime | None = None
) -> list[dict[str, Any]] | None:
    """Up to `radius` rows above mine, mine, and up to `radius` below; None when I'm not ranked."""
    check_period(period)
    radius = check_radius(radius)
    sl = boards.read_around(game, boards.window_of(period, at), user_id, radius, game_catalog().asc_max(game))
    return _finish(sl).rows if sl.rows else None


async def aboard_around(
    *, game: str, period: str, user_id: int, radius: int, at: datetime | None = None
) -> list[dict[str, Any]] | None:
    check_period(period)
    radius = check_radius(radius)
    asc_max = (await agame_catalog()).asc_max(game)
    sl = await boards.aread_around(game, boards.window_of(period, at), user_id, radius, asc_max)
    return (await _afinish(sl)).rows if sl.rows else None


# --- squads --------------------------------------------------------------------------------

MAX_SQUAD = 1000  # members read at once (the squad's source caps itself lower)


def board_squad(*, game: str, period: str, user_ids: list[int], at: datetime | None = None) -> list[dict[str, Any]]:
    """The rows of these players on a board, ranked among themselves by the board's rule:
    `{rank, board_rank, user_id, player, score, date}`. Players without a score there are left
    out. Reads only these members (ZMSCORE), never the board. Who the players are is the
    caller's business (squads.members: me and my session co-attendees)."""
    members = _squad_members(period, user_ids)
    asc_max = game_catalog().asc_max(game)
    return _finish(boards.read_members(game, boards.window_of(period, at), members, asc_max)).rows


async def aboard_squad(
    *, game: str, period: str, user_ids: list[int], at: datetime | None = None
) -> list[dict[str, Any]]:
    members = _squad_members(period, user_ids)
    asc_max = (await agame_catalog()).asc_max(game)
    return (await _afinish(await boards.aread_members(game, boards.window_of(period, at), members, asc_max))).rows


def _squad_members(period: str, user_ids: list[int]) -> list[int]:
    check_period(period)
    members = list(dict.fromkeys(user_ids))  # unique, order kept
    if len(members) > MAX_SQUAD:
        raise InvalidInput(
            gettext("At most %(MAX_SQUAD)s players at once.") % {"MAX_SQUAD": MAX_SQUAD}, code="too_many_players"
        )
    return members


# --- games and reports ---------------------------------------------------------------------


def game_list() -> list[dict[str, Any]]:
    return [
        {"slug": g.slug, "label": g.label, "max_score": g.max_score, "order": g.order, "trust": g.trust}
        for g in game_catalog().games
    ]


@dataclass
class Report:
    start: datetime
    end: datetime
    game: str | None
    results: list[dict[str, Any]]


def report_top(*, start: datetime, end: datetime, limit: int = 10, game: str | None = None) -> Report:
    """Top players in [start, end] from the durable history (SPEC §6 reports)."""
    if end < start:
        raise InvalidInput(gettext("end must not be before start."), code="invalid_range")
    if not _is_int(limit) or not 1 <= limit <= MAX_REPORT_LIMIT:
        raise InvalidInput(
            gettext("limit must be an integer from 1 to %(MAX_REPORT_LIMIT)s.")
            % {"MAX_REPORT_LIMIT": MAX_REPORT_LIMIT},
            code="invalid_limit",
        )
    catalog = game_catalog()
    game_id = None
    if game is not None:
        info = catalog.by_slug.get(game)
        if info is None:
            raise InvalidInput(
                gettext("Unknown game %(game)s; see /leaderboard/games.") % {"game": repr(game)}, code="unknown_game"
            )
        game_id = info.id
    raw = report_rows(start=start, end=end, limit=limit, game_id=game_id)
    results = []
    for user_id, username, total, games, best_game, last_at in raw:
        played = catalog.by_id.get(best_game)
        results.append(
            {
                "user_id": user_id,
                "name": username,
                "score": int(total),
                "games": int(games),
                "game": played.slug if played else None,
                "date": as_utc(last_at),
            }
        )
    return Report(start=start, end=end, game=game, results=results)
