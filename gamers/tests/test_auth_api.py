from datetime import timedelta

import pytest
from django.test import override_settings
from rest_framework_simplejwt.tokens import AccessToken

from conftest import client_for, make_gamer
from gamers.models import CoinTransaction, Gamer

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


def register(api, username="Chad Player", email="chad@example.com", password="S3cure-pass!"):
    return api.post(REGISTER, {"username": username, "email": email, "password": password}, format="json")


def test_register_returns_user_and_working_tokens(api, settings):
    response = register(api)
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["user"]["username"] == "Chad Player"
    assert body["user"]["email"] == "chad@example.com"
    assert body["user"]["coins"] == settings.STARTING_COINS
    me = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]


def test_register_writes_starting_coins_to_the_ledger(api, settings):
    user_id = register(api).json()["user"]["id"]
    rows = list(CoinTransaction.objects.filter(gamer_id=user_id))
    assert [(r.amount, r.reason) for r in rows] == [(settings.STARTING_COINS, "signup")]


def test_register_hashes_password_with_argon2_outside_tests():
    from django.contrib.auth.hashers import make_password

    assert make_password("x", hasher="argon2").startswith("argon2")


@pytest.mark.parametrize("taken", ["chad player", "CHAD PLAYER", "  Chad   Player "])
def test_register_refuses_username_taken_in_any_case(api, taken):
    register(api)
    response = register(api, username=taken, email="other@example.com")
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"


def test_register_refuses_email_taken_in_any_case(api):
    register(api)
    response = register(api, username="Someone Else", email="CHAD@example.com")
    assert response.status_code == 409
    assert response.json() == {"detail": "An account already uses that email.", "code": "email_taken"}


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "abc", "email": "a@example.com", "password": "S3cure-pass!"},
        {"username": "x" * 10_000, "email": "a@example.com", "password": "S3cure-pass!"},
        {"username": "valid name", "email": "not-an-email", "password": "S3cure-pass!"},
        {"username": "valid name", "email": "a@example.com", "password": "123"},
        {"username": "valid name", "email": "a@example.com", "password": "password"},
        {"username": ["list"], "email": 5, "password": None},
        {"username": "me@home", "email": "a@example.com", "password": "S3cure-pass!"},
        {},
    ],
)
def test_register_rejects_invalid_input_with_field_errors(api, payload):
    response = api.post(REGISTER, payload, format="json")
    assert response.status_code == 400
    assert isinstance(response.json(), dict) and response.json()


@pytest.mark.parametrize("name", ["🎮🎮🎮🎮", "Ünïcødé gamer", "لاعب تونسي", "x" * 50])
def test_register_accepts_unicode_and_emoji_usernames_within_limits(api, name):
    response = register(api, username=name, email="u@example.com")
    assert response.status_code == 201, response.data
    assert response.json()["user"]["username"] == name


def test_availability_is_case_insensitive(api):
    register(api)
    taken = api.get("/api/v1/auth/availability/CHAD%20PLAYER")
    assert taken.status_code == 409 and taken.json() == {"available": False}
    free = api.get("/api/v1/auth/availability/nobody%20here")
    assert free.status_code == 200 and free.json() == {"available": True}


@pytest.mark.parametrize("login", ["Chad Player", "chad player", "chad@example.com", "CHAD@EXAMPLE.COM"])
def test_token_accepts_username_or_email_in_any_case(api, login):
    register(api)
    response = api.post(TOKEN, {"login": login, "password": "S3cure-pass!"}, format="json")
    assert response.status_code == 200
    assert {"access", "refresh", "user"} <= response.json().keys()


@pytest.mark.parametrize("login,password", [("Chad Player", "wrong"), ("nobody", "S3cure-pass!")])
def test_token_refuses_bad_credentials(api, login, password):
    register(api)
    response = api.post(TOKEN, {"login": login, "password": password}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_refresh_rotates_and_the_old_refresh_token_is_refused(api):
    refresh = register(api).json()["refresh"]
    first = api.post(REFRESH, {"refresh": refresh}, format="json")
    assert first.status_code == 200
    assert first.json()["refresh"] != refresh
    again = api.post(REFRESH, {"refresh": refresh}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"


def test_logout_blacklists_the_refresh_token(api):
    body = register(api).json()
    response = api.post(
        LOGOUT, {"refresh": body["refresh"]}, format="json", HTTP_AUTHORIZATION=f"Bearer {body['access']}"
    )
    assert response.status_code == 204
    after = api.post(REFRESH, {"refresh": body["refresh"]}, format="json")
    assert after.status_code == 401


def test_logout_refuses_someone_elses_refresh_token(api, gamer_client):
    other = register(api).json()
    response = gamer_client.post(LOGOUT, {"refresh": other["refresh"]}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_your_token"
    assert api.post(REFRESH, {"refresh": other["refresh"]}, format="json").status_code == 200


def test_logout_requires_a_token(api):
    assert api.post(LOGOUT, {"refresh": "x"}, format="json").status_code == 401


def test_refresh_of_a_deleted_account_is_refused(api):
    body = register(api).json()
    Gamer.objects.filter(pk=body["user"]["id"]).delete()
    response = api.post(REFRESH, {"refresh": body["refresh"]}, format="json")
    assert response.status_code == 401


def test_expired_access_token_gets_401_with_code(api, gamer):
    token = AccessToken.for_user(gamer)
    token.set_exp(lifetime=-timedelta(seconds=1))
    response = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert set(response.json()) == {"detail", "code"}


def test_token_signed_with_another_key_is_refused(api, gamer):
    import jwt

    forged = jwt.encode(
        {"user_id": gamer.pk, "token_type": "access", "exp": 9999999999, "jti": "x"}, "another-key-" + "k" * 40, "HS256"
    )
    assert api.get(ME, HTTP_AUTHORIZATION=f"Bearer {forged}").status_code == 401
    unsigned = jwt.encode({"user_id": gamer.pk, "token_type": "access", "exp": 9999999999, "jti": "y"}, None, "none")
    assert api.get(ME, HTTP_AUTHORIZATION=f"Bearer {unsigned}").status_code == 401


def test_register_and_login_are_throttled_per_ip(api, settings):
    settings.THROTTLE_AUTH_RATE = "3/min"
    codes = [api.post(TOKEN, {"login": "nobody", "password": "x"}, format="json").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    throttled = register(api)
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0


@override_settings(ACCESS_TOKEN_MINUTES=30)
def test_last_seen_is_updated_by_authenticated_requests(gamer):
    assert gamer.last_seen is None
    client_for(gamer).get(ME)
    gamer.refresh_from_db()
    assert gamer.last_seen is not None


def test_make_gamer_helper_gives_distinct_accounts():
    a, b = make_gamer("first one"), make_gamer("second one")
    assert a.pk != b.pk


# --- notification mail opt-out in PATCH /auth/me (SPEC §2 "Notifications") -------------------

KINDS = ["session_reminder", "waitlist_promotion", "ticket_confirmation", "leaderboard_prize", "report_outcome"]


def test_private_view_shows_every_notify_kind_on_by_default(gamer_client):
    body = gamer_client.get(ME).json()
    assert body["notify"] == dict.fromkeys(KINDS, True)
    assert body["email_verified"] is False


def test_patch_notify_merges_opt_outs_into_the_stored_settings(gamer_client, gamer):
    first = gamer_client.patch(ME, {"notify": {"session_reminder": False}}, format="json")
    assert first.status_code == 200
    second = gamer_client.patch(ME, {"notify": {"report_outcome": False, "leaderboard_prize": True}}, format="json")
    assert second.status_code == 200
    expected = {**dict.fromkeys(KINDS, True), "session_reminder": False, "report_outcome": False}
    assert second.json()["notify"] == expected
    gamer.refresh_from_db()
    assert gamer.notify == {"session_reminder": False, "report_outcome": False, "leaderboard_prize": True}
    assert gamer.notify_settings() == expected
    back_on = gamer_client.patch(ME, {"notify": {"session_reminder": True}}, format="json")
    assert back_on.json()["notify"]["session_reminder"] is True


@pytest.mark.parametrize(
    "notify",
    [
        {"birthday": False},  # unknown kind
        {"session_reminder": "false"},  # a string, not a boolean
        {"session_reminder": 0},
        {"session_reminder": None},
        ["session_reminder"],
        "off",
    ],
)
def test_patch_notify_refuses_unknown_kinds_and_non_booleans(gamer_client, gamer, notify):
    response = gamer_client.patch(ME, {"notify": notify, "bio": "changed?"}, format="json")
    assert response.status_code == 400
    assert "notify" in response.json()
    gamer.refresh_from_db()
    assert gamer.notify == {} and gamer.bio == ""


def test_notify_is_documented_on_patch_me(api):
    schema = api.get("/api/schema", HTTP_ACCEPT="application/json").json()
    body = schema["paths"]["/api/v1/auth/me"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    ref = body["$ref"].rsplit("/", 1)[-1]
    assert "notify" in schema["components"]["schemas"][ref]["properties"]
