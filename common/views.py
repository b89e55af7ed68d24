"""JSON answers for errors raised outside DRF views (unknown URLs, crashes in plain views)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse


def not_found(request: HttpRequest, exception: Any = None) -> JsonResponse:
    return JsonResponse({"detail": "Nothing lives at this address.", "code": "not_found"}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"detail": "Something went wrong on our side; it has been logged.", "code": "server_error"}, status=500
    )


def bad_request(request: HttpRequest, exception: Any = None) -> JsonResponse:
    return JsonResponse({"detail": "The request could not be understood.", "code": "bad_request"}, status=400)


def permission_denied(request: HttpRequest, exception: Any = None) -> JsonResponse:
    return JsonResponse({"detail": "You are not allowed to do this.", "code": "permission_denied"}, status=403)
