"""GET /me/coins: the caller's coin history (SPEC §9 "coin history")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from gamers.models import CoinTransaction
from gamers.services import coins_apply

URL = "/api/v1/me/coins"
pytestmark = pytest.mark.django_db


def test_history_lists_my_rows_newest_first_with_reason_words_and_balances(gamer_client, gamer, other_gamer):
    coins_apply(gamer_id=gamer.pk, amount=-3, reason=CoinTransaction.Reason.ATTEMPT, ref="trivia.round:7")
    coins_apply(gamer_id=gamer.pk, amount=25, reason=CoinTransaction.Reason.PRIZE, ref="trivia.round:7")
    coins_apply(gamer_id=other_gamer.pk, amount=5, reason=CoinTransaction.Reason.ADJUSTMENT)
    start = gamer.coins  # the starting coins, from sign-up

    response = gamer_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["page"] == 1
    rows = body["results"]
    assert [(r["amount"], r["reason"], r["balance_after"]) for r in rows] == [
        (25, "prize", start - 3 + 25),
        (-3, "attempt", start - 3),
        (start, "signup", start),
    ]
    assert rows[0]["reason_label"] == "Trivia prize" and rows[2]["reason_label"] == "Starting coins"
    assert rows[0]["ref"] == "trivia.round:7" and rows[2]["ref"] is None
    assert set(rows[0]) == {"id", "amount", "reason", "reason_label", "ref", "balance_after", "created_at"}
    assert rows[0]["created_at"].endswith("Z")


def test_equal_times_are_ordered_by_id_newest_first(gamer_client, gamer):
    coins_apply(gamer_id=gamer.pk, amount=1, reason=CoinTransaction.Reason.ADJUSTMENT)
    CoinTransaction.objects.filter(gamer=gamer).update(created_at=timezone.now())
    ids = [row["id"] for row in gamer_client.get(URL).json()["results"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2


def test_an_older_row_comes_after_a_newer_one_whatever_its_id(gamer_client, gamer):
    coins_apply(gamer_id=gamer.pk, amount=2, reason=CoinTransaction.Reason.ADJUSTMENT)
    newest = CoinTransaction.objects.filter(gamer=gamer, reason=CoinTransaction.Reason.SIGNUP)
    newest.update(created_at=timezone.now() + timedelta(minutes=1))
    assert [r["reason"] for r in gamer_client.get(URL).json()["results"]] == ["signup", "adjustment"]


def test_history_is_paginated_and_a_page_past_the_end_is_404(gamer_client, gamer):
    for _ in range(4):
        coins_apply(gamer_id=gamer.pk, amount=1, reason=CoinTransaction.Reason.ADJUSTMENT)
    body = gamer_client.get(URL, {"page_size": 2, "page": 2}).json()
    assert body["count"] == 5 and body["pages"] == 3 and len(body["results"]) == 2
    assert gamer_client.get(URL, {"page_size": 2, "page": 4}).status_code == 404


def test_query_count_does_not_grow_with_rows(gamer_client, gamer, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # account, its last_seen (once a minute), count, page
        assert gamer_client.get(URL).status_code == 200
    CoinTransaction.objects.bulk_create(
        CoinTransaction(gamer=gamer, amount=0, reason=CoinTransaction.Reason.ADJUSTMENT, balance_after=gamer.coins)
        for _ in range(60)
    )
    with django_assert_max_num_queries(4):
        response = gamer_client.get(URL, {"page_size": 50})
    assert response.status_code == 200 and len(response.json()["results"]) == 50


def test_anonymous_is_401():
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_path_answers_with_a_trailing_slash(gamer_client):
    assert gamer_client.get(URL + "/").status_code == 200
