"""JSON answers for errors raised outside DRF views (unknown URLs, crashes in plain views)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

# Paths whose clients read JSON; a browser anywhere else gets the 404 page (SPEC §9: JSON-free).
_MACHINE_PREFIXES = ("/api/", "/ws/", "/healthz", "/media/", "/static/")


def _wants_page(request: HttpRequest) -> bool:
    return not request.path.startswith(_MACHINE_PREFIXES) and "text/html" in request.headers.get("Accept", "")


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if _wants_page(request):
        return render(request, "pages/404.html", {"title": "Page not found"}, status=404)
    return JsonResponse({"detail": "Nothing lives at this address.", "code": "not_found"}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"detail": "Something went wrong on our side; it has been logged.", "code": "server_error"}, status=500
    )


def bad_request(request: HttpRequest, exception: Any = None) -> JsonResponse:
    return JsonResponse({"detail": "The request could not be understood.", "code": "bad_request"}, status=400)


def permission_denied(request: HttpRequest, exception: Any = None) -> JsonResponse:
    return JsonResponse({"detail": "You are not allowed to do this.", "code": "permission_denied"}, status=403)
