"""The live trivia socket, `/ws/trivia/` (SPEC §5).

Authentication, origin check, JSON parsing and the `user.<id>` group come from
`common.ws.JWTWebsocketConsumer`. This consumer adds: one socket per user across every process
(the older one is closed with 4002), presence, per-socket flood control, and the game events.
Broadcast frames reach it through this process's `trivia.hub.Hub`, not through per-socket
channel-layer groups, and are sent as ordinary Channels sends.
"""

from __future__ import annotations

import time
from typing import Any

from common.errors import ServiceError
from common.ratelimit import TokenBucket
from common.ws import CLOSE_REPLACED, JWTWebsocketConsumer, ws_db
from gamers.services import InsufficientFunds
from trivia import presence, rules
from trivia.batching import attempt_batcher
from trivia.broadcast import abroadcast
from trivia.conf import conf
from trivia.hub import Frames, Hub, get_hub
from trivia.selectors import player_list, round_state
from trivia.services import AttemptRequest, entry_report

REACTION_MAX_BYTES = 16
THROTTLE_MESSAGE = "Too many messages; slow down."


def _bucket(rate: str, burst: str) -> TokenBucket:
    return TokenBucket(rate=float(conf(rate)), capacity=float(conf(burst)))


db = ws_db


class TriviaConsumer(JWTWebsocketConsumer):
    # Not counted by the per-user socket cap: one trivia socket per user already (4002).
    socket_kind = None
    hub: Hub | None = None
    user_id: int = 0
    # Joins and leaves numbered below this were counted in this socket's WELCOME.
    counted_seq: int | None = None

    async def connect(self) -> None:
        self.frames = _bucket("TRIVIA_FRAME_RATE", "TRIVIA_FRAME_BURST")
        self.reactions = _bucket("TRIVIA_REACTION_RATE", "TRIVIA_REACTION_BURST")
        self.player_lists = _bucket("TRIVIA_PLAYER_LIST_RATE", "TRIVIA_PLAYER_LIST_BURST")
        self._throttle_warned = 0.0
        # Hub frames that arrive before WELCOME is sent wait here, so WELCOME comes first.
        self._welcomed = False
        self._pending: list[Frames] = []
        await super().connect()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.frames.allow():
            await self._throttled()
            return
        await super().receive(text_data=text_data, bytes_data=bytes_data)

    async def _throttled(self) -> None:
        # One ERROR per second at most: a flood must not turn into a flood of replies.
        now = time.monotonic()
        if now - self._throttle_warned >= 1.0:
            self._throttle_warned = now
            await self.send_error(THROTTLE_MESSAGE)

    # --- joining and leaving ----------------------------------------------------------------

    async def on_authenticated(self) -> None:
        self.user_id = self.user.pk
        self.hub = await get_hub()
        self.hub.add(self)
        claim = await presence.claim(self.user_id, self.channel_name)
        self.counted_seq = claim.seq
        if claim.previous and claim.previous != self.channel_name:
            await self.channel_layer.send(claim.previous, {"type": "trivia.replaced"})
        state = await db(round_state)(user=self.user, players=claim.players)
        await self.send_event("WELCOME", state.welcome())
        self._welcomed = True
        await self._flush_pending()
        if not claim.was_present:
            await abroadcast("PEER_JOIN", self._peer(), exclude_user=self.user_id, sheddable=True, seq=claim.seq)

    async def on_disconnected(self, code: int) -> None:
        if self.hub is not None:
            self.hub.remove(self)
        if self.user_id and (seq := await presence.release(self.user_id, self.channel_name)):
            await abroadcast("PEER_LEFT", self._peer(), exclude_user=self.user_id, sheddable=True, seq=seq)

    async def trivia_replaced(self, event: dict[str, Any]) -> None:
        """A newer socket of the same user took over (on any process)."""
        if self.hub is not None:
            self.hub.remove(self)
        await self.close(code=CLOSE_REPLACED)

    async def deliver(self, frames: Frames) -> None:
        """Called by the hub with broadcast frames for this socket (already filtered by its
        `counted_seq` once that is known)."""
        if not self._welcomed:
            self._pending.append(frames)
            return
        for text, _ in frames:
            await self.send(text_data=text)

    async def _flush_pending(self) -> None:
        """The broadcasts that came before WELCOME, without the joins and leaves it counted."""
        pending, self._pending = self._pending, []
        for frames in pending:
            for text, seq in frames:
                if seq is None or self.counted_seq is None or seq >= self.counted_seq:
                    await self.send(text_data=text)

    def _peer(self) -> dict[str, Any]:
        return {"userId": self.user_id, "username": self.user.username}

    # --- client events ----------------------------------------------------------------------

    async def handle_frame(self, content: dict[str, Any]) -> None:
        event = content.get("event")
        handler = {
            "ATTEMPT": self.on_attempt,
            "REACTION": self.on_reaction,
            "REPORT_ENTRY": self.on_report_entry,
            "REQUEST_PLAYER_LIST": self.on_player_list,
        }.get(event if isinstance(event, str) else "")
        if handler is None:
            name = event if isinstance(event, str) else type(event).__name__
            await self.send_error(f"Unknown event {name[:40]!r}.")
            return
        data = content.get("data")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            await self.send_error("`data` must be a JSON object.")
            return
        await handler(data)

    async def on_attempt(self, data: dict[str, Any]) -> None:
        try:
            request = AttemptRequest(self.user_id, self.user.username, data.get("message"))
            result = await attempt_batcher().submit(request)
        except InsufficientFunds:
            await self.send_event("INSUFFICIENT_FUNDS", {})
            return
        except ServiceError as exc:
            await self.send_error(exc.detail)
            return
        for diff in result.coin_diffs:
            await self.send_event("COIN_DIFF", {"coinDiff": diff})

    async def on_reaction(self, data: dict[str, Any]) -> None:
        emoji = data.get("emoji")
        if (
            not isinstance(emoji, str)
            or len(emoji.encode("utf-8", "surrogatepass")) > REACTION_MAX_BYTES
            or not rules.is_single_emoji(emoji)
        ):
            await self.send_error(f"A reaction is one emoji of at most {REACTION_MAX_BYTES} bytes.")
            return
        if not self.reactions.allow():
            await self.send_error("Too many reactions; slow down.")
            return
        await abroadcast("PEER_REACTION", {**self._peer(), "emoji": emoji}, sheddable=True, owner=self.user_id)

    async def on_report_entry(self, data: dict[str, Any]) -> None:
        try:
            await db(entry_report)(user=self.user)
        except ServiceError as exc:
            await self.send_event("ENTRY_REPORTED_ERROR", {"message": exc.detail})
            return
        await self.send_event("ENTRY_REPORTED_OK", {})

    async def on_player_list(self, data: dict[str, Any]) -> None:
        if not self.player_lists.allow():
            await self.send_error("Too many player list requests; slow down.")
            return
        players = await db(player_list)()
        await self.send_event("PLAYER_LIST", {"players": players})
