"""DRF exception handler: every error is JSON, never an HTML page or a bare 500 (SPEC §1).

* validation errors keep DRF's `{"field": ["message", ...]}` shape;
* every other error becomes `{"detail": "human sentence", "code": "machine_code"}`;
* a database that cannot be reached is a 503 `database_unavailable`, not a crash;
* so is Redis (presence, pub/sub, boards) when a view has no fallback: 503 `redis_unavailable`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import ServiceError
from common.hashers import HashingBusy

logger = logging.getLogger("gameconnect.errors")


def error_body(detail: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, **extra}


def _first_code(codes: Any) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, list | tuple) and codes:
        return _first_code(codes[0])
    if isinstance(codes, dict) and codes:
        return _first_code(next(iter(codes.values())))
    return "error"


def redis_unavailable_response(exc: Exception) -> Response | None:
    """A 503 for a Redis that can't be reached (connection refused or reset, timed out), instead
    of a 500 with a traceback: e.g. trivia's current round and leaderboard count the players
    present in Redis. Other Redis errors (a bad command) stay 500s: they are bugs."""
    if not isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return None
    logger.warning("redis unavailable: %s", exc)
    return Response(
        error_body("A service this needs (Redis) is unavailable; try again shortly.", "redis_unavailable"),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, HashingBusy):
        return Response(exc.as_dict(), status=exc.status_code, headers={"Retry-After": str(exc.retry_after)})
    if (redis_down := redis_unavailable_response(exc)) is not None:
        return redis_down
    if isinstance(exc, ServiceError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("The request body is too large.", "request_too_large"), status=413)
    if isinstance(exc, DjangoValidationError):
        data = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc)
        return Response(
            error_body("The database is unavailable; try again shortly.", "database_unavailable"),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        if isinstance(exc, DatabaseError):
            logger.exception("database error")
        else:
            logger.exception("unhandled error in %s", context.get("view"))
        return Response(
            error_body("Something went wrong on our side; it has been logged.", "server_error"),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        return response

    data = response.data
    if isinstance(data, dict) and "detail" in data:
        # simplejwt's InvalidToken carries {"detail", "code", "messages"}; keep detail + code.
        detail = str(data["detail"])
        code = str(data.get("code") or _first_code(getattr(exc, "get_codes", lambda: "error")()))
    else:
        detail = str(data)
        code = _first_code(getattr(exc, "get_codes", lambda: "error")())
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.Throttled):
        wait = exc.wait  # type: ignore[attr-defined]  # DRF sets Throttled.wait; the stubs leave it out
        if wait is not None:
            extra["retry_after"] = int(wait) + 1
    response.data = error_body(detail, code, **extra)
    return response
