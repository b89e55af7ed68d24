from hypothesis import given
from hypothesis import strategies as st

from gamers.rules import clean_username, normalize_email, username_key, username_problem


def test_username_key_is_case_insensitive_and_collapses_spaces():
    assert username_key("Chad  Smith ") == username_key("chad smith")
    assert username_key("ÉMILE") == username_key("émile")


def test_username_problem_enforces_length_in_characters_not_bytes():
    assert username_problem("abc") is not None
    assert username_problem("abcd") is None
    assert username_problem("🎮🎮🎮🎮") is None  # 4 characters, 16 bytes
    assert username_problem("x" * 51) is not None


def test_username_problem_refuses_at_sign_and_control_characters():
    assert username_problem("me@home") is not None
    assert username_problem("bad\u200bname") is not None
    assert username_problem("tab\tname") is None or "\t" not in clean_username("tab\tname")


def test_normalize_email_lowercases():
    assert normalize_email("  Chad@Example.COM ") == "chad@example.com"


@given(st.text(max_size=60))
def test_username_key_is_idempotent(raw):
    assert username_key(username_key(raw)) == username_key(raw)


def test_username_from_profile_takes_the_first_usable_candidate():
    from gamers.rules import username_from_profile

    assert username_from_profile(None, "", "Chad Player") == "Chad Player"
    assert username_from_profile("@@@", "nelly") == "nelly"
    assert username_from_profile("Jo") == "Jo gamer"
    assert username_from_profile("zero\u200bwidth  name\t") == "zerowidth name"
    assert username_from_profile() == "gamer gamer"
    assert len(username_from_profile("x" * 200)) == 50


@given(st.lists(st.text(max_size=80), max_size=3))
def test_username_from_profile_is_always_a_valid_username(candidates):
    from gamers.rules import username_from_profile

    assert username_problem(username_from_profile(*candidates)) is None


@given(st.text(min_size=4, max_size=50), st.integers(min_value=2, max_value=10**6))
def test_username_with_suffix_fits_the_maximum_length(base, number):
    from gamers.rules import username_with_suffix

    name = username_with_suffix(clean_username(base) or "base", number)
    assert len(name) <= 50 and name.endswith(f" {number}")


def test_link_code_normalize_ignores_case_dashes_and_spaces():
    from gamers.rules import link_code_normalize

    assert link_code_normalize(" abcd-efgh ") == "ABCDEFGH"
