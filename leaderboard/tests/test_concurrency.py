"""Concurrent submissions from real threads against PostgreSQL: boards stay exactly what the
database says (the record script is atomic and order-independent)."""

import io
import random
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from common.redis import get_redis
from conftest import make_gamer
from leaderboard import boards, rebuild
from leaderboard.games import game_catalog
from leaderboard.models import Score
from leaderboard.rules import ALL_BOARD
from leaderboard.tests.factories import submit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("games")]


def snapshot(now):
    client = get_redis()
    keys = boards.current_board_keys([ALL_BOARD, *game_catalog().slugs], now)
    return {key: client.zrange(key, 0, -1, withscores=True) for key in keys}


def test_racing_submissions_leave_the_boards_equal_to_a_rebuild():
    players = [make_gamer(f"racer {n}") for n in range(6)]
    barrier = threading.Barrier(8)
    errors = []

    def worker(i: int) -> None:
        rng = random.Random(i)
        try:
            barrier.wait()
            for _ in range(60):
                # Few players, few games, narrow values: many races on the same entries.
                # Racing threads of one process share the group commit: each must get its own answer.
                game, value = rng.choice(["cod", "rocket", "fifa"]), rng.randint(0, 20)
                answer = submit(rng.choice(players), game, value)
                assert (answer.game, answer.score) == (game, value)
                assert answer.best >= value
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert Score.objects.count() == 480
    now = datetime.now(UTC)
    live = snapshot(now)
    get_redis().flushdb()
    rebuild.boards_rebuild(now=now, stream=io.StringIO())
    assert snapshot(now) == live
    top = get_redis().zrevrange(f"lb:b:{ALL_BOARD}:all", 0, -1, withscores=True)
    assert len(top) == 6
