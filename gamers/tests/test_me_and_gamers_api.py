import io

import pytest
from PIL import Image

from audit.models import AuditLog
from common.roles import Role
from conftest import client_for, make_gamer
from gamers.models import Gamer

pytestmark = pytest.mark.django_db
ME = "/api/v1/auth/me"


def png_bytes(width: int, height: int, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (width, height), "red").save(buf, format="PNG")
    return buf.getvalue()


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


def test_me_private_view_includes_email_coins_and_discord_link(gamer_client, gamer):
    body = gamer_client.get(ME).json()
    assert body["email"] == gamer.email
    assert body["coins"] == gamer.coins
    assert body["discord_linked"] is False and body["discord_id"] is None


def test_me_requires_authentication(api):
    response = api.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_patch_me_updates_bio_and_email(gamer_client):
    response = gamer_client.patch(ME, {"bio": "I main support.", "email": "New@Example.com"}, format="json")
    assert response.status_code == 200
    assert response.json()["bio"] == "I main support."
    assert response.json()["email"] == "new@example.com"


def test_patch_me_refuses_an_email_in_use(gamer_client, other_gamer):
    response = gamer_client.patch(ME, {"email": other_gamer.email.upper()}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


def test_patch_me_refuses_a_bio_over_500(gamer_client):
    assert gamer_client.patch(ME, {"bio": "x" * 501}, format="json").status_code == 400


def test_avatar_upload_is_resized_to_320_and_served_as_url(gamer_client, gamer):
    response = gamer_client.patch(ME, {"avatar": upload("big.png", png_bytes(1200, 600))}, format="multipart")
    assert response.status_code == 200, response.data
    assert response.json()["avatar_url"].startswith("http://testserver/media/avatars/")
    gamer.refresh_from_db()
    with Image.open(gamer.avatar.path) as img:
        assert max(img.size) == 320
        assert img.size == (320, 160)


def test_avatar_that_is_not_an_image_is_refused(gamer_client):
    response = gamer_client.patch(ME, {"avatar": upload("evil.png", b"<?php echo 1; ?>" * 10)}, format="multipart")
    assert response.status_code == 400
    # SPEC §1's field shape, so a client can show the message beside the avatar field.
    assert response.json() == {"avatar": ["Upload a valid image (PNG, JPEG, GIF or WebP)."], "code": "invalid_image"}


def test_avatar_over_the_size_limit_is_a_field_error(gamer_client, gamer, settings):
    settings.AVATAR_MAX_BYTES = 1000
    response = gamer_client.patch(
        ME, {"avatar": upload("big.png", png_bytes(200, 200) + b"\0" * 2000)}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "avatar_too_large"
    assert body["avatar"] == ["Avatars are limited to 1000 bytes."]
    assert "detail" not in body
    gamer.refresh_from_db()
    assert not gamer.avatar


def test_delete_me_removes_the_account_and_its_ledger(gamer_client, gamer):
    assert gamer_client.delete(ME).status_code == 204
    assert not Gamer.objects.filter(pk=gamer.pk).exists()
    from gamers.models import CoinTransaction

    assert not CoinTransaction.objects.filter(gamer_id=gamer.pk).exists()


def test_admin_cannot_delete_own_account(admin_client_api, admin):
    response = admin_client_api.delete(ME)
    assert response.status_code == 403
    assert response.json()["code"] == "admin_cannot_delete"
    assert Gamer.objects.filter(pk=admin.pk).exists()


def test_public_profile_has_stats_and_no_email(gamer_client, other_gamer):
    body = gamer_client.get(f"/api/v1/gamers/{other_gamer.pk}").json()
    assert "email" not in body
    assert set(body) == {"id", "username", "role", "coins", "joined", "last_seen", "bio", "avatar_url", "stats"}
    assert set(body["stats"]) == {"sessions_hosted", "sessions_joined", "trivia_wins"}


def test_public_profile_404_and_requires_sign_in(gamer_client, api, other_gamer):
    missing = gamer_client.get("/api/v1/gamers/999999")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert api.get(f"/api/v1/gamers/{other_gamer.pk}").status_code == 401


def test_gamer_list_is_for_moderators_and_admins_and_includes_email(
    gamer_client, moderator_client, admin_client_api, other_gamer
):
    assert gamer_client.get("/api/v1/gamers/").status_code == 403
    for client in (moderator_client, admin_client_api):
        body = client.get("/api/v1/gamers/").json()
        assert body["count"] >= 2
        assert all("email" in row for row in body["results"])


def test_gamer_list_search_and_role_filter(moderator_client, other_gamer, admin):
    by_name = moderator_client.get("/api/v1/gamers/", {"search": "GAMER TWO"}).json()
    assert [r["id"] for r in by_name["results"]] == [other_gamer.pk]
    admins = moderator_client.get("/api/v1/gamers/", {"role": "admin"}).json()
    assert [r["id"] for r in admins["results"]] == [admin.pk]
    assert moderator_client.get("/api/v1/gamers/", {"role": "king"}).status_code == 400


def test_gamer_list_query_count_does_not_grow_with_page_size(moderator_client, django_assert_max_num_queries):
    for i in range(30):
        make_gamer(f"bulk gamer {i}")
    with django_assert_max_num_queries(4):
        moderator_client.get("/api/v1/gamers/", {"page_size": 1})
    with django_assert_max_num_queries(4):
        moderator_client.get("/api/v1/gamers/", {"page_size": 100})


def test_admin_deletes_a_gamer_and_it_is_audited(admin_client_api, admin, other_gamer):
    assert admin_client_api.delete(f"/api/v1/gamers/{other_gamer.pk}").status_code == 204
    assert not Gamer.objects.filter(pk=other_gamer.pk).exists()
    log = AuditLog.objects.get()
    assert (log.actor_id, log.action, log.target_id) == (admin.pk, "delete_gamer", str(other_gamer.pk))


def test_admin_cannot_delete_self_or_another_admin(admin_client_api, admin):
    other_admin = make_gamer("admin two", role=Role.ADMIN)
    self_delete = admin_client_api.delete(f"/api/v1/gamers/{admin.pk}")
    assert self_delete.status_code == 403 and self_delete.json()["code"] == "cannot_target_self"
    admin_delete = admin_client_api.delete(f"/api/v1/gamers/{other_admin.pk}")
    assert admin_delete.status_code == 403 and admin_delete.json()["code"] == "cannot_target_admin"
    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize("persona", ["gamer_client", "moderator_client"])
def test_only_admins_delete_gamers(request, persona, other_gamer):
    client = request.getfixturevalue(persona)
    assert client.delete(f"/api/v1/gamers/{other_gamer.pk}").status_code == 403
    assert Gamer.objects.filter(pk=other_gamer.pk).exists()


def test_admin_changes_a_role(admin_client_api, other_gamer):
    other_gamer.username = "Chad"
    other_gamer.save()
    response = admin_client_api.put(f"/api/v1/gamers/{other_gamer.pk}/role", {"role": "moderator"}, format="json")
    assert response.status_code == 200
    assert response.json()["detail"] == "Chad is now a moderator"
    assert response.json()["user"]["role"] == "moderator"
    other_gamer.refresh_from_db()
    assert other_gamer.role == "moderator"
    assert AuditLog.objects.filter(action="role_change", target_id=str(other_gamer.pk)).count() == 1


def test_role_change_refusals(admin_client_api, admin, gamer_client, moderator_client, other_gamer):
    assert (
        gamer_client.put(f"/api/v1/gamers/{other_gamer.pk}/role", {"role": "admin"}, format="json").status_code == 403
    )
    assert (
        moderator_client.put(f"/api/v1/gamers/{other_gamer.pk}/role", {"role": "moderator"}, format="json").status_code
        == 403
    )
    assert admin_client_api.put(f"/api/v1/gamers/{admin.pk}/role", {"role": "gamer"}, format="json").status_code == 403
    bad = admin_client_api.put(f"/api/v1/gamers/{other_gamer.pk}/role", {"role": "king"}, format="json")
    assert bad.status_code == 400 and "role" in bad.json()
    assert admin_client_api.put("/api/v1/gamers/999999/role", {"role": "gamer"}, format="json").status_code == 404


def test_moderator_has_staff_access_and_gamer_does_not(moderator, gamer, admin):
    assert moderator.is_staff and not moderator.is_superuser
    assert admin.is_staff and admin.is_superuser
    assert not gamer.is_staff
    assert moderator.has_perm("trivia.view_entry")
    assert not moderator.has_perm("gamers.view_gamer")
    assert admin.has_perm("gamers.delete_gamer")


def test_createsuperuser_makes_an_admin(db):
    from django.core.management import call_command

    call_command("createsuperuser", "--noinput", "--username", "root user", "--email", "root@example.com")
    assert Gamer.objects.get(username="root user").role == Role.ADMIN


def test_client_for_authenticates_as_the_given_user(other_gamer):
    assert client_for(other_gamer).get(ME).json()["id"] == other_gamer.pk


def jpeg_with_gps_and_trailer() -> bytes:
    """A real JPEG carrying EXIF GPS coordinates, with a script appended after its end marker."""
    exif = Image.Exif()
    exif[0x8825] = {2: (36.0, 48.0, 0.0), 4: (10.0, 10.0, 0.0)}  # GPSInfo: latitude, longitude
    exif[0x010F] = "LeakyPhone"  # Make
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "blue").save(buf, format="JPEG", exif=exif)
    return buf.getvalue() + b"<script>alert('avatar')</script>"


def test_avatar_is_re_encoded_dropping_metadata_and_smuggled_bytes(gamer_client, gamer):
    data = jpeg_with_gps_and_trailer()
    with Image.open(io.BytesIO(data)) as original:  # the fixture really carries what we strip
        assert original.getexif().get(0x010F) == "LeakyPhone"
    response = gamer_client.patch(ME, {"avatar": upload("me.jpg", data)}, format="multipart")
    assert response.status_code == 200, response.data
    gamer.refresh_from_db()
    stored = gamer.avatar.read()
    assert b"<script>" not in stored and b"LeakyPhone" not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG"
        assert not img.getexif()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("huge.png", png_bytes(12000, 12000, mode="1")),  # a small file that decodes to 144 Mpx
        ("vector.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("cut.png", png_bytes(50, 50)[:60]),
    ],
    ids=["decompression-bomb", "svg", "truncated"],
)
def test_avatar_bombs_svg_and_truncated_files_are_refused(gamer_client, gamer, name, data):
    response = gamer_client.patch(ME, {"avatar": upload(name, data)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_image"
    assert len(response.json()["avatar"]) == 1
    gamer.refresh_from_db()
    assert not gamer.avatar
