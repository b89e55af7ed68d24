"""Pure rules: periods and their keys, the 53-bit score encoding."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from leaderboard import rules


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def test_day_changes_between_23_59_59_and_midnight():
    before = rules.period_window("day", utc(2026, 3, 14, 23, 59, 59, 999999))
    after = rules.period_window("day", utc(2026, 3, 15, 0, 0, 0))
    assert before.key == "d2026-03-14"
    assert after.key == "d2026-03-15"
    assert before.end == after.start == utc(2026, 3, 15)


def test_day_is_utc_whatever_the_offset_of_the_given_time():
    from datetime import timezone

    tunis = timezone(timedelta(hours=1))
    # 00:30 in Tunis is still the previous day in UTC.
    assert rules.period_window("day", datetime(2026, 3, 15, 0, 30, tzinfo=tunis)).key == "d2026-03-14"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        rules.period_window("day", datetime(2026, 3, 15))


def test_iso_week_changes_on_monday_midnight():
    sunday = rules.period_window("week", utc(2026, 3, 15, 23, 59, 59))
    monday = rules.period_window("week", utc(2026, 3, 16, 0, 0, 0))
    assert sunday.key == "w2026-W11"
    assert monday.key == "w2026-W12"
    assert monday.start == utc(2026, 3, 16)
    assert monday.end == utc(2026, 3, 23)


def test_iso_week_across_the_new_year_belongs_to_its_iso_year():
    # 2027-01-01 is a Friday: it belongs to ISO week 53 of 2026, with 2026-12-28.
    assert rules.period_window("week", utc(2027, 1, 1, 12)).key == "w2026-W53"
    assert rules.period_window("week", utc(2026, 12, 28)).key == "w2026-W53"
    assert rules.period_window("week", utc(2027, 1, 4)).key == "w2027-W01"
    # 2024-12-30 (a Monday) starts ISO week 1 of 2025.
    assert rules.period_window("week", utc(2024, 12, 30)).key == "w2025-W01"


def test_month_changes_at_midnight_of_the_first_including_december():
    assert rules.period_window("month", utc(2026, 1, 31, 23, 59, 59)).key == "m2026-01"
    feb = rules.period_window("month", utc(2026, 2, 1))
    assert feb.key == "m2026-02"
    assert feb.end == utc(2026, 3, 1)
    dec = rules.period_window("month", utc(2026, 12, 31, 23, 59, 59))
    assert (dec.key, dec.end) == ("m2026-12", utc(2027, 1, 1))


@pytest.mark.parametrize(
    ("boundary", "rolled"),
    [
        (utc(2031, 3, 10), {"day", "week"}),  # a Monday that isn't the 1st
        (utc(2031, 4, 1), {"day", "month"}),  # the 1st of a month, a Tuesday
        (utc(2028, 3, 1), {"day", "month"}),  # after a leap day
        (utc(2026, 3, 1), {"day", "month"}),  # after 28 February (a Sunday)
        (utc(2027, 1, 1), {"day", "month"}),  # New Year on a Friday: ISO week 2026-W53 goes on
        (utc(2027, 1, 4), {"day", "week"}),  # ... and ends the next Monday
        (utc(2029, 1, 1), {"day", "week", "month"}),  # New Year on a Monday: everything rolls
        (utc(2021, 1, 4), {"day", "week"}),  # the end of 2020-W53
        (utc(2031, 3, 12), {"day"}),  # an ordinary midnight
    ],
)
def test_exactly_the_periods_that_end_at_a_boundary_roll_over(boundary, rolled):
    last_moment = boundary - timedelta(microseconds=1)
    before, after = rules.period_windows(last_moment), rules.period_windows(boundary)
    # The windows are computed once per day (cached): the same as each period's own window.
    assert before == [rules.period_window(p, last_moment) for p in rules.PERIODS]
    assert after == [rules.period_window(p, boundary) for p in rules.PERIODS]
    assert {b.period for b, a in zip(before, after, strict=True) if b.key != a.key} == rolled
    for old, new in zip(before, after, strict=True):
        if old.period in rolled:
            assert old.end == new.start == boundary, old.period
            assert old.expire_at == int((boundary + rules.EXPIRY_GRACE).timestamp())
            assert rules.tie_for(old, at=last_moment, score_id=0) > rules.tie_for(new, at=boundary, score_id=0) == 0
        else:
            assert old == new, old.period


@pytest.mark.parametrize(
    ("day", "key", "monday"),
    [
        (utc(2020, 12, 31, 12), "w2020-W53", utc(2020, 12, 28)),
        (utc(2021, 1, 3, 23, 59, 59, 999999), "w2020-W53", utc(2020, 12, 28)),  # a Sunday in 2021
        (utc(2021, 1, 4), "w2021-W01", utc(2021, 1, 4)),
        (utc(2026, 12, 28), "w2026-W53", utc(2026, 12, 28)),
        (utc(2027, 1, 3, 23, 59, 59), "w2026-W53", utc(2026, 12, 28)),
        (utc(2027, 1, 4), "w2027-W01", utc(2027, 1, 4)),
        (utc(2025, 12, 29), "w2026-W01", utc(2025, 12, 29)),  # 2026's first week starts in 2025
        (utc(2025, 12, 28, 23, 59, 59), "w2025-W52", utc(2025, 12, 22)),
    ],
)
def test_week_53_and_week_1_across_year_boundaries(day, key, monday):
    window = rules.period_window("week", day)
    assert (window.key, window.start, window.end) == (key, monday, monday + timedelta(days=7))
    assert window.start.weekday() == 0


def test_a_leap_february_has_29_days_of_milliseconds():
    feb = rules.period_window("month", utc(2028, 2, 29, 23, 59, 59, 999000))
    assert (feb.key, feb.start, feb.end) == ("m2028-02", utc(2028, 2, 1), utc(2028, 3, 1))
    assert rules.tie_for(feb, at=utc(2028, 2, 29, 23, 59, 59, 999000), score_id=0) == 29 * 86_400_000 - 1
    assert rules.period_window("day", utc(2028, 2, 29, 12)).key == "d2028-02-29"


def test_period_keys_expire_an_hour_after_their_period_and_all_never():
    day = rules.period_window("day", utc(2026, 3, 14, 10))
    assert day.expire_at == int(utc(2026, 3, 15, 1).timestamp())
    assert rules.period_window("all", utc(2026, 3, 14)).expire_at == 0


def test_unknown_period_is_refused():
    with pytest.raises(ValueError):
        rules.period_window("year", utc(2026, 1, 1))


def test_encoding_ranks_value_first_then_earliest_tie():
    assert rules.encode(101, 5_000) > rules.encode(100, 0)
    assert rules.encode(100, 10) > rules.encode(100, 11)
    assert rules.decode(float(rules.encode(1234, 987_654_321))) == (1234, 987_654_321)


def test_encoding_is_exact_in_a_double_at_the_extremes():
    top = rules.encode(rules.VALUE_MAX, 0)
    assert top == 2**53 - 1
    assert float(top) == top  # exact
    assert rules.decode(float(top)) == (rules.VALUE_MAX, 0)
    assert rules.decode(float(rules.encode(rules.VALUE_MAX, 1))) == (rules.VALUE_MAX, 1)
    assert rules.decode(float(rules.encode(0, rules.TIE_MAX))) == (0, rules.TIE_MAX)
    with pytest.raises(ValueError):
        rules.encode(rules.VALUE_MAX + 1, 0)
    with pytest.raises(ValueError):
        rules.encode(1, rules.TIE_MAX + 1)


def test_a_whole_month_of_milliseconds_fits_the_tie_field():
    month = rules.period_window("month", utc(2026, 1, 15))
    last_ms = rules.tie_for(month, at=utc(2026, 1, 31, 23, 59, 59, 999999), score_id=0)
    assert last_ms == 31 * 86_400_000 - 1 <= rules.TIE_MAX


def test_ties_count_milliseconds_on_periods_and_score_ids_on_all_time():
    day = rules.period_window("day", utc(2026, 3, 14))
    assert rules.tie_for(day, at=utc(2026, 3, 14, 0, 0, 1, 2500), score_id=77) == 1002
    assert rules.time_of(day, 1002) == utc(2026, 3, 14, 0, 0, 1, 2000)
    everything = rules.period_window("all", utc(2026, 3, 14))
    assert rules.tie_for(everything, at=utc(2026, 3, 14), score_id=77) == 77
    assert rules.time_of(everything, 77) is None


@pytest.mark.parametrize(
    "at",
    [
        utc(2026, 3, 14, 0, 0, 0, 999),  # under a millisecond: tie 0
        utc(2026, 3, 14, 23, 59, 59, 999999),
        utc(2026, 3, 31, 23, 59, 59, 999000),  # the last millisecond of a month
        utc(2028, 2, 29, 12, 30, 0, 123456),  # leap day, ISO week 9
        utc(2027, 1, 3, 5, 6, 7, 891011),  # ISO week of the previous year
        datetime(2026, 6, 1, 2, 0, 0, 1500, tzinfo=timezone(timedelta(hours=1))),  # not UTC
    ],
)
def test_ties_from_epoch_milliseconds_are_the_timedelta_ones(at):
    """tie_at_ms (what record_call uses) gives the tie the periods' own arithmetic gives."""
    for window in rules.period_windows(at):
        if window.start is None:
            expected = 123
        else:
            delta = at.astimezone(UTC) - window.start
            expected = min(max(delta // timedelta(milliseconds=1), 0), rules.TIE_MAX)
        assert rules.tie_at_ms(window, at_ms=rules.epoch_ms(at), score_id=123) == expected
        assert rules.tie_for(window, at=at, score_id=123) == expected


def test_as_utc_reads_what_raw_sql_returns():
    assert rules.as_utc("2026-03-14 10:00:00.5") == utc(2026, 3, 14, 10, 0, 0, 500000)
    assert rules.as_utc(datetime(2026, 3, 14, 10)) == utc(2026, 3, 14, 10)
    assert rules.day_bounds(utc(2026, 3, 14).date()) == (utc(2026, 3, 14), utc(2026, 3, 14, 23, 59, 59, 999999))


def test_the_lua_scripts_use_the_same_field_sizes():
    from leaderboard import scripts

    for lua in (scripts.RECORD_LUA, scripts.WINDOW_LUA, scripts.AROUND_LUA):
        assert f"local SHIFT = {rules.SHIFT}" in lua
