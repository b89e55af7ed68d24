"""`/admin/login/` follows the API's sign-in limits (SPEC §2): per IP and per account, in the
same windows as `POST /auth/token`; a locked login is a readable 429 page, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import make_gamer

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"


def _post(username: str, password: str, ip: str = "192.0.2.10", client: Client | None = None) -> Any:
    return (client or Client()).post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_guessing_an_admin_password_locks_the_account_from_any_address(settings: Any) -> None:
    settings.THROTTLE_LOGIN_ACCOUNT_RATE = "3/15min"
    make_gamer("root admin", role="admin")
    codes = [_post("root admin", "guess", ip=f"198.51.100.{i}").status_code for i in range(3)]
    assert codes == [200, 200, 200]  # the form again, with its error
    locked = _post("ROOT  admin", "S3cure-pass!", ip="198.51.100.99")
    assert locked.status_code == 429
    assert 60 < int(locked["Retry-After"]) <= 15 * 60 + 1
    assert "no-cache" in locked["Cache-Control"]
    text = locked.content.decode()
    assert "Too many sign-in attempts" in text
    assert "Try again in 15 minutes" in text
    assert "sessionid" not in locked.cookies  # not signed in


def test_the_admin_login_is_limited_per_address(settings: Any) -> None:
    settings.THROTTLE_AUTH_RATE = "2/min"
    codes = [_post(f"someone {i}", "guess").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    # Another address is not affected.
    assert _post("someone 9", "guess", ip="203.0.113.5").status_code == 200


def test_the_api_and_the_admin_share_one_window_per_account(settings: Any, api: Any) -> None:
    settings.THROTTLE_LOGIN_ACCOUNT_RATE = "3/15min"
    make_gamer("shared admin", role="admin")
    for ip in ("10.1.0.1", "10.1.0.2"):
        assert (
            api.post("/api/v1/auth/token", {"login": "shared admin", "password": "x"}, REMOTE_ADDR=ip).status_code
            == 401
        )
    assert _post("shared admin", "guess", ip="10.1.0.3").status_code == 200
    assert _post("shared admin", "S3cure-pass!", ip="10.1.0.4").status_code == 429
    assert api.post("/api/v1/auth/token", {"login": "shared admin", "password": "S3cure-pass!"}).status_code == 429


def test_showing_the_form_and_signing_in_within_the_limits_still_work(settings: Any) -> None:
    settings.THROTTLE_LOGIN_ACCOUNT_RATE = "2/15min"
    settings.THROTTLE_AUTH_RATE = "2/min"
    make_gamer("fine admin", role="admin")
    client = Client()
    assert [client.get(LOGIN, REMOTE_ADDR="192.0.2.20").status_code for _ in range(5)] == [200] * 5
    signed_in = _post("fine admin", "S3cure-pass!", ip="192.0.2.20", client=client)
    assert signed_in.status_code == 302
    assert client.get("/admin/", REMOTE_ADDR="192.0.2.20").status_code == 200
