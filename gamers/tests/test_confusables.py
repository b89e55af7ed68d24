"""Look-alike usernames (SPEC §2): the pure skeleton rule, and 409 `username_taken` for a
username whose skeleton is taken, on register and in /auth/availability."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import make_gamer
from gamers.models import Gamer
from gamers.rules import username_key, username_problem, username_skeleton

CYRILLIC_A = "\u0430"
GREEK_OMICRON = "\u03bf"
CYRILLIC_I = "\u0456"
FULLWIDTH_ADMIN = "".join(chr(ord(c) + 0xFEE0) for c in "admin")
FULLWIDTH_MOD = "".join(chr(ord(c) + 0xFEE0) for c in "mod")


# --- the pure rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "look_alike",
    [
        f"{CYRILLIC_A}dmin",  # Cyrillic a
        f"adm{CYRILLIC_I}n",  # Cyrillic i
        "\u0391DMIN",  # Greek capital alpha, mixed into capitals
        FULLWIDTH_ADMIN,
        "ADMIN",  # case
        "AdMiN",
        "adrnin",  # "rn" for "m"
    ],
)
def test_look_alikes_of_admin_share_its_skeleton(look_alike):
    assert username_skeleton(look_alike) == username_skeleton("admin")


def test_greek_omicron_and_digit_zero_look_like_o():
    assert username_skeleton(f"m{GREEK_OMICRON}derat{GREEK_OMICRON}r") == username_skeleton("moderator")
    assert username_skeleton("m0derat0r") == username_skeleton("moderator")


def test_digit_one_and_small_l_look_alike():
    assert username_skeleton("player1") == username_skeleton("playerl")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("gamer one", "gamer two"),
        ("Aziz Sniper 1", "Aziz Sniper 11"),
        ("chad", "chadd"),
        ("admin", "admin one"),
        ("admin", "adnim"),
        ("émile", "emile"),  # an accent is a visible difference
        ("gamer one", "gamerone"),  # so is a space
        ("admin", "admln"),  # small i and small l are told apart
    ],
)
def test_ordinary_distinct_names_stay_distinct(a, b):
    assert username_skeleton(a) != username_skeleton(b)


def test_skeleton_is_a_coarser_key_than_the_case_insensitive_one():
    for name in ["Chad Player", "ÉMILE", FULLWIDTH_MOD, "Ǆemal"]:
        assert username_skeleton(name) == username_skeleton(username_key(name))


@given(st.text(max_size=30))
def test_skeleton_is_stable(raw):
    once = username_skeleton(raw)
    assert username_skeleton(once) == once


def test_a_name_that_spells_out_past_the_stored_length_is_refused():
    assert username_problem("\ufdfa" * 12) is not None  # each spells out to 18 letters
    assert username_problem("\ufdfa" * 4) is None


# --- the API -------------------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def register(api, username, email):
    return api.post(
        "/api/v1/auth/register", {"username": username, "email": email, "password": "S3cure-pass!"}, format="json"
    )


@pytestmark_db
def test_cyrillic_admin_is_409_username_taken_when_admin_exists(api):
    make_gamer("admin", email="admin@example.com")
    response = register(api, f"{CYRILLIC_A}dmin", "impostor@example.com")
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"
    assert not Gamer.objects.filter(email="impostor@example.com").exists()


@pytestmark_db
@pytest.mark.parametrize("look_alike", [FULLWIDTH_ADMIN, "adrnin", "\u0391dmin"])
def test_other_look_alikes_are_refused_on_register(api, look_alike):
    make_gamer("admin", email="admin@example.com")
    response = register(api, look_alike, "impostor@example.com")
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"


@pytestmark_db
def test_the_genuine_name_is_refused_when_a_look_alike_came_first(api):
    make_gamer(f"{CYRILLIC_A}dmin", email="first@example.com")
    assert register(api, "admin", "second@example.com").status_code == 409


@pytestmark_db
def test_a_distinct_name_is_still_accepted(api):
    make_gamer("admin", email="admin@example.com")
    assert register(api, "admin one", "one@example.com").status_code == 201


@pytestmark_db
def test_availability_answers_409_for_a_look_alike(api):
    make_gamer("moderator", email="mod@example.com")
    look_alike = api.get(f"/api/v1/auth/availability/m{GREEK_OMICRON}derator")
    assert look_alike.status_code == 409
    assert look_alike.json() == {"available": False}
    assert api.get("/api/v1/auth/availability/moderator%20two").status_code == 200


@pytestmark_db
def test_the_skeleton_column_follows_username_changes():
    gamer = make_gamer("Chad Player")
    assert gamer.username_skeleton == username_skeleton("Chad Player")
    gamer.username = "Chad Modern"
    gamer.save(update_fields=["username"])
    gamer.refresh_from_db()
    assert gamer.username_skeleton == username_skeleton("chad modern") == "chad rnodern"


@pytestmark_db
def test_the_migration_fills_skeletons_of_existing_accounts():
    from importlib import import_module

    from django.apps import apps

    gamer = make_gamer("Old Timer")
    Gamer.objects.filter(pk=gamer.pk).update(username_skeleton="")
    migration = import_module("gamers.migrations.0004_username_skeleton")
    migration.skeletons_fill(apps, None)
    gamer.refresh_from_db()
    assert gamer.username_skeleton == username_skeleton("Old Timer")
