"""The per-process fan-out hub on its own: ordering, exclusion, load shedding, presence order."""

from __future__ import annotations

import time

import pytest

from trivia.broadcast import DISCONNECT_ALL, fanout_message
from trivia.hub import Frames, Hub


class FakeSocket:
    def __init__(self, user_id: int, counted_seq: int | None = None) -> None:
        self.user_id = user_id
        self.counted_seq = counted_seq
        self.frames: list[str] = []
        self.seqs: list[int | None] = []
        self.batches: list[Frames] = []
        self.closed_with: int | None = None

    async def deliver(self, frames: Frames) -> None:
        self.batches.append(frames)
        for text, seq in frames:
            self.frames.append(text)
            self.seqs.append(seq)

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


async def test_joins_and_leaves_carry_their_presence_sequence_number(hub):
    hub, sockets = hub
    await hub.dispatch([fanout_message("PEER_JOIN", {"userId": 9}, seq=41), fanout_message("SPLIT", {})])
    assert sockets[0].seqs == [41, None]


async def test_a_socket_gets_only_the_joins_and_leaves_its_welcome_did_not_count(hub):
    hub, sockets = hub
    sockets[1].counted_seq = 10
    joins = [fanout_message("PEER_JOIN", {"userId": 20 + seq}, seq=seq) for seq in (9, 10, 11)]
    await hub.dispatch([*joins, fanout_message("SPLIT", {})])
    assert sockets[1].seqs == [10, 11, None]
    assert sockets[0].seqs == [9, 10, 11, None]


async def test_a_socket_welcomed_after_the_frames_came_skips_the_joins_it_counted():
    from trivia.consumers import TriviaConsumer

    consumer = TriviaConsumer()
    sent: list[str] = []

    async def base_send(message):
        sent.append(message["text"])

    consumer.base_send = base_send
    consumer._welcomed, consumer._pending = False, []
    consumer.counted_seq = None  # frames arrive before the socket's presence claim returns
    await consumer.deliver((("counted join", 9), ("own join", 10), ("later join", 11), ("split", None)))
    assert sent == []
    consumer.counted_seq = 10
    consumer._welcomed = True
    await consumer._flush_pending()
    assert sent == ["own join", "later join", "split"]


async def test_sockets_that_get_the_same_frames_share_one_plan():
    hub = Hub()
    sockets = [FakeSocket(i) for i in range(1, 6)]
    for socket in sockets:
        hub.add(socket)
    await hub.dispatch(
        [
            fanout_message("ROUND", {"clue": "é"}),
            fanout_message("PEER_JOIN", {"userId": 2}, exclude_user=2, seq=3),
            fanout_message("SPLIT", {"answer": "_" * 300}),
        ]
    )
    # One delivery per socket per dispatch, holding its frames in order.
    assert all(len(s.batches) == 1 for s in sockets)
    assert events(sockets[0]) == ["ROUND", "PEER_JOIN", "SPLIT"]
    assert events(sockets[1]) == ["ROUND", "SPLIT"]
    assert sockets[0].batches[0] is sockets[2].batches[0] is sockets[4].batches[0]


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
