"""Test support for fuzzing the WebSocket consumers (trivia and leaderboard tests import it).

Hypothesis strategies for hostile frames, a reader that fails on anything a server error looks
like (an exception escaping the consumer, a close frame, the base consumer's catch-all reply, a
logged error), and the shared settings profile. See docs/hardening.md, "WebSocket fuzzing".
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any

from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from common.ws import MAX_FRAME_BYTES

# The base consumer's reply when a handler raised: a server error in disguise, never expected.
CATCH_ALL_MESSAGE = "The server could not handle that frame."

# Modest by default (CI runs the suite twice on 2 cores); WSFUZZ_EXAMPLES=500 for a deeper run.
FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("WSFUZZ_EXAMPLES", "30")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Frame:
    """One WebSocket frame as sent: text (any str, even one with a lone surrogate) or bytes."""

    text: str | None = None
    data: bytes | None = None

    async def send(self, comm: WebsocketCommunicator) -> None:
        # send_input, not send_to: send_to refuses empty frames, which clients can send.
        if self.data is not None:
            await comm.send_input({"type": "websocket.receive", "bytes": self.data})
        else:
            await comm.send_input({"type": "websocket.receive", "text": self.text})

    def parsed(self) -> Any:
        """What the consumer sees after its own checks: a dict, or None when it must refuse the
        frame before looking at its content (binary, too big, not JSON, not an object)."""
        if self.text is None or len(self.text.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
            return None
        try:
            content = json.loads(self.text)
        except (ValueError, RecursionError):
            return None
        return content if isinstance(content, dict) else None

    def __repr__(self) -> str:  # short, for hypothesis' falsifying examples
        shown = repr(self.data if self.data is not None else self.text)
        return f"Frame({shown[:300]}{'...' if len(shown) > 300 else ''}, {len(shown)} chars)"


def encode(value: Any) -> Frame:
    """JSON text as a client would send it (ASCII escapes keep lone surrogates; NaN allowed)."""
    return Frame(text=json.dumps(value, allow_nan=True))


def pick(*strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """One of `strategies`, each equally likely. (st.one_of flattens nested one_ofs into their
    branches, so a big one_of among them would crowd out the others; repeat one to weight it.)"""
    return st.sampled_from(strategies).flatmap(lambda strategy: strategy)


# --- JSON values -----------------------------------------------------------------------------

# Every code point, lone surrogates and NUL included (json.dumps escapes them as \ud800, \u0000).
any_char = st.characters(codec=None, exclude_categories=())
hostile_text = st.text(any_char, max_size=40) | st.sampled_from(
    ["", " ", "\x00", "\ud800", "\udfff", "a\ud83d", "🔥", "🇹🇳", "e\u0301", "\u200b", "ﷺ", "‮rtl", "null", "{}", "0"]
)
# Up to 10**4200: Python's int/str conversion stops at 4300 digits.
huge_ints = st.sampled_from([2**31, 2**53 + 1, 2**63, 2**64, 10**30, -(2**63) - 1, -(10**30)]) | st.builds(
    pow, st.just(10), st.integers(300, 4200)
)
numbers = (
    st.integers(-(2**70), 2**70)
    | huge_ints
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0, -1, -0.0, 1.5, 1e308, -1e-308])
)
json_scalars = st.none() | st.booleans() | numbers | hostile_text
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=12,
)
# Wrong types for a field that wants an object, a string or a number.
not_objects = json_scalars | st.lists(json_values, max_size=3)


# --- frames that no protocol accepts -----------------------------------------------------------


def _nested(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    return '{"event":' + "[" * depth + "]" * depth + "}"  # deep inside an otherwise valid frame


def _oversized(size: int, fill: str) -> str:
    """A frame over the limit: as a bare string, or as a well-formed object (must still be refused)."""
    per_char = len(fill.encode("utf-8"))
    return json.dumps({"event": "ATTEMPT", "action": "add_score", "data": {"message": fill * (size // per_char)}})


binary_frames = st.binary(max_size=64).map(lambda b: Frame(data=b)) | st.sampled_from(
    [b"", b"\xff\xfe\xfd", b"\xc3\x28", b'{"event": "ATTEMPT", "data": {"message": "x"}}', b"\xed\xa0\x80"]
).map(lambda b: Frame(data=b))
huge_frames = st.builds(
    lambda size, fill: Frame(text=_oversized(size, fill)),
    st.integers(MAX_FRAME_BYTES + 1, 3 * MAX_FRAME_BYTES),
    st.sampled_from(["x", "é", "€", "🔥"]),
) | st.builds(lambda size: Frame(text="x" * size), st.integers(MAX_FRAME_BYTES + 1, 2 * MAX_FRAME_BYTES))
nested_frames = st.builds(
    lambda depth, kind: Frame(text=_nested(depth, kind)),
    st.integers(50, 3000),
    st.sampled_from(["list", "object", "inside"]),
)
not_json_frames = st.text(any_char, max_size=60).filter(lambda t: _not_json(t)).map(
    lambda t: Frame(text=t)
) | st.sampled_from(
    [
        "",
        "{nope",
        "{'event': 'ATTEMPT'}",
        '{"event": "ATTEMPT",}',
        '{"event": "ATTEMPT"} trailing',
        "\ud800",  # a lone surrogate in the text itself, the nearest a str gets to invalid UTF-8
        '{"event": "\ud800"}',
        "\x00",
    ]
).map(lambda t: Frame(text=t))
# An integer past Python's 4300-digit int/str limit: json.loads raises ValueError.
too_long_ints = st.integers(4300, 6000).map(
    lambda n: Frame(text='{"event": "ATTEMPT", "data": {"message": 1%s}}' % ("0" * n))
)
wrong_type_frames = not_objects.map(encode)

junk_frames = pick(binary_frames, huge_frames, nested_frames, not_json_frames, too_long_ints, wrong_type_frames)


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return True
    return False


# Authentication frames in both shapes (common.ws), with hostile tokens; and `action`s of any type.
tokens = pick(hostile_text, json_values, st.sampled_from(["", "a.b.c", "x" * 5000, "\ud800.x.y", "é.x.y"]))
actions = pick(st.sampled_from(["authenticate", "authentication"]), json_values)
auth_frames = pick(
    st.fixed_dictionaries(
        {"event": st.just("authentication")},
        optional={"data": pick(json_values, st.fixed_dictionaries({"idToken": tokens}))},
    ),
    st.fixed_dictionaries({"action": actions}, optional={"token": tokens}),
).map(encode)


def with_extras(base: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects from `base`, some with extra fields of any value."""
    return st.builds(lambda obj, extra: {**extra, **obj}, base, st.dictionaries(hostile_text, json_values, max_size=3))


# --- reading what the server sends ----------------------------------------------------------


async def next_json(comm: WebsocketCommunicator, timeout: float = 10) -> dict[str, Any]:
    """The next frame the server sends, parsed. Fails on a close (any code: nothing in these
    tests should close the socket) and re-raises an exception that escaped the consumer.
    The timeout is generous: it only runs out on a failure, or on a very loaded machine."""
    output = await comm.receive_output(timeout=timeout)
    assert output["type"] == "websocket.send", f"the server closed the socket: {output}"
    assert output.get("text") is not None, f"the server sent a binary frame: {output}"
    frame = json.loads(output["text"])
    assert isinstance(frame, dict), frame
    return frame


def assert_no_logged_errors(caplog: Any) -> None:
    """No error was logged by the project's code (the consumers log what they catch)."""
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR and r.name.startswith("gameconnect")]
    assert not errors, [f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in errors]


def kind(frame: dict[str, Any]) -> str:
    """A server frame's name in either wire format: trivia's `event`, the leaderboard's `type`."""
    return str(frame.get("event", frame.get("type"))).lower()


async def check_first_frame(comm: WebsocketCommunicator, frame: Frame, authentication: dict[str, Any]) -> None:
    """`frame` was a fresh socket's first frame. Not an object: an error, and the socket can still
    authenticate with `authentication`. Any object but a valid authentication frame:
    `unauthorized` and close 4001 (SPEC §5; §6 shares it)."""
    reply = await next_json(comm)
    if frame.parsed() is None:
        assert kind(reply) == "error" and CATCH_ALL_MESSAGE not in json.dumps(reply), reply
        await comm.send_json_to(authentication)
        assert kind(await next_json(comm)) == "authenticated"
        await comm.disconnect()
    else:
        assert kind(reply) == "unauthorized", reply
        output = await comm.receive_output(timeout=3)
        assert (output["type"], output.get("code")) == ("websocket.close", 4001), output
