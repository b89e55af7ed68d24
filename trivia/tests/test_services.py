"""The game engine on the database: rounds, the clock tick, attempts, coins, reports."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from audit.models import AuditLog
from common.errors import Conflict, NotFound
from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer
from gamers.services import InsufficientFunds, coins_apply
from trivia import presence, rules, services
from trivia.models import Attempt, Entry, EntryReport, Round
from trivia.services import NoRound
from trivia.tests.factories import end_round, make_entries, make_entry, next_round, start_round

pytestmark = pytest.mark.django_db


def ledger_sum(gamer) -> int:
    return CoinTransaction.objects.filter(gamer=gamer).aggregate(s=Sum("amount"))["s"] or 0


# --- choosing entries ----------------------------------------------------------------------


def test_round_start_copies_the_entry_masks_it_and_sets_the_first_deadline(settings):
    settings.TRIVIA_SPLIT_SECONDS = 15
    make_entry("Buenos Aires", value=40)
    now = timezone.now()
    round_ = services.round_start(now=now)
    assert round_.number == 1 and round_.state == Round.State.PLAYING
    assert (round_.answer, round_.masked, round_.hidden_total) == ("Buenos Aires", "______ _____", 11)
    assert round_.current_value == round_.base_value == 40
    assert round_.split_ends_at == now + timedelta(seconds=15)


def test_no_round_without_a_playable_entry():
    make_entry("Paris", banned=True)
    assert services.round_start() is None
    assert services.tick() == "idle"
    assert not Round.objects.exists()


def test_a_banned_entry_is_never_chosen():
    entries = make_entries(6)
    for entry in entries[:5]:
        entry.banned = True
        entry.save()
    previous = None
    for _ in range(30):
        round_ = next_round(previous)
        assert round_ is not None and round_.entry_id == entries[5].pk
        previous = end_round(round_)


def test_an_entry_is_not_replayed_within_the_last_50_rounds(settings):
    settings.TRIVIA_ROUND_END_SECONDS = 0
    make_entries(60)
    played: list[int] = []
    previous = None
    for _ in range(120):
        round_ = next_round(previous)
        assert round_ is not None
        assert round_.entry_id not in played[-50:]
        played.append(round_.entry_id)
        previous = end_round(round_)
    assert len(set(played)) == 60


def test_a_tiny_bank_still_plays_without_repeating_the_last_entry(settings):
    settings.TRIVIA_ROUND_END_SECONDS = 0
    make_entries(2)
    previous = None
    for _ in range(6):
        round_ = next_round(previous)
        assert previous is None or round_.entry_id != previous.entry_id
        previous = end_round(round_)


# --- splits, reveals and the clock ---------------------------------------------------------


def test_splits_reveal_one_character_each_and_the_value_decays_until_reveal():
    round_ = start_round("Tom and Jerry", value=100)
    n = round_.hidden_total
    assert n == 11
    masks = [round_.masked]
    for k in range(1, n):
        round_ = services.round_advance(round_.pk, now=round_.split_ends_at)
        assert round_.state == Round.State.PLAYING and round_.reveals == k
        assert round_.current_value == rules.value_after(100, n, k)
        assert rules.hidden_count(round_.answer, round_.masked) == n - k
        changed = [i for i, (a, b) in enumerate(zip(masks[-1], round_.masked, strict=True)) if a != b]
        assert len(changed) == 1 and masks[-1][changed[0]] == "_"
        masks.append(round_.masked)
    # One hidden character left: the next split time ends the round without a winner.
    round_ = services.round_advance(round_.pk, now=round_.split_ends_at)
    assert round_.state == Round.State.ENDED and round_.end_reason == Round.EndReason.REVEALED
    assert round_.winner_id is None and round_.next_round_at is not None
    assert round_.current_value == rules.value_after(100, n, n - 1)


def test_advance_before_the_deadline_or_with_an_old_version_does_nothing():
    round_ = start_round()
    assert services.round_advance(round_.pk, now=round_.split_ends_at - timedelta(milliseconds=1)) is None
    assert services.round_advance(round_.pk, expected_version=round_.version + 1, now=round_.split_ends_at) is None
    round_.refresh_from_db()
    assert round_.reveals == 0 and round_.version == 0


def test_a_duplicate_or_late_tick_never_advances_twice():
    round_ = start_round()
    due = round_.split_ends_at
    assert services.tick(now=due) == "split"
    assert services.tick(now=due) == "idle"
    assert services.round_advance(round_.pk, expected_version=0, now=due + timedelta(hours=1)) is None
    round_.refresh_from_db()
    assert (round_.reveals, round_.version) == (1, 1)


def test_a_late_tick_restarts_the_split_cadence_from_now(settings):
    settings.TRIVIA_SPLIT_SECONDS = 10
    round_ = start_round()
    late = round_.split_ends_at + timedelta(seconds=35)
    services.tick(now=late)
    round_.refresh_from_db()
    assert round_.split_ends_at == late + timedelta(seconds=10)
    assert services.tick(now=late + timedelta(seconds=1)) == "idle"


def test_tick_starts_the_next_round_after_the_transition(settings):
    settings.TRIVIA_ROUND_END_SECONDS = 8
    make_entries(3)
    assert services.tick() == "started"
    first = Round.objects.get()
    ended = end_round(first)
    assert services.tick(now=ended.next_round_at - timedelta(seconds=1)) == "idle"
    assert services.tick(now=ended.next_round_at) == "started"
    assert services.tick(now=ended.next_round_at) == "idle"
    first.refresh_from_db()
    assert first.state == Round.State.CLOSED
    assert list(Round.objects.order_by("number").values_list("number", flat=True)) == [1, 2]


# --- attempts and coins --------------------------------------------------------------------


def test_free_attempts_then_paid_ones_through_the_ledger(settings):
    settings.TRIVIA_FREE_ATTEMPTS = 3
    settings.TRIVIA_ATTEMPT_COST = 2
    start_round("Paris")
    gamer = make_gamer("guesser")
    results = [services.attempt_submit(user=gamer, message=f"guess {i}") for i in range(5)]
    assert [r.cost for r in results] == [0, 0, 0, 2, 2]
    assert [r.free_attempts_left for r in results] == [2, 1, 0, 0, 0]
    assert [r.coin_diffs for r in results] == [[], [], [], [-2], [-2]]
    gamer.refresh_from_db()
    assert gamer.coins == 96 == ledger_sum(gamer)
    assert CoinTransaction.objects.filter(gamer=gamer, reason="attempt").count() == 2
    assert Attempt.objects.filter(gamer=gamer).count() == 5


def test_free_attempts_are_counted_per_round(settings):
    settings.TRIVIA_FREE_ATTEMPTS = 1
    settings.TRIVIA_ROUND_END_SECONDS = 0
    gamer = make_gamer("guesser")
    round_ = start_round("Paris")
    assert services.attempt_submit(user=gamer, message="x").cost == 0
    assert services.attempt_submit(user=gamer, message="y").cost == 1
    ended = end_round(round_)
    assert services.tick(now=ended.next_round_at) == "started"
    assert services.attempt_submit(user=gamer, message="x").cost == 0


def test_insufficient_funds_drops_the_attempt(settings):
    settings.TRIVIA_FREE_ATTEMPTS = 0
    start_round("Paris")
    gamer = make_gamer("broke")
    coins_apply(gamer_id=gamer.pk, amount=-100, reason=CoinTransaction.Reason.ADJUSTMENT)
    with pytest.raises(InsufficientFunds):
        services.attempt_submit(user=gamer, message="Paris")
    gamer.refresh_from_db()
    assert gamer.coins == 0 == ledger_sum(gamer)
    assert not Attempt.objects.exists()
    assert Round.objects.get().state == Round.State.PLAYING  # even a correct attempt is dropped


def test_first_correct_attempt_wins_the_current_value_and_ends_the_round():
    round_ = start_round("Buenos Aires", value=60)
    round_ = services.round_advance(round_.pk, now=round_.split_ends_at)
    value = round_.current_value
    assert value == rules.value_after(60, 11, 1)
    winner, loser = make_gamer("quick one"), make_gamer("slow one")
    result = services.attempt_submit(user=winner, message="  buenos   AIRES ")
    assert result.correct and result.prize == value and result.coin_diffs == [value]
    round_.refresh_from_db()
    assert round_.state == Round.State.ENDED and round_.winner_id == winner.pk and round_.prize == value
    assert round_.end_reason == Round.EndReason.WON
    winner.refresh_from_db()
    assert winner.coins == 100 + value == ledger_sum(winner)
    with pytest.raises(NoRound):
        services.attempt_submit(user=loser, message="Buenos Aires")
    loser.refresh_from_db()
    assert loser.coins == 100
    assert CoinTransaction.objects.filter(reason="prize").count() == 1


def test_attempt_without_a_round_or_with_bad_input_is_refused():
    gamer = make_gamer("early bird")
    with pytest.raises(NoRound):
        services.attempt_submit(user=gamer, message="hello")
    start_round()
    for bad in [None, 42, "", "   ", "x" * 201, ["a"]]:
        with pytest.raises(Conflict.__mro__[1]):  # ServiceError
            services.attempt_submit(user=gamer, message=bad)
    assert services.attempt_submit(user=gamer, message="x" * 200).correct is False


def test_the_database_refuses_a_second_prize_in_one_round():
    from django.db import IntegrityError

    round_ = start_round("Paris")
    winner = make_gamer("winner one")
    services.attempt_submit(user=winner, message="Paris")
    with pytest.raises(IntegrityError):
        Attempt.objects.create(round=round_, gamer=winner, username="x", message="Paris", correct=True, prize=5)


def test_trivia_wins_stat_on_the_public_profile(gamer_client, gamer):
    round_ = start_round("Paris")
    services.attempt_submit(user=gamer, message="paris")
    assert round_.pk
    body = gamer_client.get(f"/api/v1/gamers/{gamer.pk}").json()
    assert body["stats"]["trivia_wins"] == 1


# --- reports and moderation ----------------------------------------------------------------


def test_entry_report_collects_reporters_once_each():
    round_ = start_round("Paris")
    one, two = make_gamer("reporter one"), make_gamer("reporter two")
    report = services.entry_report(user=one)
    assert report.entry_id == round_.entry_id
    with pytest.raises(Conflict) as exc:
        services.entry_report(user=one)
    assert exc.value.code == "already_reported"
    services.entry_report(user=two)
    assert EntryReport.objects.get().votes.count() == 2


def test_entry_report_without_a_round_or_entry():
    gamer = make_gamer("reporter one")
    with pytest.raises(NoRound):
        services.entry_report(user=gamer)
    round_ = start_round("Paris")
    Entry.objects.filter(pk=round_.entry_id).delete()
    with pytest.raises(Conflict) as exc:
        services.entry_report(user=gamer)
    assert exc.value.code == "entry_gone"
    round_.refresh_from_db()
    assert round_.answer == "Paris" and round_.state == Round.State.PLAYING  # the round plays on


def test_ban_unban_dismiss_are_audited_and_ban_takes_the_entry_out_of_play(moderator):
    round_ = start_round("Paris")
    gamer = make_gamer("reporter one")
    report = services.entry_report(user=gamer)
    assert "banned" in services.report_ban(actor=moderator, report_id=report.pk, reason="wrong answer")
    assert Entry.objects.get(pk=round_.entry_id).banned
    services.report_ban(actor=moderator, report_id=report.pk)  # already banned: no second audit row
    services.report_unban(actor=moderator, report_id=report.pk)
    assert not Entry.objects.get(pk=round_.entry_id).banned
    services.report_dismiss(actor=moderator, report_id=report.pk)
    assert not EntryReport.objects.exists()
    log = list(AuditLog.objects.order_by("id").values_list("action", "target_type", "target_id", "actor_id"))
    entry_id = str(round_.entry_id)
    assert log == [
        ("ban", "trivia_entry", entry_id, moderator.pk),
        ("unban", "trivia_entry", entry_id, moderator.pk),
        ("dismiss", "trivia_entry", entry_id, moderator.pk),
    ]
    with pytest.raises(NotFound):
        services.report_ban(actor=moderator, report_id=report.pk)
    services.entry_report(user=gamer)  # reportable again once dismissed


def test_disconnect_everyone_counts_present_clients_and_is_audited(admin, async_to_sync_claim):
    async_to_sync_claim(11, "a")
    async_to_sync_claim(12, "b")
    assert services.disconnect_everyone(actor=admin) == 2
    assert AuditLog.objects.get().action == "disconnect_everyone"


@pytest.fixture
def async_to_sync_claim():
    from asgiref.sync import async_to_sync

    return lambda user_id, channel: async_to_sync(presence.claim)(user_id, channel)


# --- the bank ------------------------------------------------------------------------------


def test_entry_create_and_update_validate(moderator):
    from django.core.exceptions import ValidationError

    entry = services.entry_create(category=" Capitals ", clue="Capital of  Tunisia", answer="Tunis", value=10)
    assert (entry.category, entry.clue) == ("Capitals", "Capital of Tunisia")
    with pytest.raises(ValidationError) as exc:
        services.entry_create(category="X", clue="Y", answer="?!", value=15)
    assert set(exc.value.message_dict) == {"answer", "value"}
    updated = services.entry_update(actor=moderator, entry_id=entry.pk, value=30, banned=True)
    assert updated.value == 30 and updated.banned
    assert AuditLog.objects.get().action == "ban"


def test_gamer_balances_always_equal_their_ledger_after_a_game(settings):
    settings.TRIVIA_FREE_ATTEMPTS = 1
    start_round("Paris")
    gamers = [make_gamer(f"player {i:02d}") for i in range(4)]
    for i in range(12):
        try:
            services.attempt_submit(user=gamers[i % 4], message="Paris" if i == 10 else f"nope {i}")
        except NoRound:
            pass
    for gamer in Gamer.objects.all():
        assert gamer.coins == ledger_sum(gamer)
