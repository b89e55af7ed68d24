"""Avatar validation and re-encoding: anything accepted is decoded and written anew (≤ 320 px).

Decoding is bounded (SPEC §2: a small file can't cost seconds of CPU or hundreds of MB):
* at most AVATAR_MAX_BYTES uploaded and MAX_SOURCE_PIXELS (12 megapixels) decoded, both read
  before any pixel is decoded (the size from the file's header);
* JPEGs are decoded through `Image.draft` (libjpeg scales by 1/2, 1/4 or 1/8 while decoding),
  and the other formats are shrunk by an integer factor with `reduce` before the resampling;
* at most AVATAR_MAX_DECODES decodes run at once per process; an upload that can't get a turn
  within DECODE_WAIT_SECONDS is a 503 `avatar_busy` (Retry-After), not a queue of 100 MB decodes.
"""

from __future__ import annotations

import io
import threading
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext
from PIL import Image, UnidentifiedImageError

from common.errors import InvalidInput, Unavailable

# A 12 Mpx RGBA image is 48 MB decoded: the most an avatar may cost.
MAX_SOURCE_PIXELS = 12_000_000
DECODE_WAIT_SECONDS = 1.0

_decodes_lock = threading.Lock()
_decodes: threading.BoundedSemaphore | None = None


def _decode_slots() -> threading.BoundedSemaphore:
    global _decodes
    with _decodes_lock:
        if _decodes is None:
            _decodes = threading.BoundedSemaphore(int(getattr(settings, "AVATAR_MAX_DECODES", 2)))
        return _decodes


@contextmanager
def decode_slot() -> Iterator[None]:
    """One of the process's AVATAR_MAX_DECODES decode slots, or 503 `avatar_busy`."""
    slots = _decode_slots()
    if not slots.acquire(timeout=DECODE_WAIT_SECONDS):
        raise Unavailable(
            gettext("Too many images are being processed right now; try again in a moment."),
            code="avatar_busy",
            extra={"retry_after": 2},
        )
    try:
        yield
    finally:
        slots.release()


def _too_large() -> InvalidInput:
    return InvalidInput(
        gettext("That image is too large: at most %(value)s megapixels.") % {"value": MAX_SOURCE_PIXELS // 1000000},
        code="invalid_image",
        field="avatar",
    )


def _decode_small(img: Image.Image, side: int) -> Image.Image:
    """`img` decoded at about the smallest size that still covers `side` (not below it)."""
    if img.format == "JPEG":
        # Pick libjpeg's DCT scaling: the decoded image is at least (side, side) as requested.
        img.draft("RGB" if img.mode not in ("L", "RGB") else img.mode, (side, side))
    img.load()
    factor = min(img.width, img.height) // side
    # `reduce` averages pixel values: meaningful for these modes (not palette indices or bits).
    if factor >= 2 and img.mode in ("L", "LA", "RGB", "RGBA", "RGBX", "I", "F"):
        return img.reduce(factor)
    return img


def avatar_process(upload: Any) -> ContentFile:
    """Decode `upload` as an image, shrink it to fit AVATAR_MAX_SIDE and re-encode it.

    Re-encoding drops metadata and anything smuggled beside the pixels. Raises InvalidInput
    (400, on the `avatar` field: `{"avatar": ["..."], "code": ...}`) when the file is too big,
    decodes to more than MAX_SOURCE_PIXELS, or is not an image Pillow can decode; Unavailable
    (503 `avatar_busy`) when every decode slot stays busy.
    """
    size = getattr(upload, "size", 0) or 0
    if size > settings.AVATAR_MAX_BYTES:
        raise InvalidInput(
            gettext("Avatars are limited to %(AVATAR_MAX_BYTES)s bytes.")
            % {"AVATAR_MAX_BYTES": settings.AVATAR_MAX_BYTES},
            code="avatar_too_large",
            field="avatar",
        )
    side = int(settings.AVATAR_MAX_SIDE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Opening reads the header only: the pixel count is known before anything is decoded.
            with Image.open(upload) as probe:
                if probe.width * probe.height > MAX_SOURCE_PIXELS:
                    raise _too_large()
                probe.verify()
            upload.seek(0)
            with decode_slot(), Image.open(upload) as img:
                if img.width * img.height > MAX_SOURCE_PIXELS:
                    raise _too_large()
                decoded = _decode_small(img, side)
                has_alpha = decoded.mode in ("RGBA", "LA", "PA") or (
                    decoded.mode == "P" and "transparency" in decoded.info
                )
                small = decoded.convert("RGBA" if has_alpha else "RGB")
                small.thumbnail((side, side))
                out = io.BytesIO()
                if has_alpha:
                    small.save(out, format="PNG", optimize=True)
                    ext = "png"
                else:
                    small.save(out, format="JPEG", quality=85, optimize=True)
                    ext = "jpg"
    except (InvalidInput, Unavailable):
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise InvalidInput(
            gettext("Upload a valid image (PNG, JPEG, GIF or WebP)."), code="invalid_image", field="avatar"
        ) from exc
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ext}")
