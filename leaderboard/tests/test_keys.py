"""Game-server keys (SPEC §6): created and revoked by admins (API and back office), shown once,
stored hashed, audited."""

from __future__ import annotations

import hashlib
import re

import pytest

from audit.models import AuditLog
from conftest import make_gamer
from leaderboard.keys import key_authenticate, key_create, key_revoke
from leaderboard.models import GameKey

pytestmark = pytest.mark.usefixtures("games")

URL = "/api/v1/leaderboard"


def test_admin_creates_a_key_shown_once_and_stored_hashed(admin_client_api, admin):
    response = admin_client_api.post(f"{URL}/games/chess/keys", {"name": "EU server"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "key", "prefix", "created_at"}
    plaintext = body["key"]
    assert re.fullmatch(r"gck_[A-Za-z0-9_-]{43}", plaintext)
    assert body["prefix"] == plaintext[:8]
    stored = GameKey.objects.get(pk=body["id"])
    assert stored.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in {getattr(stored, f.attname) for f in GameKey._meta.concrete_fields}
    assert (stored.game.slug, stored.name, stored.created_by) == ("chess", "EU server", admin)
    audit = AuditLog.objects.get(action="game_key_create")
    assert (audit.actor, audit.target_id) == (admin, str(stored.pk))
    # The list never shows a key again.
    listing = admin_client_api.get(f"{URL}/games/chess/keys")
    assert listing.status_code == 200
    [row] = listing.json()
    assert row == {
        "id": stored.pk,
        "name": "EU server",
        "prefix": plaintext[:8],
        "created_at": body["created_at"],
        "revoked_at": None,
        "created_by": admin.username,
    }
    assert plaintext not in listing.content.decode()


def test_two_keys_differ_and_the_list_is_per_game(admin_client_api, admin):
    first, a = key_create(game="chess", name="a", by=admin)
    second, b = key_create(game="chess", name="b", by=admin)
    key_create(game="cod", name="c", by=admin)
    assert a != b and first.key_hash != second.key_hash
    listing = admin_client_api.get(f"{URL}/games/chess/keys").json()
    assert [row["name"] for row in listing] == ["b", "a"]


def test_key_create_refuses_an_unknown_game_and_a_blank_name(admin_client_api):
    assert admin_client_api.post(f"{URL}/games/nope/keys", {"name": "x"}, format="json").status_code == 404
    blank = admin_client_api.post(f"{URL}/games/chess/keys", {"name": "  "}, format="json")
    assert blank.status_code == 400
    assert admin_client_api.get(f"{URL}/games/nope/keys").status_code == 404
    assert not GameKey.objects.exists()


def test_revoke_is_audited_idempotent_and_stops_the_key(admin_client_api, admin):
    key, plaintext = key_create(game="chess", name="a", by=admin)
    assert key_authenticate(plaintext) == key
    assert admin_client_api.delete(f"{URL}/keys/{key.pk}").status_code == 204
    assert key_authenticate(plaintext) is None
    key.refresh_from_db()
    revoked_at = key.revoked_at
    assert revoked_at is not None
    assert admin_client_api.delete(f"{URL}/keys/{key.pk}").status_code == 204
    key.refresh_from_db()
    assert key.revoked_at == revoked_at
    assert AuditLog.objects.filter(action="game_key_revoke", target_id=str(key.pk)).count() == 1
    assert admin_client_api.get(f"{URL}/games/chess/keys").json()[0]["revoked_at"] is not None
    assert admin_client_api.delete(f"{URL}/keys/{key.pk + 100}").status_code == 404


def test_key_authenticate_refuses_look_alikes(admin):
    _, plaintext = key_create(game="chess", name="a", by=admin)
    assert key_authenticate(plaintext[:-1]) is None
    assert key_authenticate(plaintext + "x") is None
    assert key_authenticate(GameKey.objects.get().key_hash) is None  # the hash is not the key


@pytest.mark.parametrize("persona", ["gamer", "moderator"])
def test_key_endpoints_are_for_admins_only(request, persona, admin):
    from conftest import client_for

    client = client_for(request.getfixturevalue(persona))
    key, _ = key_create(game="chess", name="a", by=admin)
    assert client.post(f"{URL}/games/chess/keys", {"name": "x"}, format="json").status_code == 403
    assert client.get(f"{URL}/games/chess/keys").status_code == 403
    assert client.delete(f"{URL}/keys/{key.pk}").status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None and GameKey.objects.count() == 1


def test_key_endpoints_need_a_token(api, admin):
    key, _ = key_create(game="chess", name="a", by=admin)
    assert api.get(f"{URL}/games/chess/keys").status_code == 401
    assert api.delete(f"{URL}/keys/{key.pk}").status_code == 401


# --- back office -------------------------------------------------------------------------------


@pytest.fixture
def site_admin(client, admin):
    client.force_login(admin)
    return client


def test_admin_site_add_shows_the_key_once_and_stores_only_its_hash(site_admin, admin, games):
    response = site_admin.post(
        "/admin/leaderboard/gamekey/add/", {"game": games["chess"].pk, "name": "NA server"}, follow=True
    )
    assert response.status_code == 200
    key = GameKey.objects.get()
    page = response.content.decode()
    [plaintext] = re.findall(r"gck_[A-Za-z0-9_-]{43}", page)
    assert hashlib.sha256(plaintext.encode()).hexdigest() == key.key_hash
    assert key_authenticate(plaintext) == key
    assert (key.name, key.game.slug, key.created_by, key.prefix) == ("NA server", "chess", admin, plaintext[:8])
    # Audited once, by the service.
    assert list(AuditLog.objects.values_list("action", flat=True)) == ["game_key_create"]
    # Not shown again: the list and the key's page show the prefix only.
    listing = site_admin.get("/admin/leaderboard/gamekey/").content.decode()
    detail = site_admin.get(f"/admin/leaderboard/gamekey/{key.pk}/change/").content.decode()
    assert plaintext not in listing and plaintext not in detail
    assert key.prefix in listing


def test_admin_site_revoke_action_and_no_edit_nor_delete(site_admin, admin):
    key, plaintext = key_create(game="chess", name="a", by=admin)
    page = site_admin.get(f"/admin/leaderboard/gamekey/{key.pk}/change/").content.decode()
    assert 'name="key_hash"' not in page and 'name="name"' not in page
    response = site_admin.post(
        "/admin/leaderboard/gamekey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    assert response.status_code == 200
    assert key_authenticate(plaintext) is None
    assert AuditLog.objects.filter(action="game_key_revoke").count() == 1
    assert site_admin.post(f"/admin/leaderboard/gamekey/{key.pk}/delete/", {"post": "yes"}).status_code == 403
    assert GameKey.objects.filter(pk=key.pk).exists()


def test_moderators_do_not_see_keys_in_the_back_office(client):
    moderator = make_gamer("mod two", role="moderator")
    client.force_login(moderator)
    assert client.get("/admin/leaderboard/gamekey/").status_code == 403


def test_key_revoke_unknown_is_not_found(admin):
    from common.errors import NotFound

    with pytest.raises(NotFound):
        key_revoke(key_id=12345, by=admin)
