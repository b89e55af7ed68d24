"""Discord link codes: POST /auth/discord/link-code and the `discord_link` service (`!link CODE`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.errors import Conflict, InvalidInput, NotFound
from conftest import make_gamer, utc
from gamers.models import DiscordLinkCode, Gamer
from gamers.rules import LINK_CODE_ALPHABET
from gamers.services import discord_link, discord_link_code_create
from testsupport.testing import run_in_threads

pytestmark = pytest.mark.django_db

LINK_CODE = "/api/v1/auth/discord/link-code"
DISCORD_ID = "123456789012345678"


@pytest.mark.time_machine(utc(2031, 3, 12, 12, 0, 0, 250000), tick=False)
def test_link_code_is_8_unambiguous_characters_valid_10_minutes(gamer_client):
    response = gamer_client.post(LINK_CODE)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"code", "expires_at"}
    assert len(body["code"]) == 8 and set(body["code"]) <= set(LINK_CODE_ALPHABET)
    assert parse_datetime(body["expires_at"]) == timezone.now() + timedelta(minutes=10)


def test_link_code_needs_a_signed_in_user(api):
    response = api.post(LINK_CODE)
    assert response.status_code == 401


def test_codes_are_random(gamer, other_gamer):
    codes = {discord_link_code_create(user=gamer).code for _ in range(5)} | {
        discord_link_code_create(user=other_gamer).code
    }
    assert len(codes) == 6


def test_link_binds_the_discord_user_and_me_shows_it(gamer, gamer_client):
    code = gamer_client.post(LINK_CODE).json()["code"]
    linked = discord_link(code=code, discord_id=int(DISCORD_ID))
    assert linked.pk == gamer.pk
    assert linked.discord_id == DISCORD_ID
    me = gamer_client.get("/api/v1/auth/me").json()
    assert me["discord_id"] == DISCORD_ID and me["discord_linked"] is True


def test_code_is_accepted_in_lower_case_with_a_dash_and_spaces(gamer):
    code = discord_link_code_create(user=gamer).code
    typed = f" {code[:4].lower()}-{code[4:].lower()} "
    assert discord_link(code=typed, discord_id=DISCORD_ID).pk == gamer.pk


def test_reused_code_is_refused(gamer):
    code = discord_link_code_create(user=gamer).code
    discord_link(code=code, discord_id=DISCORD_ID)
    with pytest.raises(Conflict) as same_user:
        discord_link(code=code, discord_id=DISCORD_ID)
    with pytest.raises(Conflict) as other_user:
        discord_link(code=code, discord_id="999")
    assert same_user.value.code == other_user.value.code == "link_code_used"
    assert not Gamer.objects.filter(discord_id="999").exists()


def test_code_expires_after_ten_minutes(gamer, time_machine):
    time_machine.move_to(utc(2031, 3, 12, 12), tick=False)
    link = discord_link_code_create(user=gamer)
    time_machine.shift(timedelta(minutes=10))  # its last instant is over
    with pytest.raises(InvalidInput) as exc:
        discord_link(code=link.code, discord_id=DISCORD_ID)
    assert exc.value.code == "link_code_expired"
    gamer.refresh_from_db()
    assert gamer.discord_id is None


def test_code_still_works_just_before_expiry(gamer, time_machine):
    time_machine.move_to(utc(2031, 3, 12, 12), tick=False)
    link = discord_link_code_create(user=gamer)
    time_machine.shift(timedelta(minutes=10, microseconds=-1))
    assert discord_link(code=link.code, discord_id=DISCORD_ID).discord_id == DISCORD_ID


def test_unknown_code_is_refused(gamer):
    with pytest.raises(NotFound) as exc:
        discord_link(code="ZZZZZZZZ", discord_id=DISCORD_ID)
    assert exc.value.code == "link_code_invalid"


def test_a_new_code_replaces_the_previous_one(gamer_client):
    old = gamer_client.post(LINK_CODE).json()["code"]
    new = gamer_client.post(LINK_CODE).json()["code"]
    with pytest.raises(NotFound):
        discord_link(code=old, discord_id=DISCORD_ID)
    assert discord_link(code=new, discord_id=DISCORD_ID).discord_id == DISCORD_ID


def test_discord_user_linked_elsewhere_is_refused_and_the_code_stays_usable(gamer, other_gamer):
    Gamer.objects.filter(pk=other_gamer.pk).update(discord_id=DISCORD_ID)
    code = discord_link_code_create(user=gamer).code
    with pytest.raises(Conflict) as exc:
        discord_link(code=code, discord_id=DISCORD_ID)
    assert exc.value.code == "discord_already_linked"
    assert other_gamer.username in exc.value.detail
    gamer.refresh_from_db()
    assert gamer.discord_id is None
    assert discord_link(code=code, discord_id="555").discord_id == "555"


def test_relinking_the_same_discord_user_to_the_same_account_is_fine(gamer):
    discord_link(code=discord_link_code_create(user=gamer).code, discord_id=DISCORD_ID)
    again = discord_link(code=discord_link_code_create(user=gamer).code, discord_id=DISCORD_ID)
    assert again.discord_id == DISCORD_ID


def test_linking_a_new_discord_user_replaces_the_accounts_old_binding(gamer):
    discord_link(code=discord_link_code_create(user=gamer).code, discord_id="111")
    discord_link(code=discord_link_code_create(user=gamer).code, discord_id="222")
    gamer.refresh_from_db()
    assert gamer.discord_id == "222"
    assert not Gamer.objects.filter(discord_id="111").exists()


def test_long_expired_codes_are_cleaned_up(gamer, other_gamer):
    stale = discord_link_code_create(user=other_gamer)
    DiscordLinkCode.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - timedelta(days=2))
    discord_link_code_create(user=gamer)
    assert not DiscordLinkCode.objects.filter(pk=stale.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_uses_of_one_code_link_exactly_one_discord_user():
    owner = make_gamer("code owner")
    code = discord_link_code_create(user=owner).code
    results = run_in_threads(8, lambda i: discord_link(code=code, discord_id=str(1000 + i)))
    winners = [r for r in results if isinstance(r, Gamer)]
    assert len(winners) == 1, results
    assert all(isinstance(r, Conflict) and r.code == "link_code_used" for r in results if r not in winners)
    owner.refresh_from_db()
    assert owner.discord_id == winners[0].discord_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_discord_user_racing_codes_of_different_accounts_links_to_one_only():
    owners = [make_gamer(f"racer {i}") for i in range(6)]
    codes = [discord_link_code_create(user=g).code for g in owners]
    results = run_in_threads(6, lambda i: discord_link(code=codes[i], discord_id=DISCORD_ID))
    assert sum(isinstance(r, Gamer) for r in results) == 1, results
    assert all(r.code == "discord_already_linked" for r in results if not isinstance(r, Gamer))
    assert Gamer.objects.filter(discord_id=DISCORD_ID).count() == 1
