"""Shared WebSocket plumbing: origin check and JWT authentication for every consumer.

A client authenticates with `?token=<access JWT>` in the URL or with a first frame
`{"event": "authentication", "data": {"idToken": "<access JWT>"}}` (SPEC §5; the leaderboard
socket accepts the same frame). Without a valid token within WS_AUTH_TIMEOUT_SECONDS the socket
gets `unauthorized` and close code 4001.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.http.request import validate_host
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from common import socket_cap
from common.broadcast import user_group
from common.roles import RIGHTS

logger = logging.getLogger("gameconnect.ws")
T = TypeVar("T")

CLOSE_UNAUTHORIZED = 4001
CLOSE_REPLACED = 4002
CLOSE_FORBIDDEN_ORIGIN = 4003
CLOSE_DISCONNECTED_BY_ADMIN = 4004  # also: deactivated, deleted or demoted account
CLOSE_TOO_MANY_SOCKETS = 4005  # the user already holds WS_MAX_SOCKETS_PER_USER sockets of this kind
MAX_FRAME_BYTES = 16 * 1024


class OriginValidator:
    """Accept clients without an `Origin` header (apps, bots); a browser's must match ALLOWED_HOSTS.

    channels' own AllowedHostsOriginValidator refuses a missing Origin, which SPEC §5 allows.
    """

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            await receive()  # the websocket.connect message
            await send({"type": "websocket.close", "code": CLOSE_FORBIDDEN_ORIGIN})
            return None
        return await self.application(scope, receive, send)


def origin_allowed(scope: dict[str, Any]) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            try:
                host = urlparse(value.decode("latin1")).hostname
            except (UnicodeDecodeError, ValueError):
                return False
            allowed = list(settings.ALLOWED_HOSTS) or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
            return bool(host) and validate_host(host, allowed)
    return True


def token_from_scope(scope: Mapping[str, Any]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    values = query.get("token")
    return values[0] if values else None


def _user_for_token(token: str) -> Any:
    try:
        access = AccessToken(token)  # type: ignore[arg-type]  # simplejwt annotates `token` as Token; it takes the encoded JWT
        user_id = access[settings.SIMPLE_JWT["USER_ID_CLAIM"]]
    except (TokenError, KeyError):
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


def account_active(user_id: int) -> bool:
    """Whether the account may still act (sync; call it through `ws_db`): a frame that reached a
    socket just before an admin deactivated or deleted the account, but before the close did,
    is refused rather than processed. One primary-key look-up."""
    return get_user_model().objects.filter(pk=user_id, is_active=True).exists()


_db_pool: ThreadPoolExecutor | None = None


def ws_db(fn: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """How sockets reach the database. On PostgreSQL: WS_DB_THREADS threads of their own (4), so
    a socket's token check, WELCOME or attempt doesn't queue behind every other socket's round
    trips on the one thread `database_sync_to_async` shares with the whole process (row locks
    keep concurrent writes correct). On SQLite: that shared thread (one writer anyway)."""
    global _db_pool
    if connection.vendor != "postgresql":
        return database_sync_to_async(fn)
    if _db_pool is None:
        threads = int(getattr(settings, "WS_DB_THREADS", 4))
        _db_pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ws-db")
    return DatabaseSyncToAsync(fn, thread_sensitive=False, executor=_db_pool)


async def user_for_token(token: Any) -> Any:
    """The active user an access JWT belongs to, or None (bad signature, expired, refresh token...)."""
    # A JWT is ASCII; anything else (e.g. a lone surrogate from a `\ud800` escape) would make
    # PyJWT's encode() raise instead of refusing the token.
    if not isinstance(token, str) or not token or len(token) > 4096 or not token.isascii():
        return None
    return await ws_db(_user_for_token)(token)


class JWTWebsocketConsumer(AsyncWebsocketConsumer):
    """Base consumer: accepts, authenticates, parses JSON frames, then hands them to `handle_frame`.

    Subclasses set the wire format (`send_error`, `send_unauthorized`, `send_authenticated`) and
    implement `on_authenticated` / `handle_frame` / `on_disconnected`. Every socket of a user
    joins `user.<id>`, which carries role changes and forced disconnects from any process: a
    deactivated, deleted or demoted account loses its sockets at once (4004), and frames still
    queued behind that close are dropped. A user holds at most WS_MAX_SOCKETS_PER_USER sockets
    of each `socket_kind` across processes (common.socket_cap); beyond, the new one is closed
    with 4005.
    """

    user: Any = None
    _auth_task: asyncio.Task[None] | None = None
    # Which sockets the per-user cap counts together (None: this consumer has its own rule).
    socket_kind: str | None = "ws"
    _slot_held = False
    _closing = False

    async def connect(self) -> None:
        self.user = None
        self._closing = False
        self._slot_held = False
        await self.accept()
        token = token_from_scope(self.scope)
        if token is not None:
            await self._authenticate(token)
        else:
            self._auth_task = asyncio.create_task(self._auth_deadline())

    async def _auth_deadline(self) -> None:
        await asyncio.sleep(settings.WS_AUTH_TIMEOUT_SECONDS)
        if self.user is None:
            await self._refuse("Authentication timed out.")

    async def _refuse(self, message: str) -> None:
        await self.send_unauthorized(message)
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self._closing = True  # nothing this socket sends from now on is handled
        await super().close(code=code, reason=reason)

    async def _authenticate(self, token: Any) -> None:
        user = await user_for_token(token)
        if user is None:
            await self._refuse("Invalid or expired token.")
            return
        if self._auth_task is not None:
            self._auth_task.cancel()
        if self.socket_kind is not None:
            if not await socket_cap.acquire(self.socket_kind, user.pk, self.channel_name):
                await self.send_error(
                    f"Too many open sockets: at most {socket_cap.max_sockets()} per account; close one first."
                )
                await self.close(code=CLOSE_TOO_MANY_SOCKETS)
                return
            self._slot_held = True
        self.user = user
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        await self.send_authenticated()
        await self.on_authenticated()

    async def disconnect(self, code: int) -> None:
        self._closing = True
        if self._auth_task is not None:
            self._auth_task.cancel()
        if self._slot_held:
            self._slot_held = False
            await socket_cap.release(self.channel_name)
        if self.user is not None:
            await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
            await self.on_disconnected(code)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self._closing:
            return  # closed by the server (e.g. the account was deactivated): frames behind it are dropped
        if bytes_data is not None and text_data is None:
            await self.send_error("Binary frames are not supported; send JSON text.")
            return
        if text_data is None or len(text_data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
            await self.send_error(f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_error("Malformed JSON.")
            return
        if not isinstance(content, dict):
            await self.send_error("A frame must be a JSON object.")
            return
        if self.user is None:
            token = auth_frame_token(content)
            if token is None:
                await self._refuse("Authenticate first.")
            else:
                await self._authenticate(token)
            return
        if auth_frame_token(content) is not None:
            return  # re-sent authentication frame: already authenticated, nothing to do
        try:
            await self.handle_frame(content)
        except Exception:
            logger.exception("frame handler failed")
            await self.send_error("The server could not handle that frame.")

    # --- channel-layer events for the user group ---
    async def user_role_changed(self, event: dict[str, Any]) -> None:
        """A promotion takes effect on the open socket; a demotion closes it (SPEC §2: the
        demoted account loses its open sockets; it reconnects with its new rights)."""
        if self.user is None:
            return
        if RIGHTS.get(event["role"], 0) < RIGHTS.get(self.user.role, 0):
            await self.close(code=CLOSE_DISCONNECTED_BY_ADMIN)
            return
        self.user.role = event["role"]
        await self.on_role_changed()

    async def user_disconnect(self, event: dict[str, Any]) -> None:
        await self.close(code=event.get("code", CLOSE_DISCONNECTED_BY_ADMIN))

    # --- hooks for subclasses ---
    async def send_json(self, content: Any) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def send_event(self, event: str, data: dict[str, Any] | None = None) -> None:
        await self.send_json({"event": event, "data": data or {}})

    async def send_error(self, message: str) -> None:
        await self.send_event("ERROR", {"message": message})

    async def send_unauthorized(self, message: str) -> None:
        await self.send_event("unauthorized", {"message": message})

    async def send_authenticated(self) -> None:
        await self.send_event("authenticated", {})

    async def on_authenticated(self) -> None:
        pass

    async def on_role_changed(self) -> None:
        pass

    async def on_disconnected(self, code: int) -> None:
        pass

    async def handle_frame(self, content: dict[str, Any]) -> None:
        raise NotImplementedError


def auth_frame_token(content: dict[str, Any]) -> Any:
    """The token of an authentication frame, in the trivia or the leaderboard shape, else None."""
    # The shape makes an authentication frame; a missing or null token is "" (a bad token), never
    # None, or a re-sent `{"action": "authenticate", "token": null}` would reach handle_frame.
    if content.get("event") == "authentication":
        data = content.get("data")
        token = data.get("idToken") if isinstance(data, dict) else None
        return "" if token is None else token
    action = content.get("action")
    if isinstance(action, str) and action in {"authenticate", "authentication"}:  # a list or dict is unhashable
        token = content.get("token")
        return "" if token is None else token
    return None
