"""The password lifecycle (SPEC §2 "Account lifecycle"): change, reset by mail, log out
everywhere. Refresh tokens that must die are tried against /auth/token/refresh (401)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone

from conftest import client_for, make_gamer
from gamers.models import Gamer, SocialAccount
from gamers.services import password_reset_request, token_pair_for
from gamers.tokens import uid_encode

pytestmark = pytest.mark.django_db

PASSWORD = "S3cure-pass!"
NEW_PASSWORD = "An0ther-lovely-pass"
THIRD_PASSWORD = "Yet-an0ther-pass"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
CHANGE = "/api/v1/auth/password/change"
RESET = "/api/v1/auth/password/reset"
CONFIRM = "/api/v1/auth/password/reset/confirm"
LOGOUT_ALL = "/api/v1/auth/logout-all"


def refresh_works(api, refresh):
    return api.post(REFRESH, {"refresh": refresh}, format="json").status_code == 200


def login(api, who, password):
    return api.post(TOKEN, {"login": who, "password": password}, format="json")


def reset_link(mail):
    urls = re.findall(r"https?://\S+", mail.body)
    assert len(urls) == 1, mail.body
    parts = urlsplit(urls[0])
    assert parts.path == "/reset-password"
    query = parse_qs(parts.query)
    return query["uid"][0], query["token"][0]


def confirm(api, uid, token, password=NEW_PASSWORD):
    return api.post(CONFIRM, {"uid": uid, "token": token, "new_password": password}, format="json")


# --- change -------------------------------------------------------------------------------


def test_change_revokes_every_other_refresh_token_and_returns_a_working_pair(api, gamer):
    phone, laptop = token_pair_for(gamer), token_pair_for(gamer)
    response = client_for(gamer).post(
        CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    assert not refresh_works(api, phone["refresh"])
    assert not refresh_works(api, laptop["refresh"])
    assert api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {fresh['access']}").status_code == 200
    assert refresh_works(api, fresh["refresh"])
    assert login(api, gamer.username, NEW_PASSWORD).status_code == 200
    assert login(api, gamer.username, PASSWORD).status_code == 401


def test_change_with_a_wrong_current_password_is_400_on_that_field_and_changes_nothing(api, gamer):
    other_device = token_pair_for(gamer)
    response = client_for(gamer).post(
        CHANGE, {"current_password": "not-it", "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_password"
    assert "current_password" in response.json()
    assert refresh_works(api, other_device["refresh"])
    assert login(api, gamer.username, PASSWORD).status_code == 200


@pytest.mark.parametrize("weak", ["short", "12345678901", "password123", "gamer one!"])
def test_change_runs_django_password_validators(gamer, weak):
    response = client_for(gamer).post(CHANGE, {"current_password": PASSWORD, "new_password": weak}, format="json")
    assert response.status_code == 400
    assert "new_password" in response.json()
    gamer.refresh_from_db()
    assert gamer.check_password(PASSWORD)


def test_change_needs_a_signed_in_caller(api):
    response = api.post(CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json")
    assert response.status_code == 401


def test_change_of_an_account_without_password_is_refused(api):
    from gamers.services import gamer_create

    social_only = gamer_create(username="Social Only", email="social@example.com", password=None)
    response = client_for(social_only).post(
        CHANGE, {"current_password": "", "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 400


# --- reset ----------------------------------------------------------------------------------


def test_reset_answers_the_same_for_known_and_unknown_emails_and_mails_only_the_known(api, gamer, mails):
    known = mails(lambda: api.post(RESET, {"email": gamer.email.upper()}, format="json"))
    unknown = mails(lambda: api.post(RESET, {"email": "nobody@example.com"}, format="json"))
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert [m.to for m in mails.outbox] == [[gamer.email]]


def test_reset_mails_nothing_to_a_deactivated_account(api, mails):
    inactive = make_gamer("Gone Away", is_active=False)
    response = mails(lambda: api.post(RESET, {"email": inactive.email}, format="json"))
    assert response.status_code == 202
    assert mails.outbox == []


def test_reset_link_sets_the_password_once_and_revokes_every_refresh_token(api, gamer, mails):
    devices = [token_pair_for(gamer) for _ in range(2)]
    mails(lambda: api.post(RESET, {"email": gamer.email}, format="json"))
    uid, token = reset_link(mails.outbox[0])
    assert uid == uid_encode(gamer.pk)

    done = confirm(api, uid, token)
    assert done.status_code == 200, done.json()
    assert all(not refresh_works(api, d["refresh"]) for d in devices)
    assert login(api, gamer.email, NEW_PASSWORD).status_code == 200

    again = confirm(api, uid, token, password=THIRD_PASSWORD)
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"
    assert login(api, gamer.email, NEW_PASSWORD).status_code == 200


def test_reset_link_expires_after_an_hour(api, gamer, mails, settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        mails(lambda: password_reset_request(email=gamer.email))
    uid, token = reset_link(mails.outbox[0])
    assert "60 minutes" in mails.outbox[0].body
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        late = confirm(api, uid, token)
    assert late.status_code == 400
    assert late.json()["code"] == "invalid_token"
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        in_time = confirm(api, uid, token)
    assert in_time.status_code == 200


def test_reset_link_dies_when_the_password_changes_another_way(api, gamer, mails):
    mails(lambda: api.post(RESET, {"email": gamer.email}, format="json"))
    uid, token = reset_link(mails.outbox[0])
    client_for(gamer).post(CHANGE, {"current_password": PASSWORD, "new_password": "Changed-1t-myself"}, format="json")
    response = confirm(api, uid, token)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


@pytest.mark.parametrize(
    "forge",
    [
        lambda uid, token: (uid, token[:-1] + ("0" if token[-1] != "0" else "1")),
        lambda uid, token: (uid_encode(10**9), token),
        lambda uid, token: ("%%%", token),
        lambda uid, token: (uid, "nope"),
    ],
)
def test_forged_reset_links_are_400_invalid_token(api, gamer, mails, forge):
    mails(lambda: api.post(RESET, {"email": gamer.email}, format="json"))
    response = confirm(api, *forge(*reset_link(mails.outbox[0])))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    assert login(api, gamer.email, PASSWORD).status_code == 200


def test_reset_token_of_another_account_is_refused(api, gamer, other_gamer, mails):
    mails(lambda: api.post(RESET, {"email": gamer.email}, format="json"))
    _, token = reset_link(mails.outbox[0])
    response = confirm(api, uid_encode(other_gamer.pk), token)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_reset_confirm_runs_the_validators_and_leaves_the_link_usable(api, gamer, mails):
    mails(lambda: api.post(RESET, {"email": gamer.email}, format="json"))
    uid, token = reset_link(mails.outbox[0])
    weak = confirm(api, uid, token, password="123")
    assert weak.status_code == 400
    assert "new_password" in weak.json()
    assert confirm(api, uid, token).status_code == 200


def test_reset_verifies_the_email_it_reached(api, gamer, mails):
    assert gamer.email_verified is False
    mails(lambda: api.post(RESET, {"email": gamer.email}, format="json"))
    assert confirm(api, *reset_link(mails.outbox[0])).status_code == 200
    gamer.refresh_from_db()
    assert gamer.email_verified is True


def test_reset_of_an_unverified_account_drops_the_identities_linked_before_anyone_proved_the_email(api, mails):
    """Someone signed in with Discord using an address Discord hadn't verified; the address's
    real owner resets the password: the Discord identity (and bot binding) goes with it."""
    squatted = make_gamer("Squatted", email="owner@example.com", password=None, discord_id="4242")
    SocialAccount.objects.create(user=squatted, provider="discord", uid="4242", email="owner@example.com")
    mails(lambda: api.post(RESET, {"email": "owner@example.com"}, format="json"))
    assert confirm(api, *reset_link(mails.outbox[0])).status_code == 200
    squatted.refresh_from_db()
    assert SocialAccount.objects.filter(user=squatted).count() == 0
    assert squatted.discord_id is None
    assert squatted.email_verified is True


def test_reset_of_a_verified_account_keeps_its_identities(api, mails):
    owner = make_gamer("Verified Owner", email="v@example.com", email_verified=True, discord_id="77")
    SocialAccount.objects.create(user=owner, provider="discord", uid="77", email="v@example.com")
    mails(lambda: api.post(RESET, {"email": "v@example.com"}, format="json"))
    assert confirm(api, *reset_link(mails.outbox[0])).status_code == 200
    owner.refresh_from_db()
    assert SocialAccount.objects.filter(user=owner).count() == 1
    assert owner.discord_id == "77"


def test_reset_is_throttled_per_ip_with_the_auth_throttle(api, settings):
    settings.THROTTLE_AUTH_RATE = "2/min"
    codes = [api.post(RESET, {"email": f"x{i}@example.com"}, format="json").status_code for i in range(3)]
    assert codes == [202, 202, 429]


def test_one_account_gets_a_bounded_number_of_reset_mails_whoever_asks(api, gamer, mails):
    from gamers.services.passwords import RESET_MAILS_PER_HOUR

    for i in range(RESET_MAILS_PER_HOUR + 3):
        # Each request from another address: only the per-account budget applies.
        response = mails(lambda: api.post(RESET, {"email": gamer.email}, format="json", REMOTE_ADDR=f"10.0.0.{i}"))
        assert response.status_code == 202
    assert len(mails.outbox) == RESET_MAILS_PER_HOUR


def test_reset_bad_email_is_a_field_error(api):
    response = api.post(RESET, {"email": "not an email"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()


# --- log out everywhere -------------------------------------------------------------------------


def test_logout_all_revokes_every_refresh_token_of_the_account_only(api, gamer, other_gamer):
    mine = [token_pair_for(gamer) for _ in range(3)]
    theirs = token_pair_for(other_gamer)
    response = client_for(gamer).post(LOGOUT_ALL)
    assert response.status_code == 204
    assert all(not refresh_works(api, t["refresh"]) for t in mine)
    assert refresh_works(api, theirs["refresh"])


def test_logout_all_needs_a_signed_in_caller(api):
    assert api.post(LOGOUT_ALL).status_code == 401


def test_lifecycle_endpoints_are_in_the_schema(api):
    paths = api.get("/api/schema", HTTP_ACCEPT="application/json").json()["paths"]
    assert {"200", "400", "401"} <= set(paths["/api/v1/auth/password/change"]["post"]["responses"])
    assert "202" in paths["/api/v1/auth/password/reset"]["post"]["responses"]
    assert {"200", "400"} <= set(paths["/api/v1/auth/password/reset/confirm"]["post"]["responses"])
    assert "204" in paths["/api/v1/auth/logout-all"]["post"]["responses"]


def test_password_change_never_hashes_inside_a_transaction(gamer):
    from django.db import transaction

    from gamers.services import password_change

    with transaction.atomic(), pytest.raises(RuntimeError):
        password_change(gamer=Gamer.objects.get(pk=gamer.pk), current_password=PASSWORD, new_password=NEW_PASSWORD)
