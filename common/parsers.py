"""JSON request bodies with a nesting limit (SPEC §1: no input of any shape is a 500).

Python's json module recurses once per level and raises RecursionError near 1,000 levels: a 2 KB
body of brackets was a 500 with a traceback on every JSON endpoint. `json_too_deep` measures the
depth before anything is decoded, in linear time with the scanning done by `re` and
`itertools` in C, and `JSONParser` (DRF's `DEFAULT_PARSER_CLASSES` JSON entry) refuses a body
nested deeper than `JSON_MAX_DEPTH` with 400 `json_too_deep`. WebSocket frames are checked in
common/ws.py. No other request body is decoded as JSON (forms and multipart stay text).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deeply `text` nests arrays and objects, brackets inside strings not counted.

    Escapes go first (so an escaped quote can't end a string), then strings (`"[^"]*"` can't
    backtrack: a scan that finds no closing quote happens once, at the last quote), then
    everything but brackets. Outside strings a backslash is not JSON: the decoder stops there,
    so what it hides after it is never decoded. Unbalanced input gives a depth anyway; the
    decoder refuses it.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def json_too_deep(text: str, limit: int | None = None) -> bool:
    """True when `text` nests deeper than `limit` (default JSON_MAX_DEPTH)."""
    return json_depth(text) > (settings.JSON_MAX_DEPTH if limit is None else limit)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that answers 400 `json_too_deep` instead of decoding a body nested
    deeper than JSON_MAX_DEPTH."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            # Text codecs only, as DRF's own parser checks: a bytes-to-bytes codec named in the
            # Content-Type (bz2_codec) would decompress the body past the size limit.
            "".encode(encoding)
        except (LookupError, UnicodeError):
            raise ParseError(f'Unsupported charset "{encoding}" in request Content-Type header.') from None
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_too_deep(text):
            raise ParseError(
                f"JSON nested deeper than {settings.JSON_MAX_DEPTH} levels is refused.", code="json_too_deep"
            )
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
