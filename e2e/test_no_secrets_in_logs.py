"""Security review: nothing secret reaches the server's output (access log and application logs).

A real daphne process (the `live_app` fixture, started like `make run`, logging at INFO) serves
a sign-up, a failed and a good login, a token refresh, authenticated requests, WebSocket
authentication by `?token=` and by first frame, and a logout. Its whole output is then searched
for the passwords, every token and the signing key. Not a browser test: it runs in both passes.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import uuid
from pathlib import Path

import aiohttp
import pytest

from e2e.conftest import api_call

ROOT = Path(__file__).resolve().parent.parent


async def authenticate_sockets(ws_base: str, access: str) -> list[dict]:
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{ws_base}/ws/trivia/?token={access}") as by_query:
            first = json.loads((await by_query.receive(timeout=5)).data)
        async with http.ws_connect(f"{ws_base}/ws/leaderboard/") as by_frame:
            await by_frame.send_json({"action": "authenticate", "token": access})
            second = json.loads((await by_frame.receive(timeout=5)).data)
    return [first, second]


def test_passwords_tokens_and_the_signing_key_never_reach_the_logs(live_app):
    name = f"log probe {uuid.uuid4().hex[:6]}"
    password = f"Pw-{uuid.uuid4().hex}"
    wrong_password = f"Wrong-{uuid.uuid4().hex}"
    email = f"{uuid.uuid4().hex[:10]}@private.example"

    api_call(live_app.url, "auth/register", body={"username": name, "email": email, "password": password})
    with pytest.raises(urllib.error.HTTPError) as refused:
        api_call(live_app.url, "auth/token", body={"login": name, "password": wrong_password})
    assert refused.value.code == 401
    pair = api_call(live_app.url, "auth/token", body={"login": email, "password": password})
    rotated = api_call(live_app.url, "auth/token/refresh", body={"refresh": pair["refresh"]})
    assert api_call(live_app.url, "auth/me", token=rotated["access"])["email"] == email
    frames = asyncio.run(authenticate_sockets(live_app.url.replace("http", "ws", 1), rotated["access"]))
    assert frames[0]["event"] == "authenticated" and frames[1]["type"] == "authenticated"
    api_call(live_app.url, "auth/logout", token=rotated["access"], body={"refresh": rotated["refresh"]})

    secrets = {
        "password": password,
        "wrong password": wrong_password,
        "access token": pair["access"],
        "refresh token": pair["refresh"],
        "rotated access token": rotated["access"],
        "rotated refresh token": rotated["refresh"],
        "signing key": live_app.env.get("SECRET_KEY") or (ROOT / ".secret_key").read_text().strip(),
    }
    # The log is live: the requests above are in it (the logout is the last one written).
    deadline = time.monotonic() + 10
    while "POST /api/v1/auth/logout" not in live_app.log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    output = live_app.log_path.read_text()
    assert "POST /api/v1/auth/token" in output and "WSCONNECT /ws/trivia/" in output
    leaked = [what for what, value in secrets.items() if value in output]
    assert not leaked, f"found in the server output: {leaked}"
    # A token is never cut in half either: its signature part alone is not in the log.
    assert not [t for t in secrets.values() if t.count(".") == 2 and t.rsplit(".", 1)[1] in output]
