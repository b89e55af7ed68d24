"""Avatar decoding is bounded (SPEC §2): at most 12 megapixels decoded and 5 MiB uploaded (400 on
the `avatar` field beyond), JPEGs decoded through `Image.draft` and the rest shrunk with
`reduce`, at most AVATAR_MAX_DECODES decodes at once per process (503 `avatar_busy` beyond)."""

from __future__ import annotations

import io
import threading
import time
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gamers import images

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me"


def encoded(width: int, height: int, fmt: str = "PNG", mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (width, height), (200, 30, 30) if mode == "RGB" else 0).save(buf, format=fmt)
    return buf.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def bomb_png(width: int, height: int) -> bytes:
    """A valid RGB PNG of flat pixels, written by hand (fast): a small file that decodes big."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\0" + b"\x10\x20\x30" * width
    pixels = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_a_small_png_that_decodes_beyond_12_megapixels_is_refused_at_once(gamer_client, gamer):
    data = bomb_png(6000, 6000)  # 36 Mpx: 108 MB of pixels before the fix decoded them
    assert len(data) < 200 * 1024
    started = time.monotonic()
    response = gamer_client.patch(ME, {"avatar": upload("bomb.png", data)}, format="multipart")
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert response.json() == {"avatar": ["That image is too large: at most 12 megapixels."], "code": "invalid_image"}
    assert elapsed < 0.5, f"refusing took {elapsed:.2f} s"
    gamer.refresh_from_db()
    assert not gamer.avatar


@pytest.mark.parametrize(("size", "status"), [((4000, 3000), 200), ((4000, 3001), 400)])
def test_the_cap_is_12_megapixels(gamer_client, size, status):
    response = gamer_client.patch(ME, {"avatar": upload("edge.png", bomb_png(*size))}, format="multipart")
    assert response.status_code == status, response.content


def test_uploads_over_5_mib_are_refused_before_decoding(gamer_client, gamer, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("decoded an oversized upload")

    monkeypatch.setattr(images.Image, "open", never)
    data = encoded(10, 10) + b"\0" * (5 * 1024 * 1024)
    response = gamer_client.patch(ME, {"avatar": upload("fat.png", data)}, format="multipart")
    assert response.status_code == 400, response.content
    assert "avatar" in response.json()
    gamer.refresh_from_db()
    assert not gamer.avatar


def test_bodies_over_max_body_bytes_are_413_before_anything_is_parsed(gamer_client, gamer, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("decoded an oversized upload")

    monkeypatch.setattr(images.Image, "open", never)
    data = encoded(10, 10) + b"\0" * (6 * 1024 * 1024)
    response = gamer_client.patch(ME, {"avatar": upload("fat.png", data)}, format="multipart")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    gamer.refresh_from_db()
    assert not gamer.avatar


def test_a_big_jpeg_is_decoded_scaled_down_by_the_decoder():
    with Image.open(io.BytesIO(encoded(4000, 3000, "JPEG"))) as img:
        small = images._decode_small(img, 320)
    # libjpeg's 1/8 scale: 500 x 375, never below the avatar side.
    assert small.size == (500, 375)


def test_other_formats_are_reduced_before_resampling():
    with Image.open(io.BytesIO(encoded(3200, 1600))) as img:
        small = images._decode_small(img, 320)
    assert small.size == (640, 320)  # reduce(5): the shorter side / 320
    with Image.open(io.BytesIO(encoded(3200, 1600, mode="P"))) as img:
        assert images._decode_small(img, 320).size == (3200, 1600)  # palette indices aren't averaged


def test_jpeg_and_png_avatars_still_come_out_at_320(gamer_client, gamer):
    for name, data in [("a.jpg", encoded(4000, 3000, "JPEG")), ("a.png", encoded(3000, 4000, mode="RGBA"))]:
        assert gamer_client.patch(ME, {"avatar": upload(name, data)}, format="multipart").status_code == 200
        gamer.refresh_from_db()
        with Image.open(gamer.avatar.path) as stored:
            assert max(stored.size) == 320


def test_decodes_beyond_the_slots_are_503_fast(gamer_client, gamer, monkeypatch):
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(images, "_decodes", slots)
    monkeypatch.setattr(images, "DECODE_WAIT_SECONDS", 0.05)
    assert slots.acquire(blocking=False)  # another upload is being decoded
    try:
        started = time.monotonic()
        response = gamer_client.patch(ME, {"avatar": upload("a.png", encoded(50, 50))}, format="multipart")
        assert time.monotonic() - started < 1.0
        assert response.status_code == 503
        assert response.json()["code"] == "avatar_busy"
    finally:
        slots.release()
    # The slot free again: the same upload goes through.
    assert gamer_client.patch(ME, {"avatar": upload("a.png", encoded(50, 50))}, format="multipart").status_code == 200
    gamer.refresh_from_db()
    assert gamer.avatar
