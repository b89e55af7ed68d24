"""The submission edge and daphne's tuning on a real daphne process (the `live_app` fixture).

`POST /leaderboard/scores` is answered by common.edge in front of Django's handler; the same
request with a cookie goes through Django's handler. Both answers must carry the same headers.
Twisted no longer parses POST bodies (common.asgi.tune_daphne): form and multipart bodies still
reach Django whole. Not a browser test: it runs in both CI passes.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid

from e2e.conftest import api_call


def _new_player(live_app) -> tuple[str, str]:
    name, password = f"edge {uuid.uuid4().hex[:8]}", f"Pw-{uuid.uuid4().hex}"
    api_call(
        live_app.url, "auth/register", body={"username": name, "email": f"{name[5:]}@e.example", "password": password}
    )
    return name, password


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def test_a_submission_gets_the_same_answer_at_the_edge_as_through_django(live_app):
    name, password = _new_player(live_app)
    token = api_call(live_app.url, "auth/token", body={"login": name, "password": password})["access"]
    url = f"{live_app.url}/api/v1/leaderboard/scores"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    first = _post(url, json.dumps({"game": "chess", "score": 2000}).encode(), headers)
    # A lower score: the same answer for both (best and ranks unchanged); the cookie sends it to Django.
    at_edge = _post(url, json.dumps({"game": "chess", "score": 10}).encode(), headers)
    via_django = _post(url, json.dumps({"game": "chess", "score": 10}).encode(), {**headers, "Cookie": "x=1"})
    assert first[0] == at_edge[0] == via_django[0] == 201
    assert json.loads(at_edge[2]) == json.loads(via_django[2])
    assert json.loads(at_edge[2])["best"] == 2000 and json.loads(at_edge[2])["score"] == 10
    ignore = {"date"}  # the second may differ
    assert {k: v for k, v in at_edge[1].items() if k not in ignore} == {
        k: v for k, v in via_django[1].items() if k not in ignore
    }
    boards = api_call(live_app.url, "leaderboard/chess/me", token=token)
    assert boards["score"] == 2000


def test_form_and_multipart_bodies_still_reach_django_whole(live_app):
    name, password = _new_player(live_app)
    url = f"{live_app.url}/api/v1/auth/token"
    form = urllib.parse.urlencode({"login": name, "password": password}).encode()
    status, _, body = _post(url, form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and "access" in json.loads(body)
    boundary = uuid.uuid4().hex
    multipart = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in {"login": name, "password": password}.items()
        ).encode()
        + f"--{boundary}--\r\n".encode()
    )
    status, _, body = _post(url, multipart, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 200 and "access" in json.loads(body)
