"""DRF permission classes built on the role table in `common.roles`."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from common.roles import Cap, can


def require(cap: Cap) -> type[BasePermission]:
    """A permission class that lets through users holding `cap` (401 if anonymous, else 403)."""

    class _Require(BasePermission):
        message = f"Your role does not allow this ({cap.value})."
        code = "forbidden_role"

        def has_permission(self, request: Any, view: Any) -> bool:
            return can(request.user, cap)

    _Require.__name__ = f"Require_{cap.name}"
    return _Require
