"""Email verification (SPEC §2 "Account lifecycle"): the link mailed on sign-up and on email
change, following it, resending it. Mail leaves after commit, so each request that mails runs
inside `django_capture_on_commit_callbacks(execute=True)` (the test's own transaction never
commits)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone

from conftest import client_for, make_gamer
from gamers.models import Gamer
from gamers.services import email_verification_send
from gamers.tokens import EMAIL_VERIFY_TIMEOUT, uid_encode

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/email/verify"
RESEND = "/api/v1/auth/email/verify/resend"
ME = "/api/v1/auth/me"


def link_in(mail):
    """(uid, token) of the one SITE_URL/verify-email link in a mail."""
    urls = re.findall(r"https?://\S+", mail.body)
    assert len(urls) == 1, mail.body
    parts = urlsplit(urls[0])
    assert parts.path == "/verify-email"
    query = parse_qs(parts.query)
    return query["uid"][0], query["token"][0]


def follow(api, uid, token):
    return api.post(VERIFY, {"uid": uid, "token": token}, format="json")


def register(api, mails, email="chad@example.com"):
    body = {"username": "Chad Player", "email": email, "password": "S3cure-pass!"}
    return mails(lambda: api.post(REGISTER, body, format="json"))


def test_register_mails_a_link_to_site_url_and_following_it_verifies(api, mails, settings):
    settings.SITE_URL = "https://play.gameconnect.tn/"
    response = register(api, mails)
    assert response.status_code == 201
    assert response.json()["user"]["email_verified"] is False
    [mail] = mails.outbox
    assert mail.to == ["chad@example.com"]
    assert "https://play.gameconnect.tn/verify-email?uid=" in mail.body
    uid, token = link_in(mail)

    verified = follow(api, uid, token)
    assert verified.status_code == 200, verified.json()
    assert verified.json()["email_verified"] is True
    assert Gamer.objects.get(email="chad@example.com").email_verified is True
    me = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.json()["email_verified"] is True


def test_following_the_same_link_again_is_200(api, mails):
    register(api, mails)
    uid, token = link_in(mails.outbox[0])
    assert follow(api, uid, token).status_code == 200
    again = follow(api, uid, token)
    assert again.status_code == 200
    assert again.json()["email_verified"] is True


def test_the_link_dies_when_the_email_changes_and_the_new_address_gets_its_own(api, mails):
    response = register(api, mails)
    uid, old_token = link_in(mails.outbox[0])
    client = client_for(Gamer.objects.get(pk=response.json()["user"]["id"]))
    changed = mails(lambda: client.patch(ME, {"email": "chad.new@example.com"}, format="json"))
    assert changed.status_code == 200
    assert changed.json()["email"] == "chad.new@example.com"
    assert changed.json()["email_verified"] is False

    stale = follow(api, uid, old_token)
    assert stale.status_code == 400
    assert stale.json()["code"] == "invalid_token"
    assert Gamer.objects.get(pk=response.json()["user"]["id"]).email_verified is False

    assert mails.outbox[-1].to == ["chad.new@example.com"]
    new_uid, new_token = link_in(mails.outbox[-1])
    assert follow(api, new_uid, new_token).status_code == 200
    assert Gamer.objects.get(pk=response.json()["user"]["id"]).email_verified is True


def test_changing_a_verified_email_makes_the_new_one_pending(mails):
    gamer = make_gamer("Vera Fied", email_verified=True)
    response = mails(lambda: client_for(gamer).patch(ME, {"email": "vera.new@example.com"}, format="json"))
    assert response.status_code == 200
    assert response.json()["email_verified"] is False
    gamer.refresh_from_db()
    assert (gamer.email, gamer.email_verified) == ("vera.new@example.com", False)
    assert [m.to for m in mails.outbox] == [["vera.new@example.com"]]


def test_patching_the_same_email_in_another_case_keeps_it_verified_and_mails_nothing(mails):
    gamer = make_gamer("Vera Fied", email="vera@example.com", email_verified=True)
    response = mails(lambda: client_for(gamer).patch(ME, {"email": "VERA@example.com"}, format="json"))
    assert response.status_code == 200
    assert response.json()["email_verified"] is True
    assert mails.outbox == []


def test_email_change_still_refuses_a_taken_email(mails, other_gamer):
    gamer = make_gamer("Vera Fied", email_verified=True)
    response = mails(lambda: client_for(gamer).patch(ME, {"email": other_gamer.email}, format="json"))
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    gamer.refresh_from_db()
    assert gamer.email_verified is True
    assert mails.outbox == []


@pytest.mark.parametrize(
    "forge",
    [
        lambda uid, token: (uid, token[:-1] + ("0" if token[-1] != "0" else "1")),  # one character changed
        lambda uid, token: (uid_encode(10**9), token),  # no such account
        lambda uid, token: ("not-base64!", token),
        lambda uid, token: (uid, "garbage"),
        lambda uid, token: (uid, "zzzzzzzzzzzzzz-abc"),  # a timestamp past base36_to_int's limit
    ],
)
def test_forged_links_are_400_invalid_token(api, mails, forge):
    register(api, mails)
    uid, token = forge(*link_in(mails.outbox[0]))
    response = follow(api, uid, token)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    assert Gamer.objects.get().email_verified is False


def test_a_password_reset_token_does_not_verify_an_email(api, gamer):
    from gamers.tokens import password_reset_tokens

    response = follow(api, uid_encode(gamer.pk), password_reset_tokens.make_token(gamer))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_the_link_expires(api, mails, gamer):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        mails(lambda: email_verification_send(gamer=gamer))
    uid, token = link_in(mails.outbox[0])
    with time_machine.travel(start + timedelta(seconds=EMAIL_VERIFY_TIMEOUT + 1), tick=False):
        late = follow(api, uid, token)
    assert late.status_code == 400
    assert late.json()["code"] == "invalid_token"
    with time_machine.travel(start + timedelta(seconds=EMAIL_VERIFY_TIMEOUT - 60), tick=False):
        in_time = follow(api, uid, token)
    assert in_time.status_code == 200


def test_resend_mails_a_new_link_to_the_pending_address(mails, gamer, gamer_client, api):
    response = mails(lambda: gamer_client.post(RESEND))
    assert response.status_code == 200
    assert gamer.email in response.json()["detail"]
    [mail] = mails.outbox
    assert mail.to == [gamer.email]
    assert follow(api, *link_in(mail)).status_code == 200


def test_resend_is_409_already_verified_once_verified(mails):
    gamer = make_gamer("Vera Fied", email_verified=True)
    response = mails(lambda: client_for(gamer).post(RESEND))
    assert response.status_code == 409
    assert response.json()["code"] == "already_verified"
    assert mails.outbox == []


def test_resend_needs_a_signed_in_caller(api):
    assert api.post(RESEND).status_code == 401


def test_resend_is_throttled_per_account(mails, gamer, other_gamer, settings):
    settings.THROTTLE_MAIL_RATE = "2/hour"
    client = client_for(gamer)
    assert [mails(lambda: client.post(RESEND)).status_code for _ in range(3)] == [200, 200, 429]
    assert len(mails.outbox) == 2
    # Another account has its own budget.
    assert mails(lambda: client_for(other_gamer).post(RESEND)).status_code == 200


def test_verify_endpoints_are_in_the_schema(api):
    schema = api.get("/api/schema", HTTP_ACCEPT="application/json").json()
    assert {"200", "400"} <= set(schema["paths"]["/api/v1/auth/email/verify"]["post"]["responses"])
    assert {"200", "409"} <= set(schema["paths"]["/api/v1/auth/email/verify/resend"]["post"]["responses"])
    me = schema["components"]["schemas"]["GamerPrivate"]["properties"]
    assert "email_verified" in me and "notify" in me


def test_demo_accounts_are_seeded_with_verified_emails():
    import io

    from common.seeding import SeedContext
    from gamers import seed as gamers_seed

    gamers_seed.seed(SeedContext(stdout=io.StringIO(), players=40, scores=0))
    assert Gamer.objects.count() == 43
    assert not Gamer.objects.filter(email_verified=False).exists()
