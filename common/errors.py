"""Domain errors raised by services and turned into `{"detail", "code"}` responses.

Services raise these instead of DRF exceptions so the same service can serve the REST API,
WebSocket consumers, admin actions and bot commands; each interface renders them its own way.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class ServiceError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(
        self,
        detail: str | Promise,
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
        field: str | None = None,
    ) -> None:
        detail = str(detail)  # a lazy translation, in the language active where it is raised
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra or {}
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        """`{"detail", "code"}`; for an error about one input field, SPEC §1's validation shape
        `{"<field>": ["message"]}` with the machine code beside it."""
        if self.field:
            return {self.field: [self.detail], "code": self.code, **self.extra}
        return {"detail": self.detail, "code": self.code, **self.extra}


class InvalidInput(ServiceError):
    status_code = 400
    default_code = "invalid"


class PermissionDenied(ServiceError):
    status_code = 403
    default_code = "permission_denied"


class NotFound(ServiceError):
    status_code = 404
    default_code = "not_found"


class Conflict(ServiceError):
    status_code = 409
    default_code = "conflict"


class Unavailable(ServiceError):
    status_code = 503
    default_code = "service_unavailable"
