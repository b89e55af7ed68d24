"""Account writes. Each service owns its transaction; broadcasts happen on commit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from common.broadcast import broadcast_on_commit, user_group
from common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from common.roles import Role
from common.ws import CLOSE_DISCONNECTED_BY_ADMIN
from gamers.images import avatar_process
from gamers.models import CoinTransaction, Gamer
from gamers.rules import clean_username, normalize_email, username_key, username_problem
from moderation.services import audit_record


class InsufficientFunds(Conflict):
    default_code = "insufficient_funds"


def _raise_duplicate(*, key: str | None, email: str | None) -> None:
    if key is not None and Gamer.objects.filter(username_key=key).exists():
        raise Conflict("That username is taken.", code="username_taken")
    if email is not None and Gamer.objects.filter(email=email).exists():
        raise Conflict("An account already uses that email.", code="email_taken")


def gamer_create(*, username: str, email: str, password: str | None, role: str = Role.GAMER, **extra: Any) -> Gamer:
    """Create an account with its starting coins (one ledger row). 409 on a taken username/email.

    The database's unique indexes decide races; the pre-check only gives the common case a
    precise message.
    """
    username = clean_username(username)
    problem = username_problem(username)
    if problem:
        raise InvalidInput(problem, code="invalid_username")
    email = normalize_email(email)
    key = username_key(username)
    _raise_duplicate(key=key, email=email)
    with transaction.atomic():
        gamer = Gamer(username=username, email=email, role=role, **extra)
        if password:
            gamer.set_password(password)
        else:
            gamer.set_unusable_password()
        try:
            with transaction.atomic():
                gamer.save()
        except IntegrityError:
            _raise_duplicate(key=key, email=email)
            raise
        coins_apply(gamer_id=gamer.pk, amount=settings.STARTING_COINS, reason=CoinTransaction.Reason.SIGNUP)
    gamer.refresh_from_db(fields=["coins"])
    return gamer


def gamer_register(*, username: str, email: str, password: str) -> tuple[Gamer, dict[str, str]]:
    probe = Gamer(username=clean_username(username), email=normalize_email(email))
    try:
        validate_password(password, user=probe)
    except DjangoValidationError as exc:
        raise DjangoValidationError({"password": exc.messages}) from exc
    gamer = gamer_create(username=username, email=email, password=password)
    return gamer, token_pair_for(gamer)


def token_pair_for(gamer: Gamer) -> dict[str, str]:
    refresh = RefreshToken.for_user(gamer)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def token_blacklist(*, user: Gamer, refresh: str) -> None:
    """Log out: the refresh token stops working. It must belong to the caller."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidInput("That refresh token is invalid or expired.", code="token_not_valid") from exc
    if str(token.get(settings.SIMPLE_JWT["USER_ID_CLAIM"])) != str(user.pk):
        raise PermissionDenied("That refresh token belongs to another account.", code="not_your_token")
    token.blacklist()


def gamer_update(*, gamer: Gamer, bio: str | None = None, email: str | None = None, avatar: Any = None) -> Gamer:
    fields: list[str] = []
    if bio is not None:
        gamer.bio = bio
        fields.append("bio")
    if email is not None and normalize_email(email) != gamer.email:
        email = normalize_email(email)
        _raise_duplicate(key=None, email=email)
        gamer.email = email
        fields.append("email")
    old_avatar = None
    if avatar is not None:
        processed = avatar_process(avatar)
        old_avatar = gamer.avatar.name if gamer.avatar else None
        gamer.avatar.save(processed.name, processed, save=False)
        fields.append("avatar")
    if not fields:
        return gamer
    try:
        with transaction.atomic():
            gamer.save(update_fields=fields)
    except IntegrityError:
        _raise_duplicate(key=None, email=gamer.email)
        raise
    if old_avatar:
        storage = gamer.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return gamer


def _delete_account(gamer: Gamer) -> None:
    avatar = gamer.avatar.name if gamer.avatar else None
    storage = gamer.avatar.storage
    pk = gamer.pk  # delete() clears it; the sockets to close are this user's
    gamer.delete()
    if avatar:
        transaction.on_commit(lambda: storage.delete(avatar))
    broadcast_on_commit(user_group(pk), {"type": "user.disconnect", "code": CLOSE_DISCONNECTED_BY_ADMIN})


@transaction.atomic
def gamer_delete_self(*, gamer: Gamer) -> None:
    """DELETE /auth/me: the account and its personal data go (cascade). Admins can't."""
    if gamer.role == Role.ADMIN:
        raise PermissionDenied(
            "Admins can't delete their own account; ask another admin to demote you first.",
            code="admin_cannot_delete",
        )
    pk = gamer.pk
    _delete_account(gamer)
    gamer.pk = pk


def _target_for_admin_action(*, actor: Gamer, target_id: int, verb: str) -> Gamer:
    target = Gamer.objects.select_for_update().filter(pk=target_id).first()
    if target is None:
        raise NotFound("No gamer with that id.", code="not_found")
    if target.pk == actor.pk:
        raise PermissionDenied(f"You can't {verb} your own account.", code="cannot_target_self")
    if target.role == Role.ADMIN:
        raise PermissionDenied(f"You can't {verb} another admin.", code="cannot_target_admin")
    return target


@transaction.atomic
def gamer_delete(*, actor: Gamer, target_id: int, reason: str = "") -> None:
    """An admin deletes a gamer or moderator (never self or another admin); audited."""
    target = _target_for_admin_action(actor=actor, target_id=target_id, verb="delete")
    audit_record(actor=actor, action="delete_gamer", target_type="gamer", target_id=target.pk, reason=reason)
    _delete_account(target)


@transaction.atomic
def gamer_set_role(*, actor: Gamer, target_id: int, role: str, reason: str = "") -> Gamer:
    """Change a role (admins only, never their own or another admin's); audited; open sockets
    learn the new role at once through the user's channel group."""
    if role not in Role.values:
        raise InvalidInput(f"Role must be one of {', '.join(Role.values)}.", code="invalid_role")
    target = _target_for_admin_action(actor=actor, target_id=target_id, verb="change the role of")
    if target.role != role:
        target.role = role
        target.save(update_fields=["role"])
        audit_record(
            actor=actor, action="role_change", target_type="gamer", target_id=target.pk, reason=reason or f"-> {role}"
        )
        broadcast_on_commit(user_group(target.pk), {"type": "user.role_changed", "role": role})
    return target


def coins_apply(*, gamer_id: int, amount: int, reason: str, ref: str = "") -> int:
    """Add (or, negative, take) coins and write the ledger row in the same transaction.

    Race-safe without a prior read: the conditional UPDATE refuses to go below zero and locks
    the row until commit. Raises InsufficientFunds when a debit can't be paid. Returns the new
    balance.
    """
    with transaction.atomic():
        qs = Gamer.objects.filter(pk=gamer_id)
        if amount < 0:
            qs = qs.filter(coins__gte=-amount)
        if qs.update(coins=F("coins") + amount) != 1:
            if not Gamer.objects.filter(pk=gamer_id).exists():
                raise NotFound("No gamer with that id.")
            raise InsufficientFunds("Not enough coins.")
        balance = Gamer.objects.filter(pk=gamer_id).values_list("coins", flat=True).get()
        CoinTransaction.objects.create(gamer_id=gamer_id, amount=amount, reason=reason, ref=ref, balance_after=balance)
    return balance
