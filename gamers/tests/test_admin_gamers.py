"""The gamer back office obeys the API's rules (issue 16 point 5, SPEC §2/§7): nobody acts on
another admin; the password is Django's read-only hash field and password form, and setting
one revokes every refresh token; role, activation, creation and deletion go through the
services; every change is audited exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditLog
from common.broadcast import user_group
from common.roles import Role
from common.ws import CLOSE_DISCONNECTED_BY_ADMIN
from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer
from gamers.services import token_pair_for

pytestmark = pytest.mark.django_db
GAMERS = "/admin/gamers/gamer/"
PASSWORD = "S3cure-pass!"


def browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_form(target: Gamer, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "username": target.username,
        "email": target.email,
        "bio": target.bio,
        "discord_id": target.discord_id or "",
        "role": target.role,
        "is_active": "on" if target.is_active else "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def refresh_works(refresh: str) -> int:
    return APIClient().post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json").status_code


@pytest.fixture
def other_admin(db: Any) -> Gamer:
    return make_gamer("admin two", role=Role.ADMIN)


# --- nobody acts on another admin ---------------------------------------------------------


def test_admin_cannot_open_or_change_another_admins_account(admin, other_admin):
    client = browser(admin)
    assert client.get(f"{GAMERS}{other_admin.pk}/change/").status_code == 403
    response = client.post(f"{GAMERS}{other_admin.pk}/change/", change_form(other_admin, bio="hacked", is_active=""))
    assert response.status_code == 403
    other_admin.refresh_from_db()
    assert (other_admin.bio, other_admin.is_active, other_admin.role) == ("", True, Role.ADMIN)
    assert not AuditLog.objects.exists()


def test_admin_cannot_delete_another_admin_one_by_one_or_in_bulk(admin, other_admin):
    client = browser(admin)
    assert client.post(f"{GAMERS}{other_admin.pk}/delete/", {"post": "yes"}).status_code == 403
    victim = make_gamer("plain gamer")
    bulk = client.post(
        GAMERS, {"action": "delete_selected", "_selected_action": [other_admin.pk, victim.pk], "post": "yes"}
    )
    assert bulk.status_code == 403  # one row the actor may not delete refuses the whole batch
    assert Gamer.objects.filter(pk__in=[other_admin.pk, victim.pk]).count() == 2
    assert not AuditLog.objects.exists()


def test_admin_cannot_set_another_admins_password(admin, other_admin):
    refresh = token_pair_for(other_admin)["refresh"]
    client = browser(admin)
    url = f"{GAMERS}{other_admin.pk}/password/"
    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": "Another-s3cret!", "password2": "Another-s3cret!"})
    assert response.status_code == 403
    other_admin.refresh_from_db()
    assert other_admin.check_password(PASSWORD)
    assert refresh_works(refresh) == 200
    assert not AuditLog.objects.filter(action="password_set").exists()


def test_admin_cannot_deactivate_or_demote_another_admin_with_the_bulk_actions(admin, other_admin):
    client = browser(admin)
    for action in ("deactivate", "make_gamer"):
        response = client.post(GAMERS, {"action": action, "_selected_action": [other_admin.pk]})
        assert response.status_code == 302
    other_admin.refresh_from_db()
    assert (other_admin.is_active, other_admin.role) == (True, Role.ADMIN)
    assert not AuditLog.objects.exists()


def test_admin_edits_own_profile_but_not_own_role_or_activation(admin):
    client = browser(admin)
    response = client.post(
        f"{GAMERS}{admin.pk}/change/", change_form(admin, bio="I run this place", role=Role.GAMER, is_active="")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    admin.refresh_from_db()
    assert (admin.bio, admin.role, admin.is_active) == ("I run this place", Role.ADMIN, True)
    log = AuditLog.objects.get()
    assert (log.action, log.target_type, log.target_id) == ("admin_change", "gamer", str(admin.pk))
    assert "Bio" in log.reason


def test_moderator_has_no_gamer_admin(moderator, gamer):
    client = browser(moderator)
    assert client.get(f"{GAMERS}{gamer.pk}/change/").status_code == 403
    assert client.post(f"{GAMERS}{gamer.pk}/password/", {"password1": "x", "password2": "x"}).status_code == 403
    assert client.post(GAMERS, {"action": "deactivate", "_selected_action": [gamer.pk]}).status_code == 403
    gamer.refresh_from_db()
    assert gamer.is_active and gamer.check_password(PASSWORD)


# --- the password ---------------------------------------------------------------------------


def test_password_is_a_read_only_hash_and_a_posted_hash_is_ignored(admin, gamer):
    client = browser(admin)
    page = client.get(f"{GAMERS}{gamer.pk}/change/").content.decode()
    assert 'name="password"' not in page  # a summary, no input
    assert "../password/" in page  # the link to Django's password form
    old_hash = gamer.password
    forged = "pbkdf2_sha256$1000000$salt$Zm9yZ2VkaGFzaA=="
    response = client.post(f"{GAMERS}{gamer.pk}/change/", change_form(gamer, password=forged, bio="x"))
    assert response.status_code == 302
    gamer.refresh_from_db()
    assert gamer.password == old_hash and gamer.check_password(PASSWORD)


def test_setting_a_password_revokes_every_refresh_token_and_is_audited_once(admin, gamer):
    refreshes = [token_pair_for(gamer)["refresh"] for _ in range(2)]
    response = browser(admin).post(
        f"{GAMERS}{gamer.pk}/password/", {"password1": "Brand-new-s3cret", "password2": "Brand-new-s3cret"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    gamer.refresh_from_db()
    assert gamer.check_password("Brand-new-s3cret")
    assert [refresh_works(r) for r in refreshes] == [401, 401]
    logs = list(AuditLog.objects.values_list("action", "actor_id", "target_id"))
    assert logs == [("password_set", admin.pk, str(gamer.pk))]  # no second admin_change row


def test_password_form_still_applies_djangos_validators(admin, gamer):
    refresh = token_pair_for(gamer)["refresh"]
    response = browser(admin).post(f"{GAMERS}{gamer.pk}/password/", {"password1": "123", "password2": "123"})
    assert response.status_code == 200  # the form again, with the errors
    gamer.refresh_from_db()
    assert gamer.check_password(PASSWORD)
    assert refresh_works(refresh) == 200
    assert not AuditLog.objects.exists()


# --- services behind the forms ---------------------------------------------------------


def test_creating_an_account_gives_starting_coins_with_a_ledger_row_and_is_audited(admin):
    response = browser(admin).post(
        f"{GAMERS}add/",
        {
            "username": "New Player",
            "email": "New.Player@Example.com",
            "role": Role.GAMER,
            "password1": "Fresh-s3cret-pw",
            "password2": "Fresh-s3cret-pw",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Gamer.objects.get(username="New Player")
    assert created.email == "new.player@example.com"
    assert created.coins == settings.STARTING_COINS
    assert list(CoinTransaction.objects.filter(gamer=created).values_list("amount", "reason")) == [
        (settings.STARTING_COINS, "signup")
    ]
    log = AuditLog.objects.get()
    assert (log.action, log.target_type, log.target_id, log.actor_id) == (
        "admin_add",
        "gamer",
        str(created.pk),
        admin.pk,
    )


def test_role_change_in_the_change_form_goes_through_the_service(admin, gamer):
    response = browser(admin).post(f"{GAMERS}{gamer.pk}/change/", change_form(gamer, role=Role.MODERATOR))
    assert response.status_code == 302, response.content.decode()[:2000]
    gamer.refresh_from_db()
    assert gamer.role == Role.MODERATOR
    assert list(AuditLog.objects.values_list("action", flat=True)) == ["role_change"]


def test_renaming_to_a_taken_username_is_a_form_error_not_a_500(admin, gamer, other_gamer):
    response = browser(admin).post(
        f"{GAMERS}{gamer.pk}/change/", change_form(gamer, username=other_gamer.username.upper())
    )
    assert response.status_code == 200
    assert "That username is taken." in response.content.decode()
    gamer.refresh_from_db()
    assert gamer.username == "gamer one"


def test_deleting_a_gamer_is_audited_once_by_the_service(admin, gamer):
    response = browser(admin).post(f"{GAMERS}{gamer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Gamer.objects.filter(pk=gamer.pk).exists()
    assert list(AuditLog.objects.values_list("action", "target_id")) == [("delete_gamer", str(gamer.pk))]


def test_admin_cannot_delete_own_account_in_the_back_office(admin):
    assert browser(admin).post(f"{GAMERS}{admin.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Gamer.objects.filter(pk=admin.pk).exists()


# --- deactivation ---------------------------------------------------------------------------


def _layer() -> Any:
    layer = get_channel_layer()
    assert layer is not None
    return layer


def _listen(user_id: int) -> str:
    layer = _layer()
    channel: str = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(user_id), channel)
    return channel


def _next_message(channel: str) -> dict[str, Any]:
    layer = _layer()

    async def receive() -> dict[str, Any]:
        return await asyncio.wait_for(layer.receive(channel), timeout=2)

    return async_to_sync(receive)()


@pytest.mark.parametrize("how", ["checkbox", "action"])
def test_deactivating_closes_sockets_revokes_tokens_and_is_audited(
    admin, gamer, how, django_capture_on_commit_callbacks
):
    refresh = token_pair_for(gamer)["refresh"]
    channel = _listen(gamer.pk)
    client = browser(admin)
    with django_capture_on_commit_callbacks(execute=True):
        if how == "checkbox":
            response = client.post(f"{GAMERS}{gamer.pk}/change/", change_form(gamer, is_active=""))
        else:
            response = client.post(GAMERS, {"action": "deactivate", "_selected_action": [gamer.pk]})
    assert response.status_code == 302, response.content.decode()[:2000]
    gamer.refresh_from_db()
    assert gamer.is_active is False
    assert _next_message(channel) == {"type": "user.disconnect", "code": CLOSE_DISCONNECTED_BY_ADMIN}
    assert refresh_works(refresh) == 401
    assert list(AuditLog.objects.values_list("action", "target_id")) == [("deactivate_gamer", str(gamer.pk))]


def test_reactivating_is_audited(admin, gamer):
    Gamer.objects.filter(pk=gamer.pk).update(is_active=False)
    response = browser(admin).post(GAMERS, {"action": "reactivate", "_selected_action": [gamer.pk]})
    assert response.status_code == 302
    gamer.refresh_from_db()
    assert gamer.is_active
    assert list(AuditLog.objects.values_list("action", flat=True)) == ["reactivate_gamer"]


def test_the_gamer_pages_open_for_an_admin(admin, gamer):
    client = browser(admin)
    for url in (GAMERS, f"{GAMERS}add/", f"{GAMERS}{gamer.pk}/change/", f"{GAMERS}{admin.pk}/change/"):
        assert client.get(url).status_code == 200, url
    assert client.get(f"{GAMERS}{gamer.pk}/password/").status_code == 200
    own = client.get(f"{GAMERS}{admin.pk}/change/").content.decode()
    assert 'name="role"' not in own and 'name="is_active"' not in own  # read-only on one's own page
