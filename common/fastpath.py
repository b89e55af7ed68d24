"""An async path for a few hot DRF endpoints, with the contract of the DRF view unchanged.

Under ASGI a DRF view is sync: Django runs it in a worker thread, and authentication,
throttling and the work each block that thread in turn. `fast_view(ViewClass)` is the URL
callback instead: it answers the ordinary successful request of the view on the event loop
(the view's `async def fast_<method>(self, request: FastRequest)` twin, next to the DRF method
in the same class), and hands everything else to the DRF view itself, unchanged, in a thread:

* another method, a body that is not plain JSON, an `Accept` other than JSON, `?format=`;
* no or a bad token, an unknown or inactive user (the DRF view answers 401 as before);
* invalid input: the fast method raises `Fallback` before anything is recorded, so the DRF
  view gives the exact same 400/404 (and counts the request against the throttle once).

Past the throttles, the fast path owns the answer: a throttled request gets DRF's 429, and an
error raised later (Redis or the database down, a page past the end) goes through the project's
exception handler like any DRF error. Requests that reach Django through WSGI (the test client)
always take the DRF view. drf-spectacular and the permission matrix see the DRF view class
(`callback.cls`), so the schema and the matrix describe the same endpoint.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from common.batching import GroupRunner
from common.exceptions import exception_handler
from common.throttling import _RedisWindowMixin, athrottles_check, throttles_check_many
from gamers.authentication import JWTAuthentication, users_authenticate

_JSON_ACCEPTS = frozenset({"", "*/*", "application/json"})
_JSON_TYPES = frozenset({"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"})
_users = GroupRunner(users_authenticate)
# Requests answered on the loop / handed to the DRF view after trying (tests, benchmark).
stats: Counter[str] = Counter()


# What a fast method returns once the input is checked: the work to do after the throttles.
Prepared = Callable[[], Awaitable[tuple[Any, int]]]


class Fallback(Exception):
    """The fast path can't answer this exactly like the DRF view: let the view do it."""


class FastRequest:
    """What a fast method gets: the Django request, its query, the user, the JSON body."""

    def __init__(self, request: HttpRequest, view: APIView) -> None:
        self.django = request
        self.view = view
        self.user: Any = AnonymousUser()

    @property
    def query_params(self) -> Any:
        return self.django.GET

    def drf(self) -> Request:
        """A DRF Request around it (for paginators); never parses the body."""
        drf_request = Request(self.django)
        drf_request._user = self.user  # type: ignore[attr-defined]
        drf_request._auth = None  # type: ignore[attr-defined]
        return drf_request

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.django.body.decode("utf-8"), parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError):
            raise Fallback() from None
        if not isinstance(data, dict):
            raise Fallback()
        return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity: DRF's parser refuses them (STRICT_JSON)


@functools.cache
def _jwt_authentication() -> JWTAuthentication:
    return JWTAuthentication()  # keeps nothing per request (made once the apps are loaded)


def _token_user_id(request: HttpRequest) -> int:
    """The user id of a valid Bearer access token, as JWTAuthentication reads it, or Fallback."""
    auth = _jwt_authentication()
    header = auth.get_header(request)  # type: ignore[arg-type]
    if header is None:
        raise Fallback("no token")
    if jwt_settings.USER_ID_FIELD != "id" or jwt_settings.CHECK_REVOKE_TOKEN:
        raise Fallback("settings")
    raw = auth.get_raw_token(header)
    if raw is None:
        raise Fallback("no bearer token")
    user_id = _validated_claim(auth, raw)
    # simplejwt writes the id as a string; the DRF view's `get(id=...)` accepts either.
    if isinstance(user_id, str) and user_id.isascii() and user_id.isdigit() and len(user_id) < 19:
        user_id = int(user_id)
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise Fallback("odd user id")
    return user_id


def _usable(user: Any) -> bool:
    """JWTAuthentication's checks on the user it found."""
    return user is not None and (not jwt_settings.CHECK_USER_IS_ACTIVE or user.is_active)


async def _authenticate(request: HttpRequest) -> Any:
    """The user of a valid Bearer token, as JWTAuthentication finds it, or Fallback."""
    user_id = _token_user_id(request)
    try:
        user = await _users.submit(user_id)
    except Exception as exc:  # noqa: BLE001
        raise Fallback(f"user lookup failed: {exc!r}") from None  # e.g. the database is down: the DRF view says so
    if not _usable(user):
        raise Fallback("no such user or inactive")
    return user


# Raw token -> (its user id claim, the time.time() until which it stays valid). Checking a token
# (signature, claims, expiry) is the same work for every request a client makes with it; its
# only answer that can change is the expiry, which a hit checks again. Failures aren't kept.
_valid_tokens: dict[bytes, tuple[Any, float]] = {}
_VALID_TOKENS_MAX = 10_000


def _validated_claim(auth: JWTAuthentication, raw: bytes) -> Any:
    """The user id claim of a valid access token (as get_validated_token checks it), or Fallback."""
    hit = _valid_tokens.get(raw)
    if hit is not None and time.time() < hit[1]:
        return hit[0]
    try:
        token = auth.get_validated_token(raw)
        user_id = token[jwt_settings.USER_ID_CLAIM]
        # Valid while exp > now - leeway (PyJWT's and simplejwt's own expiry checks).
        valid_until = float(token["exp"]) + token.get_token_backend().get_leeway().total_seconds()
    except (AuthenticationFailed, TokenError, exceptions.APIException, KeyError, TypeError, ValueError):
        _valid_tokens.pop(raw, None)
        raise Fallback("bad token") from None
    if len(_valid_tokens) >= _VALID_TOKENS_MAX:
        _valid_tokens.clear()
    _valid_tokens[raw] = (user_id, valid_until)
    return user_id


def _eligible(request: HttpRequest, method: str) -> bool:
    if request.method != method or not isinstance(request, ASGIRequest):
        return False
    if request.META.get("QUERY_STRING") and api_settings.URL_FORMAT_OVERRIDE in request.GET:
        return False
    if request.META.get("HTTP_ACCEPT", "").strip() not in _JSON_ACCEPTS:
        return False
    if method in ("POST", "PUT", "PATCH"):
        return request.META.get("CONTENT_TYPE", "").strip().lower() in _JSON_TYPES
    return True


_renderer = JSONRenderer()


def _view_headers(view: APIView) -> dict[str, str]:
    """DRF's default_response_headers (Allow, Vary) of a set-up view: the same for its class."""
    headers = _VIEW_HEADERS.get(type(view))
    if headers is None:
        headers = _VIEW_HEADERS[type(view)] = dict(view.default_response_headers)
    return headers


_VIEW_HEADERS: dict[type[APIView], dict[str, str]] = {}


def _render(view: APIView, data: Any, status: int, headers: dict[str, str] | None = None) -> HttpResponse:
    """What DRF's finalize_response + JSONRenderer produce for `data` (headers included)."""
    # No accepted media type: its only parameter JSONRenderer reads is `indent`, and _eligible
    # lets only a plain JSON Accept through.
    response = HttpResponse(_renderer.render(data, None, {}), status=status, content_type=_renderer.media_type)
    for name, value in {**_view_headers(view), **(headers or {})}.items():
        if name.lower() != "content-type":
            response[name] = value
    return response


def _error(view: APIView, request: FastRequest, exc: Exception) -> HttpResponse:
    drf_response: Response | None = exception_handler(exc, {"view": view, "request": request.django})
    if drf_response is None:
        raise exc
    return _render(view, drf_response.data, drf_response.status_code, dict(drf_response.headers.items()))


def _throttled(waits: list[float | None]) -> exceptions.Throttled:
    """DRF's refusal for the waits of the throttles that refused (APIView.check_throttles)."""
    return exceptions.Throttled(max((w for w in waits if w is not None), default=None))


class Batched:
    """What a fast method returns to have its work done in a batch: `item`, for the view's
    `fast_batch(items: list[(user, item)]) -> list[(data, status) | Exception]` (sync).

    The requests that wait together then take one trip to a worker thread for everything left:
    their users are loaded (a missing or inactive one: the DRF view answers), their throttles
    checked in one Redis round trip, and the work of those let through done in one call. The
    order is DRF's (authentication, throttles, the work). A fast method that returns Batched
    runs before its user is loaded: it may check the input, not read `request.user`.
    """

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item


@dataclass
class _Admission:
    request: HttpRequest
    view: APIView
    user_id: int
    item: Any


_HAND_OVER = object()  # a batched request the DRF view must answer (nothing recorded for it)


class FastRoute:
    """The fast twins of one DRF view class; `answer` is what both entry points call."""

    def __init__(self, view_class: type[APIView], *, read_only: bool = False) -> None:
        self.view_class = view_class
        self.read_only = read_only
        self.drf_view = view_class.as_view()
        self.methods = {
            m.upper(): f"fast_{m}" for m in view_class.http_method_names if hasattr(view_class, f"fast_{m}")
        }
        permissions = list(view_class.permission_classes)
        self.needs_user = permissions == [IsAuthenticated]
        self.supported = (
            (self.needs_user or permissions == [AllowAny])
            and all(issubclass(t, _RedisWindowMixin) for t in view_class.throttle_classes)
            and (not self.needs_user or list(view_class.authentication_classes) == [JWTAuthentication])
        )
        # Batched fast methods (see Batched): authenticated views only.
        self.batch: GroupRunner[_Admission, Any] | None = None
        if hasattr(view_class, "fast_batch"):
            self.supported = self.supported and self.needs_user
            self.batch = GroupRunner(self._run_batch)

    async def answer(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse | None:
        """The DRF view's answer, made on the loop; None when the DRF view itself must answer
        (nothing has been recorded then)."""
        handler_name = self.methods.get(request.method or "")
        if not self.supported or handler_name is None or not _eligible(request, request.method or ""):
            return None
        instance = self.view_class(**getattr(self.drf_view, "initkwargs", {}))
        instance.setup(request, *args, **kwargs)
        fast = FastRequest(request, instance)
        user_id: int | None = None
        try:
            if self.batch is not None:
                user_id = _token_user_id(request)  # the user itself is loaded with the batch
            elif self.needs_user:
                fast.user = await _authenticate(request)
            request.user = fast.user  # as DRF's Request does
            prepared = await getattr(instance, handler_name)(fast, *args, **kwargs)
        except Fallback as exc:
            stats[f"fallback {exc}".strip()] += 1
            return None
        if isinstance(prepared, Batched):
            assert user_id is not None, f"{self.view_class.__name__} returns Batched without a fast_batch"
            return await self._answer_batched(_Admission(request, instance, user_id, prepared.item), fast)
        stats["fast"] += 1
        # Recorded from here on: the fast path answers, whatever happens. A read has no side
        # effect, so it runs beside the throttle check (one round trip of wall time, not two)
        # and its result is dropped if the request is refused.
        work = asyncio.ensure_future(prepared()) if self.read_only else None
        try:
            waits = await athrottles_check(instance.get_throttles(), request, instance)
            if waits is not None:
                raise _throttled(waits)
            data, status = await (work if work is not None else prepared())
        except Exception as exc:  # noqa: BLE001 - rendered like DRF renders any error
            if work is not None and not work.done():
                work.cancel()
            elif work is not None and not work.cancelled():
                work.exception()  # retrieved: a refused read's own error is not reported
            return _error(instance, fast, exc)
        return _render(instance, data, status)

    async def _answer_batched(self, admission: _Admission, fast: FastRequest) -> HttpResponse | None:
        assert self.batch is not None
        try:
            outcome = await self.batch.submit(admission)
        except Exception as exc:  # noqa: BLE001 - the throttle's 429, or the work failed
            stats["fast"] += 1
            return _error(admission.view, fast, exc)
        if outcome is _HAND_OVER:
            stats["fallback batched: no such user, inactive, or lookup failed"] += 1
            return None
        stats["fast"] += 1
        data, status = outcome
        return _render(admission.view, data, status)

    def _run_batch(self, admissions: list[_Admission]) -> list[Any]:
        """In a worker thread: users, throttles, then the view's fast_batch (see Batched)."""
        try:
            users = users_authenticate([a.user_id for a in admissions])
        except Exception:  # noqa: BLE001 - e.g. the database is down: the DRF view says so
            return [_HAND_OVER] * len(admissions)
        out: list[Any] = [_HAND_OVER] * len(admissions)
        admitted = [i for i, user in enumerate(users) if _usable(user)]
        for i in admitted:
            admissions[i].request.user = users[i]
        waits = throttles_check_many(
            [(a.view.get_throttles(), a.request, a.view) for a in map(admissions.__getitem__, admitted)]
        )
        let_through = []
        for i, refused in zip(admitted, waits, strict=True):
            if refused is None:
                let_through.append(i)
            else:
                out[i] = _throttled(refused)
        work = [(users[i], admissions[i].item) for i in let_through]
        for i, result in zip(let_through, self.view_class.fast_batch(work), strict=True):  # type: ignore[attr-defined]
            out[i] = result
        return out


def fast_view(
    view_class: type[APIView], *, read_only: bool = False, edge: bool = False
) -> Callable[..., Awaitable[HttpResponse]]:
    """The URL callback of `view_class`: its `fast_<method>` twins on the loop, else the view.

    `read_only`: the fast methods' work changes nothing, so it may start before the throttles
    have answered. `edge`: common.edge may also answer this URL before Django's handler (only
    for a URL without parameters).
    """
    route = FastRoute(view_class, read_only=read_only)
    drf_in_thread = sync_to_async(route.drf_view, thread_sensitive=True)

    async def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = await route.answer(request, *args, **kwargs)
        return response if response is not None else await drf_in_thread(request, *args, **kwargs)

    drf_view = route.drf_view
    view.__name__ = view.__qualname__ = getattr(drf_view, "__name__", view_class.__name__)
    view.__doc__ = view_class.__doc__
    view.cls = view_class  # type: ignore[attr-defined]
    view.initkwargs = getattr(drf_view, "initkwargs", {})  # type: ignore[attr-defined]
    view.view_class = view_class  # type: ignore[attr-defined]
    view.csrf_exempt = True  # type: ignore[attr-defined]
    view.fast_route = route  # type: ignore[attr-defined]
    if edge:
        EDGE_VIEWS.append(view)
    return view


# URL callbacks common.edge may answer ahead of Django's handler (fast_view(..., edge=True)).
EDGE_VIEWS: list[Callable[..., Awaitable[HttpResponse]]] = []
