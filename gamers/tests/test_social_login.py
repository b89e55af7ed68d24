"""Social login (SPEC §2 /auth/social/{google|discord}) with the providers' HTTP mocked."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import responses

from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer, SocialAccount

pytestmark = pytest.mark.django_db

GOOGLE_TOKEN = "https://accounts.google.com/o/oauth2/token"
GOOGLE_USERINFO = "https://www.googleapis.com/oauth2/v3/userinfo"
DISCORD_TOKEN = "https://discord.com/api/oauth2/token"
DISCORD_ME = "https://discord.com/api/users/@me"
REDIRECT = "https://gameconnect.example/auth/callback"
ME = "/api/v1/auth/me"


@pytest.fixture(autouse=True)
def providers_configured(settings):
    settings.GOOGLE_CLIENT_ID = "google-client"
    settings.GOOGLE_CLIENT_SECRET = "google-secret"
    settings.DISCORD_CLIENT_ID = "discord-client"
    settings.DISCORD_CLIENT_SECRET = "discord-secret"


@pytest.fixture
def provider_http():
    """Every outgoing HTTP call must be one the test registered; anything else fails loudly."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def google_profile(**overrides):
    profile = {
        "sub": "109876543210",
        "email": "chad@gmail.com",
        "email_verified": True,
        "name": "Chad Player",
        "given_name": "Chad",
        "family_name": "Player",
    }
    profile.update(overrides)
    return profile


def discord_profile(**overrides):
    profile = {
        "id": "80351110224678912",
        "username": "nelly",
        "global_name": "Nelly Gamer",
        "email": "nelly@example.com",
        "verified": True,
    }
    profile.update(overrides)
    return profile


def mock_google(rsps, profile=None, token_status=200):
    token_body = (
        {"access_token": "google-access", "token_type": "Bearer", "expires_in": 3599}
        if token_status == 200
        else {"error": "invalid_grant", "error_description": "Bad Request"}
    )
    rsps.add(responses.POST, GOOGLE_TOKEN, json=token_body, status=token_status)
    rsps.add(responses.GET, GOOGLE_USERINFO, json=profile or google_profile())


def mock_discord(rsps, profile=None, token_status=200):
    token_body = (
        {"access_token": "discord-access", "token_type": "Bearer", "expires_in": 604800, "scope": "identify email"}
        if token_status == 200
        else {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'}
    )
    rsps.add(responses.POST, DISCORD_TOKEN, json=token_body, status=token_status)
    rsps.add(responses.GET, DISCORD_ME, json=profile or discord_profile())


def social(api, provider, code="auth-code-1"):
    return api.post(f"/api/v1/auth/social/{provider}", {"code": code, "redirect_uri": REDIRECT}, format="json")


def test_google_sign_in_creates_an_account_with_starting_coins_and_working_tokens(api, provider_http, settings):
    mock_google(provider_http)
    response = social(api, "google")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] is True
    assert body["user"]["username"] == "Chad Player"
    assert body["user"]["email"] == "chad@gmail.com"
    assert body["user"]["coins"] == settings.STARTING_COINS
    gamer = Gamer.objects.get(pk=body["user"]["id"])
    assert not gamer.has_usable_password()
    assert list(CoinTransaction.objects.filter(gamer=gamer).values_list("amount", "reason")) == [
        (settings.STARTING_COINS, "signup")
    ]
    assert SocialAccount.objects.filter(provider="google", uid="109876543210", user=gamer).exists()
    me = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200 and me.json()["id"] == gamer.pk
    refreshed = api.post("/api/v1/auth/token/refresh", {"refresh": body["refresh"]}, format="json")
    assert refreshed.status_code == 200


def test_google_code_exchange_sends_the_code_redirect_uri_and_client_credentials(api, provider_http):
    mock_google(provider_http)
    social(api, "google", code="the-code")
    token_call, profile_call = provider_http.calls[0], provider_http.calls[1]
    sent = {k: v[0] for k, v in parse_qs(token_call.request.body).items()}
    assert sent == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": REDIRECT,
        "client_id": "google-client",
        "client_secret": "google-secret",
    }
    assert profile_call.request.headers["Authorization"] == "Bearer google-access"


def test_discord_sign_in_creates_an_account_and_binds_the_bot_identity(api, provider_http):
    mock_discord(provider_http)
    response = social(api, "discord")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] is True
    assert body["user"]["username"] == "Nelly Gamer"
    assert body["user"]["discord_id"] == "80351110224678912"
    assert body["user"]["discord_linked"] is True
    assert provider_http.calls[1].request.headers["Authorization"] == "Bearer discord-access"
    sent = parse_qs(provider_http.calls[0].request.body)
    assert sent["client_id"] == ["discord-client"] and sent["code"] == ["auth-code-1"]


def test_returning_user_is_found_by_provider_id_even_if_the_email_changed(api, provider_http):
    mock_google(provider_http)
    first = social(api, "google").json()
    provider_http.replace(responses.GET, GOOGLE_USERINFO, json=google_profile(email="chad.new@gmail.com"))
    second = social(api, "google", code="auth-code-2")
    assert second.status_code == 200
    assert second.json()["created"] is False
    assert second.json()["user"]["id"] == first["user"]["id"]
    assert Gamer.objects.count() == 1
    assert SocialAccount.objects.get(uid="109876543210").email == "chad.new@gmail.com"


def test_existing_password_account_is_linked_by_verified_email(api, provider_http):
    existing = make_gamer("Chad Original", email="chad@gmail.com", email_verified=True)
    mock_google(provider_http, google_profile(email="CHAD@gmail.com"))
    response = social(api, "google")
    assert response.status_code == 200
    assert response.json()["created"] is False
    assert response.json()["user"]["id"] == existing.pk
    assert response.json()["user"]["username"] == "Chad Original"
    assert SocialAccount.objects.get(provider="google").user_id == existing.pk
    assert Gamer.objects.count() == 1
    existing.refresh_from_db()
    assert existing.check_password("S3cure-pass!"), "linking must not touch the password"
    login = api.post("/api/v1/auth/token", {"login": "chad@gmail.com", "password": "S3cure-pass!"}, format="json")
    assert login.status_code == 200


def test_google_unverified_email_is_refused_and_creates_nothing(api, provider_http):
    make_gamer("Chad Original", email="chad@gmail.com", email_verified=True)
    mock_google(provider_http, google_profile(email_verified=False))
    response = social(api, "google")
    assert response.status_code == 400
    assert response.json()["code"] == "email_unverified"
    assert "not verified" in response.json()["detail"]
    assert SocialAccount.objects.count() == 0
    assert Gamer.objects.count() == 1


def test_discord_unverified_email_does_not_link_a_verified_account(api, provider_http):
    existing = make_gamer("Nelly Original", email="nelly@example.com", email_verified=True)
    mock_discord(provider_http, discord_profile(verified=False))
    response = social(api, "discord")
    assert response.status_code == 409
    assert response.json()["code"] == "email_unverified"
    assert "Discord says the address isn't verified" in response.json()["detail"]
    assert SocialAccount.objects.count() == 0
    assert Gamer.objects.count() == 1
    existing.refresh_from_db()
    assert existing.discord_id is None


@pytest.mark.parametrize("provider", ["google", "discord"])
def test_verified_provider_email_does_not_link_an_unverified_local_account(api, provider_http, provider):
    """SPEC §2: both sides verified, or no link. Whoever signed up first with someone else's
    address (never confirming it) must not receive the provider identity of its real owner."""
    email = "chad@gmail.com" if provider == "google" else "nelly@example.com"
    squatter = make_gamer("Early Bird", email=email)
    assert squatter.email_verified is False
    (mock_google if provider == "google" else mock_discord)(provider_http)
    response = social(api, provider)
    assert response.status_code == 409
    assert response.json()["code"] == "email_unverified"
    assert "access" not in response.json()
    assert SocialAccount.objects.count() == 0
    assert Gamer.objects.count() == 1
    squatter.refresh_from_db()
    assert squatter.discord_id is None


def test_discord_unverified_email_with_no_account_creates_an_unverified_one_and_mails_the_link(
    api, provider_http, mails
):
    mock_discord(provider_http, discord_profile(verified=False))
    response = mails(lambda: social(api, "discord"))
    mailoutbox = mails.outbox
    assert response.status_code == 200, response.json()
    assert response.json()["created"] is True
    assert response.json()["user"]["email_verified"] is False
    gamer = Gamer.objects.get()
    assert gamer.email == "nelly@example.com" and not gamer.email_verified
    assert [m.to for m in mailoutbox] == [["nelly@example.com"]]
    assert "/verify-email?uid=" in mailoutbox[0].body


def test_verified_provider_email_creates_a_verified_account_without_mail(api, provider_http, mails):
    mock_google(provider_http)
    response = mails(lambda: social(api, "google"))
    mailoutbox = mails.outbox
    assert response.status_code == 200
    assert response.json()["user"]["email_verified"] is True
    assert Gamer.objects.get().email_verified is True
    assert mailoutbox == []


def test_discord_profile_without_email_is_refused_for_a_new_identity(api, provider_http):
    profile = discord_profile()
    del profile["email"]
    mock_discord(provider_http, profile)
    response = social(api, "discord")
    assert response.status_code == 400
    assert response.json()["code"] == "email_unverified"
    assert Gamer.objects.count() == 0


def test_known_discord_identity_signs_in_even_if_its_email_is_now_unverified(api, provider_http):
    mock_discord(provider_http)
    first = social(api, "discord").json()
    provider_http.replace(responses.GET, DISCORD_ME, json=discord_profile(verified=False))
    second = social(api, "discord", code="auth-code-2")
    assert second.status_code == 200
    assert second.json()["user"]["id"] == first["user"]["id"]


@pytest.mark.parametrize("provider", ["google", "discord"])
def test_bad_code_is_400_and_creates_nothing(api, provider_http, provider):
    (mock_google if provider == "google" else mock_discord)(provider_http, token_status=400)
    response = social(api, provider, code="stale-code")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"
    assert Gamer.objects.count() == 0
    assert len(provider_http.calls) == 1, "the profile must not be fetched without a token"


@pytest.mark.parametrize("provider", ["google", "discord"])
def test_provider_without_client_settings_is_503_provider_disabled_without_calling_it(
    api, provider_http, settings, provider
):
    setattr(settings, f"{provider.upper()}_CLIENT_SECRET", "")
    response = social(api, provider)
    assert response.status_code == 503
    assert response.json()["code"] == "provider_disabled"
    assert len(provider_http.calls) == 0


def test_provider_off_is_reported_before_body_validation(api, provider_http, settings):
    settings.GOOGLE_CLIENT_ID = ""
    response = api.post("/api/v1/auth/social/google", {}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "provider_disabled"


def test_provider_down_is_503_provider_unavailable(api, provider_http):
    provider_http.add(responses.POST, GOOGLE_TOKEN, json={"error": "server_error"}, status=502)
    response = social(api, "google")
    assert response.status_code == 503
    assert response.json()["code"] == "provider_unavailable"


def test_wrong_client_secret_is_503_provider_misconfigured(api, provider_http):
    provider_http.add(responses.POST, GOOGLE_TOKEN, json={"error": "invalid_client"}, status=401)
    response = social(api, "google")
    assert response.status_code == 503
    assert response.json()["code"] == "provider_misconfigured"


def test_username_collision_gets_a_number(api, provider_http):
    make_gamer("chad player", email="someone@example.com")
    mock_google(provider_http)
    response = social(api, "google")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "Chad Player 2"


def test_short_or_odd_provider_names_still_make_a_valid_username(api, provider_http):
    mock_discord(provider_http, discord_profile(global_name="@@", username="jo"))
    response = social(api, "discord")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "jo gamer"


def test_discord_sign_in_does_not_steal_a_discord_id_linked_to_another_account(api, provider_http):
    holder = make_gamer("Bot Holder", discord_id="80351110224678912")
    mock_discord(provider_http)
    response = social(api, "discord")
    assert response.status_code == 200
    assert response.json()["user"]["id"] != holder.pk
    assert response.json()["user"]["discord_id"] is None


def test_disabled_account_is_refused(api, provider_http):
    make_gamer("Chad Original", email="chad@gmail.com", is_active=False, email_verified=True)
    mock_google(provider_http)
    response = social(api, "google")
    assert response.status_code == 403
    assert response.json()["code"] == "account_disabled"
    assert "access" not in response.json()


@pytest.mark.parametrize(
    "payload",
    [{}, {"code": "x"}, {"code": "x", "redirect_uri": "not a url"}, {"code": "", "redirect_uri": REDIRECT}],
)
def test_missing_or_invalid_fields_are_400_field_errors(api, provider_http, payload):
    response = api.post("/api/v1/auth/social/google", payload, format="json")
    assert response.status_code == 400
    assert "code" in response.json() or "redirect_uri" in response.json()
    assert len(provider_http.calls) == 0


def test_unknown_provider_is_404(api):
    response = api.post("/api/v1/auth/social/myspace", {"code": "x", "redirect_uri": REDIRECT}, format="json")
    assert response.status_code == 404


def test_social_endpoint_answers_with_a_trailing_slash_too(api, provider_http):
    mock_google(provider_http)
    response = api.post("/api/v1/auth/social/google/", {"code": "c", "redirect_uri": REDIRECT}, format="json")
    assert response.status_code == 200


def test_social_login_is_in_the_openapi_schema(api):
    schema = json.loads(api.get("/api/schema", HTTP_ACCEPT="application/json").content)
    paths = schema["paths"]
    social_path = next(p for p in paths if p.startswith("/api/v1/auth/social/"))
    assert {"200", "400", "409", "503"} <= set(paths[social_path]["post"]["responses"])
    assert "201" in paths["/api/v1/auth/discord/link-code"]["post"]["responses"]
