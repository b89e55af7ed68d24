"""Presence in Redis: one slot per user, expiry for crashed processes."""

import time

from asgiref.sync import async_to_sync

from trivia import presence


def claim(user_id, channel):
    return async_to_sync(presence.claim)(user_id, channel)


def release(user_id, channel):
    return async_to_sync(presence.release)(user_id, channel)


def test_a_second_socket_takes_the_slot_and_the_first_leaving_changes_nothing():
    first = claim(1, "first")
    assert (first.previous, first.was_present, first.players) == (None, False, 1)
    assert claim(2, "other")[:3] == (None, False, 2)
    second = claim(1, "second")
    assert (second.previous, second.was_present, second.players) == ("first", True, 2)
    assert release(1, "first") == 0  # replaced: the user is still here
    assert presence.count() == 2 and set(presence.player_ids()) == {1, 2}
    left = release(1, "second")
    assert left > second.seq > first.seq  # every change is numbered, in order
    assert presence.player_ids() == [2] and presence.playing([1, 2, 3]) == {2}


def test_players_of_a_process_that_stopped_refreshing_expire(settings):
    settings.TRIVIA_PRESENCE_TTL_SECONDS = 30
    claim(1, "alive")
    claim(2, "crashed")
    # Process of user 2 crashed 31 s ago: its last refresh has expired.
    from common.redis import get_redis

    get_redis().zadd(presence.PRESENCE_KEY, {"2": time.time() - 1})
    assert presence.count() == 1 and presence.playing([1, 2]) == {1}
    async_to_sync(presence.refresh)([1])
    assert get_redis().hget(presence.CONNS_KEY, "2") is None  # pruned with its slot
    assert claim(2, "back")[1] is False  # coming back is a join again
