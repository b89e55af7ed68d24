import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from common.transactions import assert_in_transaction, assert_no_transaction


@pytest.mark.django_db(transaction=True)
def test_assert_in_transaction_refuses_autocommit_and_names_the_service():
    with pytest.raises(RuntimeError, match="coins_apply_many must run inside the caller's transaction"):
        assert_in_transaction("coins_apply_many")


@pytest.mark.django_db(transaction=True)
def test_assert_in_transaction_passes_inside_atomic():
    with transaction.atomic():
        assert_in_transaction("coins_apply_many")
        with transaction.atomic():  # a savepoint is still the caller's transaction
            assert_in_transaction("coins_apply_many")


@pytest.mark.django_db(transaction=True)
def test_assert_no_transaction_passes_in_autocommit_and_leaves_it_on():
    assert_no_transaction("score_submit")
    assert connection.get_autocommit()
    assert not connection.in_atomic_block


@pytest.mark.django_db(transaction=True)
def test_assert_no_transaction_refuses_inside_atomic_and_names_the_service():
    with transaction.atomic():
        with pytest.raises(RuntimeError, match="score_submit must run outside any transaction"):
            assert_no_transaction("score_submit")
        # The refusal changed nothing: the caller's transaction is still usable.
        assert connection.in_atomic_block
        assert not connection.needs_rollback


@pytest.mark.django_db
def test_assert_no_transaction_accepts_the_test_cases_own_transaction_but_not_a_nested_one():
    assert_no_transaction("score_submit")
    with transaction.atomic(), pytest.raises(RuntimeError, match="outside any transaction"):
        assert_no_transaction("score_submit")


@pytest.mark.django_db
def test_assert_no_transaction_costs_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert_no_transaction("score_submit")
    assert queries.captured_queries == []


# The services whose contract is "outside any transaction" refuse an outer one, before any write.


@pytest.mark.django_db
def test_score_submission_refuses_to_run_inside_a_transaction(gamer):
    from leaderboard.models import Score
    from leaderboard.services import score_check, score_submit, scores_record
    from leaderboard.tests.factories import ensure_games

    ensure_games()
    # Refused before it joins the process's group commit (whose leader could be another thread).
    with transaction.atomic(), pytest.raises(RuntimeError, match="score_submit must run outside"):
        score_submit(user=gamer, game="cod", score=100)
    with transaction.atomic(), pytest.raises(RuntimeError, match="scores_record must run outside"):
        scores_record([score_check(user=gamer, game="cod", score=100)])
    assert not Score.objects.exists()
    assert score_submit(user=gamer, game="cod", score=100).score == 100  # the test's own transaction is fine


@pytest.mark.django_db
def test_attempts_refuse_to_run_inside_a_transaction(gamer):
    from trivia.models import Attempt
    from trivia.services import attempt_submit
    from trivia.tests.factories import start_round

    start_round("Paris")
    with transaction.atomic(), pytest.raises(RuntimeError, match="attempts_submit must run outside"):
        attempt_submit(user=gamer, message="paris")
    assert not Attempt.objects.exists()
    assert attempt_submit(user=gamer, message="paris").correct


@pytest.mark.django_db
def test_registration_refuses_to_run_inside_a_transaction():
    from gamers.models import Gamer
    from gamers.services import gamer_register

    with transaction.atomic(), pytest.raises(RuntimeError, match="gamer_register must run outside"):
        gamer_register(username="inside", email="inside@example.com", password="S3cure-pass!")
    assert not Gamer.objects.filter(username="inside").exists()
    gamer_register(username="inside", email="inside@example.com", password="S3cure-pass!")
