"""OpenAPI helpers: the error body of SPEC §1 and its documentation on every operation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(help_text="A human sentence."),
        "code": serializers.CharField(help_text="A stable machine code, e.g. `session_full`."),
    },
)


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


ERRORS_AUTH = {401: error("Missing, invalid or expired token."), 403: error("Your role does not allow this.")}

_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_VALIDATION_REF = {"$ref": "#/components/schemas/ValidationError"}
_BODY_METHODS = {"post", "put", "patch"}
# A 400 is either DRF's field dict or a `{detail, code}` error. `anyOf`, not `oneOf`: the field
# dict admits any object, so an error body matches both and `oneOf` would refuse it.
_BAD_REQUEST = {"anyOf": [_ERROR_REF, _VALIDATION_REF]}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: document the errors every operation can produce (SPEC §1)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "required": ["detail", "code"],
            "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
            "additionalProperties": True,
        },
    )
    schemas["ValidationError"] = {
        "type": "object",
        "description": "DRF validation errors: field name -> list of messages.",
        "additionalProperties": True,
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            secured = operation.get("security") != [{}] and operation.get("security") is not None
            defaults: dict[str, dict[str, Any]] = {
                "400": _json(_BAD_REQUEST, "Invalid input or malformed body."),
                "401": _json(_ERROR_REF, "Missing, invalid or expired token."),
                "405": _json(_ERROR_REF, "Method not allowed."),
                "429": _json(_ERROR_REF, "Throttled; see Retry-After."),
                "503": _json(
                    _ERROR_REF,
                    "A dependency (database) is unavailable, or every password-hashing slot is busy (`busy`); see Retry-After.",
                ),
            }
            if secured:
                defaults["403"] = _json(_ERROR_REF, "Not allowed for your role.")
            if "{" in path or method == "get":
                defaults["404"] = _json(_ERROR_REF, "Not found (or a page past the end).")
            if method in _BODY_METHODS:
                defaults["413"] = _json(_ERROR_REF, "Request body too large.")
                defaults["415"] = _json(_ERROR_REF, "Unsupported media type.")
            for status_code, body in defaults.items():
                responses.setdefault(status_code, body)
            _widen_bad_request(responses["400"])
    return result


def _widen_bad_request(response: dict[str, Any]) -> None:
    """A 400 documented by a view as a plain error (`error(...)`) or by its description alone can
    be either shape: the view's serializers raise field dicts, its services `{detail, code}`."""
    media = response.setdefault("content", {}).setdefault("application/json", {})
    if media.get("schema", _ERROR_REF) == _ERROR_REF:
        media["schema"] = _BAD_REQUEST
