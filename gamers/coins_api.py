"""Coin history API (SPEC §9 "coin history"): the caller's ledger, newest first."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from common.schema import error
from gamers import serializers as s
from gamers.models import CoinTransaction
from gamers.selectors import coin_history


class MyCoinsApi(ListAPIView):
    """GET /me/coins: my coin ledger rows (amount, reason, balance after), newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.CoinTransactionSerializer
    filter_backends: list = []

    @extend_schema(
        responses={200: s.CoinTransactionSerializer(many=True), 401: error("Missing, invalid or expired token.")},
        description="Every change of my coin balance, newest first: the starting coins, trivia attempts "
        "(negative) and prizes, adjustments. `balance_after` is the balance once the row was applied; "
        "the sum of all `amount`s is the current `coins` of GET /auth/me.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[CoinTransaction]:
        return coin_history(user=self.request.user)  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer
