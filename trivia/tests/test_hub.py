"""The per-process fan-out hub on its own: ordering, exclusion, batching, load shedding."""

from __future__ import annotations

import time
from typing import Any

import pytest

from trivia.hub import DISCONNECT_ALL, Hub, fanout_message


class FakeSocket:
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.counted_at = 0.0
        self.frames: list[str] = []
        self.closed_with: int | None = None

    async def deliver(self, message: dict[str, Any]) -> None:
        assert message["type"] == "websocket.send"
        self.frames.append(message["text"])

    async def close(self, code: int | None = None) -> None:
        self.closed_with = code


def events(socket: FakeSocket) -> list[str]:
    import json

    return [json.loads(frame)["event"] for frame in socket.frames]


@pytest.fixture
def hub() -> tuple[Hub, list[FakeSocket]]:
    hub = Hub()
    sockets = [FakeSocket(i) for i in (1, 2, 3)]
    for socket in sockets:
        hub.add(socket)
    return hub, sockets


async def test_a_batch_reaches_every_socket_in_order_with_exclusion(hub):
    hub, sockets = hub
    await hub.dispatch(
        [
            fanout_message("ROUND", {"n": 1}),
            fanout_message("PEER_REACTION", {"userId": 2}, exclude_user=2),
            fanout_message("SPLIT", {"n": 2}),
        ]
    )
    assert events(sockets[0]) == ["ROUND", "PEER_REACTION", "SPLIT"]
    assert events(sockets[1]) == ["ROUND", "SPLIT"]
    assert hub.delivered == 8 and hub.shed == 0


async def test_a_late_sheddable_frame_goes_only_to_its_owner_and_game_frames_are_never_shed(hub, settings):
    hub, sockets = hub
    settings.TRIVIA_HUB_SHED_LAG_SECONDS = 0.25
    old_wrong = fanout_message("PEER_ATTEMPT", {"correct": False}, sheddable=True, owner=3)
    old_wrong["at"] = time.time() - 1
    old_split = fanout_message("SPLIT", {})
    old_split["at"] = time.time() - 1
    fresh_wrong = fanout_message("PEER_ATTEMPT", {"correct": False}, sheddable=True, owner=1)
    old_join = fanout_message("PEER_JOIN", {"userId": 9}, sheddable=True)
    old_join["at"] = time.time() - 1
    await hub.dispatch([old_wrong, old_split, fresh_wrong, old_join])
    assert events(sockets[0]) == ["SPLIT", "PEER_ATTEMPT"]
    assert events(sockets[1]) == ["SPLIT", "PEER_ATTEMPT"]
    assert events(sockets[2]) == ["PEER_ATTEMPT", "SPLIT", "PEER_ATTEMPT"]
    assert hub.shed == 2 + 3


async def test_joins_already_counted_in_a_welcome_are_skipped(hub):
    hub, sockets = hub
    late = FakeSocket(4)
    hub.add(late)
    before = fanout_message("PEER_JOIN", {"userId": 1}, at=late.counted_at - 0.5)
    sockets[0].counted_at = before["changed_at"] - 1  # this one counted players before the join
    after = fanout_message("PEER_JOIN", {"userId": 5})
    await hub.dispatch([before, after])
    assert events(late) == ["PEER_JOIN"] and '"userId":5' in late.frames[0]
    assert events(sockets[0]) == ["PEER_JOIN", "PEER_JOIN"]


async def test_disconnect_all_keeps_order_and_closes_every_socket(hub):
    hub, sockets = hub
    await hub.dispatch([fanout_message("REVEAL", {}), {"type": DISCONNECT_ALL}])
    assert all(events(s) == ["REVEAL"] and s.closed_with == 4004 for s in sockets)


async def test_replacing_and_removing_sockets(hub):
    hub, sockets = hub
    newer = FakeSocket(1)
    assert hub.add(newer) is sockets[0]
    hub.remove(sockets[0])  # the replaced one leaving must not unregister the newer one
    assert hub.sockets[1] is newer
    hub.remove(newer)
    assert 1 not in hub.sockets


@pytest.mark.redis
def test_the_hub_subscription_never_times_out_when_the_game_is_quiet():
    from trivia.hub import _subscriber_client

    kwargs = _subscriber_client().connection_pool.connection_kwargs
    assert kwargs.get("socket_timeout") is None and kwargs.get("health_check_interval")
