"""Sign in with a username or an email, case-insensitively."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from gamers.models import Gamer
from gamers.rules import normalize_email, username_key


def gamer_for_login(login: str) -> Gamer | None:
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        return Gamer.objects.filter(email=normalize_email(login)).first()
    return Gamer.objects.filter(username_key=username_key(login)).first()


class LoginBackend(BaseBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Gamer | None:
        login = username if username is not None else kwargs.get("login")
        if not login or not password:
            return None
        user = gamer_for_login(login)
        if user is None:
            Gamer().set_password(password)  # same work either way, against user enumeration by timing
            return None
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id: int) -> Gamer | None:
        return Gamer.objects.filter(pk=user_id, is_active=True).first()

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return bool(getattr(user_obj, "has_perm", None) and user_obj.has_perm(perm, obj))
