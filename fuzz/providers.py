"""Google and Discord as far as social login sees them: no request leaves the machine. The token
endpoint accepts codes of even length and refuses the others, so both paths get fuzzed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

import responses

GOOGLE_TOKEN = "https://accounts.google.com/o/oauth2/token"
GOOGLE_USERINFO = "https://www.googleapis.com/oauth2/v3/userinfo"
DISCORD_TOKEN = "https://discord.com/api/oauth2/token"
DISCORD_ME = "https://discord.com/api/users/@me"

GOOGLE_PROFILE = {"sub": "1098765", "email": "fuzz.google@example.com", "email_verified": True, "name": "Fuzz Google"}
DISCORD_PROFILE = {"id": "8035111", "username": "fuzzcord", "email": "fuzz.discord@example.com", "verified": True}


def _token(request: Any) -> tuple[int, dict[str, str], str]:
    body = request.body or ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    code = parse_qs(body).get("code", [""])[0]
    if len(code) % 2:
        return 400, {}, json.dumps({"error": "invalid_grant"})
    return 200, {}, json.dumps({"access_token": "fuzz-access", "token_type": "Bearer", "expires_in": 3600})


def providers_configure(settings: Any) -> None:
    settings.GOOGLE_CLIENT_ID = settings.DISCORD_CLIENT_ID = "fuzz-client"
    settings.GOOGLE_CLIENT_SECRET = settings.DISCORD_CLIENT_SECRET = "fuzz-secret"


@contextmanager
def providers_mocked() -> Iterator[None]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for url in (GOOGLE_TOKEN, DISCORD_TOKEN):
            rsps.add_callback(responses.POST, url, callback=_token, content_type="application/json")
        rsps.add(responses.GET, GOOGLE_USERINFO, json=GOOGLE_PROFILE)
        rsps.add(responses.GET, DISCORD_ME, json=DISCORD_PROFILE)
        yield
