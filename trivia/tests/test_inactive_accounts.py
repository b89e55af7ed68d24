"""A deactivated, deleted or demoted account loses its open sockets at once, and nothing it
sends after that is processed (SPEC §2): the attempt service re-checks `is_active` under the
row lock, and the socket is closed (4004) through the user's channel group."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from common.errors import PermissionDenied
from common.roles import Role
from common.ws import OriginValidator
from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer
from gamers.services import gamer_set_active, gamer_set_role
from trivia import services
from trivia.models import Attempt, Round
from trivia.routing import websocket_urlpatterns
from trivia.services import AttemptRequest, attempts
from trivia.tests.factories import start_round

app = OriginValidator(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]  # types-channels wants its own pattern type; Django's path/re_path give URLPattern
WAIT = 10.0


def ledger_of(user: Any) -> list[tuple[int, str]]:
    return list(CoinTransaction.objects.filter(gamer=user).values_list("amount", "reason"))


# --- the service -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_inactive_account_cannot_attempt_not_even_the_right_answer(gamer, settings):
    settings.TRIVIA_FREE_ATTEMPTS = 0
    round_ = start_round("Lima")
    Gamer.objects.filter(pk=gamer.pk).update(is_active=False)
    gamer.refresh_from_db()
    before = (gamer.coins, ledger_of(gamer))
    with pytest.raises(PermissionDenied) as refused:
        services.attempt_submit(user=gamer, message="Lima")
    assert refused.value.code == "account_disabled"
    gamer.refresh_from_db()
    round_.refresh_from_db()
    assert (gamer.coins, ledger_of(gamer)) == before
    assert not Attempt.objects.exists()
    assert (round_.state, round_.winner_id) == (Round.State.PLAYING, None)


@pytest.mark.django_db
def test_in_a_group_only_the_inactive_accounts_attempt_is_refused(gamer, other_gamer):
    start_round("Lima")
    Gamer.objects.filter(pk=gamer.pk).update(is_active=False)
    results = attempts.attempts_submit(
        [
            AttemptRequest(gamer.pk, gamer.username, "Lima"),
            AttemptRequest(other_gamer.pk, other_gamer.username, "Lima"),
        ]
    )
    assert isinstance(results[0], PermissionDenied)
    assert not isinstance(results[1], Exception) and results[1].correct
    assert list(Attempt.objects.values_list("gamer_id", "correct")) == [(other_gamer.pk, True)]


# --- the sockets -------------------------------------------------------------------------------


async def open_socket(user: Any, opened: list[Any]) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(app, f"/ws/trivia/?token={AccessToken.for_user(user)}")
    opened.append(comm)
    connected, _ = await comm.connect(WAIT)
    assert connected
    assert (await comm.receive_json_from(WAIT))["event"] == "authenticated"
    assert (await comm.receive_json_from(WAIT))["event"] == "WELCOME"
    return comm


async def close_code(comm: WebsocketCommunicator, timeout: float, seen: list[dict[str, Any]]) -> int:
    """Read frames (kept in `seen`) until the server closes the socket; its close code."""
    async with asyncio.timeout(timeout):
        while True:
            output = await comm.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                return output["code"]
            if "text" in output:
                seen.append(json.loads(output["text"]))


async def in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """ORM work outside channels' shared sync thread (which the held attempt occupies)."""

    def call() -> Any:
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    return await asyncio.to_thread(call)


@pytest.mark.django_db(transaction=True)
async def test_deactivation_closes_the_socket_within_a_second_and_the_attempt_in_flight_is_not_played(
    trivia_hub, admin, settings, monkeypatch
):
    settings.TRIVIA_FREE_ATTEMPTS = 0  # an attempt that got through would be charged
    player = await in_thread(make_gamer, "soon disabled")
    round_ = await in_thread(start_round, "Lima")
    comm = await open_socket(player, trivia_hub)
    balance = await in_thread(lambda: (Gamer.objects.get(pk=player.pk).coins, ledger_of(player)))

    # Hold the attempt between the socket and the database until the admin has deactivated
    # the account: the frame is in flight when deactivation commits.
    in_flight, go = threading.Event(), threading.Event()
    clean = attempts.clean_attempt

    def held(message: Any) -> str:
        in_flight.set()
        assert go.wait(WAIT)
        return clean(message)

    monkeypatch.setattr(attempts, "clean_attempt", held)
    await comm.send_json_to({"event": "ATTEMPT", "data": {"message": "Lima"}})  # the right answer
    assert await asyncio.to_thread(in_flight.wait, WAIT)
    await in_thread(gamer_set_active, actor=admin, target_id=player.pk, active=False)
    go.set()
    started = time.monotonic()
    seen: list[dict[str, Any]] = []
    assert await close_code(comm, 1.0, seen) == 4004
    assert time.monotonic() - started < 1.0
    assert [frame["event"] for frame in seen] == ["ERROR"]  # refused: no COIN_DIFF, no PEER_ATTEMPT

    def state() -> tuple[Any, ...]:
        fresh = Round.objects.get(pk=round_.pk)
        balance = (Gamer.objects.get(pk=player.pk).coins, ledger_of(player))
        return Attempt.objects.filter(gamer_id=player.pk).count(), balance, fresh.state, fresh.winner_id

    assert await in_thread(state) == (0, balance, Round.State.PLAYING, None)


@pytest.mark.django_db(transaction=True)
async def test_demotion_closes_the_sockets_and_promotion_keeps_them(trivia_hub, admin):
    moderator = await in_thread(make_gamer, "demoted mod", Role.MODERATOR)
    gamer = await in_thread(make_gamer, "promoted gamer")
    await in_thread(start_round, "Lima")
    demoted, promoted = await open_socket(moderator, trivia_hub), await open_socket(gamer, trivia_hub)

    await in_thread(gamer_set_role, actor=admin, target_id=gamer.pk, role=Role.MODERATOR)
    await in_thread(gamer_set_role, actor=admin, target_id=moderator.pk, role=Role.GAMER)
    assert await close_code(demoted, WAIT, []) == 4004
    # The promoted one still plays: it answers frames, after its role change was delivered.
    await promoted.send_json_to({"event": "REQUEST_PLAYER_LIST"})
    async with asyncio.timeout(WAIT):
        while (frame := await promoted.receive_json_from(WAIT))["event"] != "PLAYER_LIST":
            pass
    rights = {row["id"]: row["rights"] for row in frame["data"]["players"]}
    assert rights[gamer.pk] == 1
