"""The client-IP rule (common/client_ip.py) and the throttles that key on it (TRUSTED_PROXIES)."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.client_ip import TrustedProxies, client_ip, parse_address, parse_trusted_proxies

ROOT = Path(__file__).resolve().parents[2]
NONE = TrustedProxies()
ONE = parse_trusted_proxies("1")
TWO = parse_trusted_proxies("2")
LAN = parse_trusted_proxies("10.0.0.0/8, 192.0.2.7, 2001:db8:ffff::/48")


# --- parsing the setting ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "  ", "0"])
def test_unset_or_zero_trusts_nobody(raw: Any) -> None:
    assert not parse_trusted_proxies(raw).enabled


def test_a_number_is_a_count_of_proxies() -> None:
    assert parse_trusted_proxies(" 2 ") == TrustedProxies(count=2)


def test_a_list_is_addresses_and_networks_of_either_family() -> None:
    parsed = parse_trusted_proxies("10.0.0.0/8,192.0.2.7 , ,2001:db8::/32")
    assert parsed.networks == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.7/32"),
        ipaddress.ip_network("2001:db8::/32"),
    )
    assert parsed.trusts(ipaddress.ip_address("10.200.1.1"))
    assert not parsed.trusts(ipaddress.ip_address("11.0.0.1"))
    assert parsed.trusts(ipaddress.ip_address("2001:db8::5"))


@pytest.mark.parametrize("raw", ["one", "10.0.0.0/33", "-1", "1.2.3.4, proxy.example", "1,2"])
def test_a_setting_that_is_neither_is_refused_with_the_part_named(raw: str) -> None:
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        parse_trusted_proxies(raw)


def test_a_process_refuses_to_start_with_a_bad_value() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update({"TRUSTED_PROXIES": "the balancer", "DJANGO_SETTINGS_MODULE": "config.settings"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "GameConnect cannot start: TRUSTED_PROXIES: 'the balancer' is neither a number of proxies nor an IP"
        " address or network"
    ]


# --- addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("198.51.100.4", "198.51.100.4"),
        (" 198.51.100.4 ", "198.51.100.4"),
        ("198.51.100.4:5000", "198.51.100.4"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:198.51.100.4", "198.51.100.4"),
        ("fe80::1%eth0", "fe80::1"),
        ('"198.51.100.4"', "198.51.100.4"),
    ],
)
def test_addresses_are_read_in_every_form_proxies_write_them(text: str, expected: str) -> None:
    assert str(parse_address(text)) == expected


@pytest.mark.parametrize(
    "text", [None, "", "unknown", "_hidden", "1.2.3", "999.1.1.1", "[2001:db8::1", "a:b:c", "<script>"]
)
def test_garbage_is_not_an_address(text: Any) -> None:
    assert parse_address(text) is None


# --- the rule ----------------------------------------------------------------------------------


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_ip("203.0.113.9", "1.2.3.4", NONE) == "203.0.113.9"
    assert client_ip("203.0.113.9", None, NONE) == "203.0.113.9"
    assert client_ip("::1", "1.2.3.4, 5.6.7.8", NONE) == "::1"


def test_one_proxy_the_rightmost_entry_is_the_client() -> None:
    assert client_ip("127.0.0.1", "203.0.113.9", ONE) == "203.0.113.9"
    # Whatever the client wrote itself is left of what the proxy appended.
    assert client_ip("127.0.0.1", "1.2.3.4, 203.0.113.9", ONE) == "203.0.113.9"
    assert client_ip("127.0.0.1", "1.2.3.4,5.6.7.8 ,  203.0.113.9", ONE) == "203.0.113.9"


def test_two_proxies_the_second_entry_from_the_right_is_the_client() -> None:
    assert client_ip("10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.1", TWO) == "203.0.113.9"
    # Fewer entries than proxies: the leftmost (the request skipped a proxy; documented).
    assert client_ip("10.0.0.2", "203.0.113.9", TWO) == "203.0.113.9"


def test_a_trusted_proxy_with_no_header_leaves_the_peer() -> None:
    assert client_ip("127.0.0.1", None, ONE) == "127.0.0.1"
    assert client_ip("127.0.0.1", " , ", ONE) == "127.0.0.1"
    assert client_ip("10.0.0.1", "", LAN) == "10.0.0.1"


def test_garbage_where_the_client_should_be_falls_back_to_the_nearest_known_hop() -> None:
    assert client_ip("127.0.0.1", "unknown", ONE) == "127.0.0.1"
    assert client_ip("10.0.0.2", "1.2.3.4, garbage, 10.0.0.1", TWO) == "10.0.0.1"
    assert client_ip("10.0.0.2", "203.0.113.9, _proxy", LAN) == "10.0.0.2"
    assert client_ip("10.0.0.2", "203.0.113.9, nonsense, 10.0.0.1", LAN) == "10.0.0.1"


def test_addresses_list_walks_past_our_proxies_only() -> None:
    assert client_ip("10.0.0.2", "203.0.113.9, 10.0.0.1", LAN) == "203.0.113.9"
    assert client_ip("192.0.2.7", "1.2.3.4, 203.0.113.9, 10.9.9.9", LAN) == "203.0.113.9"
    # The peer is not one of ours: the header is the client's own, ignored.
    assert client_ip("203.0.113.50", "1.2.3.4", LAN) == "203.0.113.50"
    # Every hop is ours: the leftmost is as far as anyone can see.
    assert client_ip("10.0.0.2", "10.0.0.5, 10.0.0.1", LAN) == "10.0.0.5"


def test_ipv6_everywhere() -> None:
    assert client_ip("2001:db8:ffff::1", "2001:db8:1::9, [2001:db8:2::7]:5123", LAN) == "2001:db8:2::7"
    assert client_ip("::ffff:10.0.0.1", "::ffff:203.0.113.9", LAN) == "203.0.113.9"
    assert client_ip("::1", "[2001:DB8::0001]", ONE) == "2001:db8::1"


def test_a_peer_that_is_no_address_is_kept_as_given() -> None:
    assert client_ip(None, None, NONE) == ""
    assert client_ip("testclient", "1.2.3.4", NONE) == "testclient"


@given(spoofed=st.lists(st.text(max_size=40).filter(lambda s: "," not in s), max_size=6), client=st.ip_addresses())
def test_nothing_a_client_writes_changes_its_identity_behind_one_proxy(spoofed: list[str], client: Any) -> None:
    header = ", ".join([*spoofed, str(client)])
    expected = str(client.ipv4_mapped or client) if client.version == 6 else str(client)
    assert client_ip("127.0.0.1", header, ONE) == expected


@given(spoofed=st.text(max_size=200))
def test_nothing_a_client_writes_changes_its_identity_without_proxies(spoofed: str) -> None:
    assert client_ip("203.0.113.9", spoofed, NONE) == "203.0.113.9"


# --- the throttles ------------------------------------------------------------------------------

TOKEN = "/api/v1/auth/token"
GAMES = "/api/v1/leaderboard/games"


def _logins(api: Any, forwarded: list[str | None], remote: str = "127.0.0.1") -> list[int]:
    codes = []
    for value in forwarded:
        extra = {"REMOTE_ADDR": remote}
        if value is not None:
            extra["HTTP_X_FORWARDED_FOR"] = value
        codes.append(api.post(TOKEN, {"login": "nobody", "password": "wrong-pass"}, **extra).status_code)
    return codes


@pytest.mark.django_db
def test_a_direct_client_cannot_dodge_the_auth_throttle_with_x_forwarded_for(settings: Any, api: Any) -> None:
    settings.THROTTLE_AUTH_RATE = "3/min"
    settings.TRUSTED_PROXIES = ""
    codes = _logins(api, ["1.2.3.4", "1.2.3.5", "5.6.7.8, 9.9.9.9", None])
    assert codes == [401, 401, 401, 429]


@pytest.mark.django_db
def test_behind_one_trusted_proxy_each_real_client_has_its_own_window(settings: Any, api: Any) -> None:
    settings.THROTTLE_AUTH_RATE = "2/min"
    settings.TRUSTED_PROXIES = "1"
    # Client 203.0.113.9 spends its two, and a spoofed prefix doesn't get it a third.
    assert _logins(api, ["203.0.113.9", "1.1.1.1, 203.0.113.9", "7.7.7.7, 203.0.113.9"]) == [401, 401, 429]
    # Another client behind the same proxy is not throttled by the first one's attempts.
    assert _logins(api, ["198.51.100.4", "198.51.100.4"]) == [401, 401]
    assert _logins(api, ["198.51.100.4"]) == [429]


@pytest.mark.django_db
def test_the_anonymous_throttle_keys_on_the_same_rule(settings: Any, api: Any) -> None:
    from common.redis import get_redis

    settings.THROTTLE_ANON_RATE = "100/min"
    settings.TRUSTED_PROXIES = "10.0.0.0/8"
    assert api.get(GAMES, REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="6.6.6.6, [2001:db8::9]:5555").status_code == 200
    assert api.get(GAMES, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="6.6.6.6").status_code == 200
    redis = get_redis()
    assert redis.llen("thr:throttle_anon_2001:db8::9") == 1
    assert redis.llen("thr:throttle_anon_203.0.113.7") == 1
    assert redis.llen("thr:throttle_anon_6.6.6.6") == 0
