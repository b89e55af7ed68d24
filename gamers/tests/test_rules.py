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
