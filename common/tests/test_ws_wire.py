"""Broadcast frames encoded once (common.ws_wire)."""

from __future__ import annotations

import functools

import pytest

from common.ws_wire import raw_writer, text_frame


def parse(data: bytes) -> list[str]:
    """A client's reading of server frames (RFC 6455 §5.2): FIN + text, unmasked."""
    texts, pos = [], 0
    while pos < len(data):
        assert data[pos] == 0x81 and data[pos + 1] & 0x80 == 0
        n, pos = data[pos + 1] & 0x7F, pos + 2
        if n == 126:
            n, pos = int.from_bytes(data[pos : pos + 2], "big"), pos + 2
        elif n == 127:
            n, pos = int.from_bytes(data[pos : pos + 8], "big"), pos + 8
        texts.append(data[pos : pos + n].decode("utf-8"))
        pos += n
    return texts


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_text_frame_carries_its_text_whatever_the_length(size):
    text = ("é" * size)[:size] if size % 2 else "x" * size
    assert parse(text_frame(text)) == [text]


def test_frames_written_together_read_back_in_order():
    texts = ['{"event":"ROUND"}', "ü" * 200, "z" * 70000]
    assert parse(b"".join(text_frame(t) for t in texts)) == texts


def test_no_raw_writer_outside_daphne():
    async def send(message):  # e.g. channels' test communicator
        pass

    class NotDaphne:
        async def handle_reply(self, protocol, message):
            pass

    assert raw_writer(send) is None
    assert raw_writer(functools.partial(NotDaphne().handle_reply, object())) is None
