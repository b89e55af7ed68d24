"""The shared WebSocket authentication helper, on a minimal consumer."""

from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from common.broadcast import group_send_now, user_group
from common.ws import JWTWebsocketConsumer, OriginValidator

pytestmark = pytest.mark.django_db(transaction=True)

# Seconds to wait for a frame that must come: generous, so a loaded CI machine doesn't fail the
# test (a frame that never comes still does). Checks that nothing comes use short windows.
WAIT = 10.0


class EchoConsumer(JWTWebsocketConsumer):
    async def handle_frame(self, content: dict[str, Any]) -> None:
        await self.send_event("ECHO", {"you": self.user.username, "role": self.user.role, "got": content})


app = OriginValidator(URLRouter([path("ws/echo/", EchoConsumer.as_asgi())]))  # type: ignore[list-item, arg-type]  # types-channels wants its own pattern type; Django's path/re_path give URLPattern


def access_for(user) -> str:
    """An access token made without touching the database (safe inside async tests)."""
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


async def connect(path="/ws/echo/", headers=None):
    communicator = WebsocketCommunicator(app, path, headers=headers or [])
    connected, code = await communicator.connect(WAIT)
    return communicator, connected, code


async def test_token_in_query_string_authenticates(gamer):
    comm, connected, _ = await connect(f"/ws/echo/?token={access_for(gamer)}")
    assert connected
    assert await comm.receive_json_from(WAIT) == {"event": "authenticated", "data": {}}
    await comm.send_json_to({"event": "PING"})
    echo = await comm.receive_json_from(WAIT)
    assert echo["data"]["you"] == gamer.username
    await comm.disconnect(timeout=WAIT)


async def test_first_frame_authenticates(gamer):
    comm, _, _ = await connect()
    await comm.send_json_to({"event": "authentication", "data": {"idToken": access_for(gamer)}})
    assert (await comm.receive_json_from(WAIT))["event"] == "authenticated"
    await comm.disconnect(timeout=WAIT)


async def test_bad_token_is_unauthorized_with_close_4001(gamer):
    comm, _, _ = await connect()
    await comm.send_json_to({"event": "authentication", "data": {"idToken": "garbage"}})
    assert (await comm.receive_json_from(WAIT))["event"] == "unauthorized"
    assert (await comm.receive_output(WAIT))["code"] == 4001


@pytest.mark.parametrize(
    "raw",
    [
        '{"event": "authentication", "data": {"idToken": "\\ud800"}}',  # a lone surrogate once escaped the consumer
        '{"action": "authenticate", "token": "\\udfff.x.y"}',
        '{"event": "authentication", "data": {"idToken": "caf\\u00e9.x.y"}}',
    ],
)
async def test_a_non_ascii_token_is_unauthorized_not_a_crash(gamer, raw):
    comm, _, _ = await connect()
    await comm.send_to(text_data=raw)
    assert await comm.receive_json_from(WAIT) == {
        "event": "unauthorized",
        "data": {"message": "Invalid or expired token."},
    }
    assert (await comm.receive_output(WAIT))["code"] == 4001


async def test_frame_before_authentication_is_refused(gamer):
    comm, _, _ = await connect()
    await comm.send_json_to({"event": "ATTEMPT", "data": {"message": "hi"}})
    assert (await comm.receive_json_from(WAIT))["event"] == "unauthorized"
    assert (await comm.receive_output(WAIT))["code"] == 4001


async def test_auth_timeout_closes_with_4001(settings, gamer):
    settings.WS_AUTH_TIMEOUT_SECONDS = 0.05
    comm, _, _ = await connect()
    message = await comm.receive_json_from(WAIT)
    assert message == {"event": "unauthorized", "data": {"message": "Authentication timed out."}}
    assert (await comm.receive_output(WAIT))["code"] == 4001


async def test_malformed_frames_get_error_and_socket_stays_open(gamer):
    comm, _, _ = await connect(f"/ws/echo/?token={access_for(gamer)}")
    await comm.receive_json_from(WAIT)
    for raw in ["{nope", "[1,2]", "x" * 20000, "[" * 5000 + "]" * 5000]:
        await comm.send_to(text_data=raw)
        assert (await comm.receive_json_from(WAIT))["event"] == "ERROR"
    await comm.send_to(bytes_data=b"\x00\x01")
    assert (await comm.receive_json_from(WAIT))["event"] == "ERROR"
    await comm.send_json_to({"event": "STILL_THERE"})
    assert (await comm.receive_json_from(WAIT))["event"] == "ECHO"
    await comm.disconnect(timeout=WAIT)


async def test_an_unhashable_action_is_handled_not_a_crash(gamer):
    comm, _, _ = await connect(f"/ws/echo/?token={access_for(gamer)}")
    await comm.receive_json_from(WAIT)
    for frame in ({"action": []}, {"action": {"a": 1}}, {"event": "X", "action": [["authenticate"]]}):
        await comm.send_json_to(frame)
        assert (await comm.receive_json_from(WAIT))["data"]["got"] == frame  # reached the handler
    await comm.disconnect(timeout=WAIT)
    comm, _, _ = await connect()  # before authentication: refused like any other frame
    await comm.send_json_to({"action": ["authenticate"]})
    assert (await comm.receive_json_from(WAIT))["event"] == "unauthorized"
    assert (await comm.receive_output(WAIT))["code"] == 4001


async def test_role_change_reaches_open_socket(gamer):
    from asgiref.sync import sync_to_async

    comm, _, _ = await connect(f"/ws/echo/?token={access_for(gamer)}")
    await comm.receive_json_from(WAIT)
    await sync_to_async(group_send_now)(user_group(gamer.pk), {"type": "user.role_changed", "role": "moderator"})
    # Through channels-redis the group message may land after our next frame: ask until it shows.
    seen = []
    for _ in range(200):
        await comm.send_json_to({"event": "WHO"})
        seen.append((await comm.receive_json_from(WAIT))["data"]["role"])
        if seen[-1] == "moderator":
            break
    assert seen[-1] == "moderator"
    assert set(seen) <= {"gamer", "moderator"}
    await comm.disconnect(timeout=WAIT)


async def test_browser_origin_must_match_allowed_hosts(gamer):
    _, connected, _ = await connect(headers=[(b"origin", b"https://evil.example")])
    assert not connected
    comm, connected, _ = await connect(headers=[(b"origin", b"http://localhost:8000")])
    assert connected
    await comm.disconnect(timeout=WAIT)


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [("another-key-" + "k" * 40, "HS256"), (None, "HS512"), ("", "none")],
    ids=["other-key", "our-key-other-alg", "unsigned"],
)
async def test_forged_tokens_are_unauthorized_on_the_socket_too(gamer, settings, key, algorithm):
    import jwt

    claims = {"user_id": gamer.pk, "token_type": "access", "exp": 9999999999, "jti": f"forged-{algorithm}"}
    signing_key = settings.SIMPLE_JWT["SIGNING_KEY"] if key is None else (key or None)
    forged = jwt.encode(claims, signing_key, algorithm)
    comm, _, _ = await connect(f"/ws/echo/?token={forged}")
    assert (await comm.receive_json_from(WAIT))["event"] == "unauthorized"
    assert (await comm.receive_output(WAIT))["code"] == 4001


@pytest.mark.parametrize(
    "frame",
    [
        {"action": "authenticate", "token": None, "event": ["x"]},
        {"event": "authentication", "data": {"idToken": None}},
    ],
    ids=["action-null-token", "event-null-idToken"],
)
async def test_a_re_sent_authentication_frame_with_a_null_token_is_ignored(gamer, frame):
    """Found by WebSocket fuzzing: a null token made the frame an ordinary (unknown) event."""
    comm, connected, _ = await connect(f"/ws/echo/?token={access_for(gamer)}")
    assert connected
    assert (await comm.receive_json_from(WAIT))["event"] == "authenticated"
    await comm.send_json_to(frame)
    assert await comm.receive_nothing(timeout=0.2)
    await comm.disconnect(timeout=WAIT)
