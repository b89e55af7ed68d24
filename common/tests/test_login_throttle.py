"""Sign-ins are limited per account as well as per address (SPEC §2, THROTTLE_LOGIN_ACCOUNT_RATE),
and rates may name a period with a count (`10/15min`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common import throttling
from common.rates import parse_rate
from common.throttling import login_identity
from conftest import make_gamer
from gamers.rules import normalize_email, username_key

TOKEN = "/api/v1/auth/token"
ROOT = Path(__file__).resolve().parents[2]


# --- rates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [
        ("10/min", (10, 60)),
        ("600/minute", (600, 60)),
        ("10/15min", (10, 900)),
        ("3/s", (3, 1)),
        ("5/2h", (5, 7200)),
        ("100/hour", (100, 3600)),
        ("1/day", (1, 86400)),
        (" 7 / 30 sec ", (7, 30)),
        ("2/3DAYS", (2, 3 * 86400)),
    ],
)
def test_rates_parse_with_and_without_a_period_count(rate: str, parsed: tuple[int, int]) -> None:
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["", "10", "10/", "/min", "ten/min", "10/15", "10/0min", "10/fortnight", "-1/min"])
def test_a_malformed_rate_is_a_value_error_naming_it(rate: str) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(rate)


def test_a_bad_rate_in_the_environment_stops_the_process_at_start() -> None:
    env = {**os.environ, "THROTTLE_LOGIN_ACCOUNT_RATE": "10/fortnight", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "THROTTLE_LOGIN_ACCOUNT_RATE: '10/fortnight' is not a rate" in result.stderr


# --- whose window ----------------------------------------------------------------------------


@given(st.text(max_size=60))
def test_login_identity_is_the_username_key(text: str) -> None:
    # common can't import gamers.rules; the two must still agree, or a respelling of a username
    # would open a fresh window.
    assert login_identity(text) == username_key(text)


@given(st.emails())
def test_every_spelling_of_one_email_shares_a_window(email: str) -> None:
    for spelling in (email.upper(), f"  {email.title()} ", email.swapcase()):
        if normalize_email(spelling) == normalize_email(email):  # the spellings that reach the account
            assert login_identity(spelling) == login_identity(email)


def test_the_redis_key_holds_no_login() -> None:
    key = throttling.LoginAccountRateThrottle().cache_key_for("Chad@Example.com")
    assert key is not None and "chad" not in key.lower() and "example" not in key.lower()
    assert key == throttling.LoginAccountRateThrottle().cache_key_for(" chad@example.COM")
    assert key != throttling.LoginAccountRateThrottle().cache_key_for("chad@example.org")


# --- through the API -------------------------------------------------------------------------


def _login(api: Any, login: str, password: str, ip: str) -> Any:
    return api.post(TOKEN, {"login": login, "password": password}, format="json", REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_guessing_one_account_from_many_addresses_stops(settings: Any, api: Any) -> None:
    settings.THROTTLE_LOGIN_ACCOUNT_RATE = "3/15min"
    make_gamer("chad gamer", email="chad@example.com")
    tries = [("chad gamer", "1.1.1.1"), ("CHAD  GAMER", "2.2.2.2"), (" Chad Gamer", "3.3.3.3")]
    assert [_login(api, login, "wrong", ip).status_code for login, ip in tries] == [401, 401, 401]
    # The right password, from a fourth address: the account's window is full.
    refused = _login(api, "chad gamer", "S3cure-pass!", "4.4.4.4")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 60 < int(refused["Retry-After"]) <= 15 * 60 + 1
    # The window is the login as typed (the throttle runs before any lookup): the email is a
    # window of its own, with the same spelling rule.
    emails = [("chad@example.com", "5.5.5.5"), ("CHAD@example.com ", "6.6.6.6"), ("Chad@Example.COM", "7.7.7.7")]
    assert [_login(api, login, "wrong", ip).status_code for login, ip in emails] == [401, 401, 401]
    assert _login(api, "chad@example.com", "S3cure-pass!", "8.8.8.8").status_code == 429


@pytest.mark.django_db
def test_a_lan_party_behind_one_address_is_not_locked_out_by_one_player(settings: Any, api: Any) -> None:
    settings.THROTTLE_LOGIN_ACCOUNT_RATE = "3/15min"
    settings.THROTTLE_AUTH_RATE = "10/min"
    make_gamer("typo player")
    make_gamer("careful player")
    lan = "192.0.2.50"
    assert [_login(api, "typo player", "wrong", lan).status_code for _ in range(4)] == [401, 401, 401, 429]
    assert _login(api, "careful player", "S3cure-pass!", lan).status_code == 200


@pytest.mark.django_db
def test_the_account_window_is_fifteen_minutes(settings: Any, api: Any, monkeypatch: Any) -> None:
    settings.THROTTLE_LOGIN_ACCOUNT_RATE = "2/15min"
    make_gamer("slow guesser")
    clock = [2_000_000.0]
    monkeypatch.setattr(throttling.LoginAccountRateThrottle, "timer", lambda self: clock[0])
    assert [_login(api, "slow guesser", "wrong", "10.0.0.1").status_code for _ in range(3)] == [401, 401, 429]
    clock[0] += 14 * 60
    assert _login(api, "slow guesser", "S3cure-pass!", "10.0.0.1").status_code == 429
    clock[0] += 61  # the first two are now more than 15 minutes old
    assert _login(api, "slow guesser", "S3cure-pass!", "10.0.0.1").status_code == 200


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_does_not_move_either_login_window(settings: Any, api: Any) -> None:
    settings.THROTTLE_AUTH_RATE = "2/min"
    settings.TRUSTED_PROXIES = ""
    codes = [
        api.post(
            TOKEN,
            {"login": f"nobody {i}", "password": "x"},
            format="json",
            REMOTE_ADDR="198.51.100.1",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(3)
    ]
    assert codes == [401, 401, 429]


@pytest.mark.django_db
def test_a_body_without_a_text_login_is_a_400_not_a_throttle_error(settings: Any, api: Any) -> None:
    settings.THROTTLE_LOGIN_ACCOUNT_RATE = "1/15min"
    for body in ({"login": ["a", "b"], "password": "x"}, {"password": "x"}, {"login": {"a": 1}, "password": "x"}):
        assert api.post(TOKEN, body, format="json").status_code == 400
