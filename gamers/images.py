"""Avatar validation and re-encoding: anything accepted is decoded and written anew (≤ 320 px)."""

from __future__ import annotations

import io
import uuid
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

from common.errors import InvalidInput

# Refuse decompression bombs long before they cost memory.
MAX_SOURCE_PIXELS = 40_000_000


def avatar_process(upload: object) -> ContentFile:
    """Decode `upload` as an image, shrink it to fit AVATAR_MAX_SIDE and re-encode it.

    Re-encoding drops metadata and anything smuggled beside the pixels. Raises InvalidInput
    (400, on the `avatar` field: `{"avatar": ["..."], "code": ...}`) when the file is too big or
    not an image Pillow can decode.
    """
    size = getattr(upload, "size", 0) or 0
    if size > settings.AVATAR_MAX_BYTES:
        raise InvalidInput(
            f"Avatars are limited to {settings.AVATAR_MAX_BYTES} bytes.", code="avatar_too_large", field="avatar"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:  # type: ignore[arg-type]  # an uploaded file object; Pillow's types want IO[bytes]
                if probe.width * probe.height > MAX_SOURCE_PIXELS:
                    raise InvalidInput("That image is too large.", code="invalid_image", field="avatar")
                probe.verify()
            upload.seek(0)  # type: ignore[attr-defined]  # an uploaded file object (Pillow just read it)
            with Image.open(upload) as img:  # type: ignore[arg-type]  # an uploaded file object; Pillow's types want IO[bytes]
                img.load()
                has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
                small = img.convert("RGBA" if has_alpha else "RGB")
                small.thumbnail((settings.AVATAR_MAX_SIDE, settings.AVATAR_MAX_SIDE))
                out = io.BytesIO()
                if has_alpha:
                    small.save(out, format="PNG", optimize=True)
                    ext = "png"
                else:
                    small.save(out, format="JPEG", quality=85, optimize=True)
                    ext = "jpg"
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise InvalidInput(
            "Upload a valid image (PNG, JPEG, GIF or WebP).", code="invalid_image", field="avatar"
        ) from exc
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ext}")
