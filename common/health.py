"""GET /healthz: tells the truth about the database and Redis (SPEC §1)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse

from common.redis import redis_status


def healthz(request: HttpRequest) -> JsonResponse:
    body: dict[str, str] = {"status": "ok"}
    failing = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        body["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "down"
        body["database"] = "down"
        failing.append("database")
    try:
        body["redis"] = redis_status()
    except Exception:  # noqa: BLE001
        body["redis"] = "down"
        failing.append("redis")
    if failing:
        body["status"] = "degraded"
        body["failing"] = ", ".join(failing)
        return JsonResponse(body, status=503)
    return JsonResponse(body)
