"""Base views shared by the apps' APIs."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class PublicApiView(APIView):
    """An endpoint anyone may call, that ignores any Authorization header it is sent.

    Errors it raises as 401 (bad credentials, bad refresh token) stay 401: DRF would turn them
    into 403 for a view without authenticators, for lack of a WWW-Authenticate value.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'
