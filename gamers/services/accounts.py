"""Account writes. Each service owns its transaction; broadcasts happen on commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from audit.services import audit_record
from common.broadcast import broadcast_on_commit, user_group
from common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from common.roles import Role
from common.transactions import assert_no_transaction
from common.ws import CLOSE_DISCONNECTED_BY_ADMIN
from gamers.images import avatar_process
from gamers.models import CoinTransaction, DiscordLinkCode, Gamer, NotificationKind, SocialAccount
from gamers.rules import (
    LINK_CODE_ALPHABET,
    LINK_CODE_LENGTH,
    clean_username,
    link_code_normalize,
    normalize_email,
    username_from_profile,
    username_key,
    username_problem,
    username_skeleton,
    username_with_suffix,
)
from gamers.services.ledger import coins_apply
from gamers.services.verification import email_verification_send
from gamers.social import SocialProfile, email_unverified_conflict, profile_fetch, unverified_email_error


def _raise_duplicate(*, key: str | None, email: str | None, skeleton: str | None = None) -> None:
    """409 when the username (in any case, or a look-alike of it: same skeleton) or the email
    is taken."""
    if key is not None:
        taken = (Q(username_key=key) | Q(username_skeleton=skeleton)) if skeleton else Q(username_key=key)
        if Gamer.objects.filter(taken).exists():
            raise Conflict(gettext("That username is taken (or looks just like one that is)."), code="username_taken")
    if email is not None and Gamer.objects.filter(email=email).exists():
        raise Conflict(gettext("An account already uses that email."), code="email_taken")


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
    key, skeleton = username_key(username), username_skeleton(username)
    _raise_duplicate(key=key, skeleton=skeleton, email=email)
    gamer = Gamer(username=username, email=email, role=role, **extra)
    if password:
        gamer.set_password(password)  # the slow part (the hasher's rounds): before the transaction
    else:
        gamer.set_unusable_password()
    with transaction.atomic():
        try:
            with transaction.atomic():
                gamer.save()
        except IntegrityError:
            _raise_duplicate(key=key, skeleton=skeleton, email=email)
            raise
        coins_apply(gamer_id=gamer.pk, amount=settings.STARTING_COINS, reason=CoinTransaction.Reason.SIGNUP)
    gamer.refresh_from_db(fields=["coins"])
    return gamer


def gamer_register(*, username: str, email: str, password: str) -> tuple[Gamer, dict[str, str]]:
    """Sign up (POST /auth/register): validate the password, create the account, mail the
    link that verifies its email, issue tokens.

    Runs outside any transaction: it hashes the password before its own short transaction, and
    an outer one would hold its locks through the hashing.
    """
    assert_no_transaction("gamer_register")
    probe = Gamer(username=clean_username(username), email=normalize_email(email))
    try:
        validate_password(password, user=probe)
    except DjangoValidationError as exc:
        raise DjangoValidationError({"password": exc.messages}) from exc
    gamer = gamer_create(username=username, email=email, password=password)
    email_verification_send(gamer=gamer)
    return gamer, token_pair_for(gamer)


def token_pair_for(gamer: Gamer) -> dict[str, str]:
    refresh = RefreshToken.for_user(gamer)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def token_blacklist(*, user: Gamer, refresh: str) -> None:
    """Log out: the refresh token stops working. It must belong to the caller."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # simplejwt annotates `token` as Token; it takes the encoded JWT
    except TokenError as exc:
        raise InvalidInput(gettext("That refresh token is invalid or expired."), code="token_not_valid") from exc
    if str(token.get(settings.SIMPLE_JWT["USER_ID_CLAIM"])) != str(user.pk):
        raise PermissionDenied(gettext("That refresh token belongs to another account."), code="not_your_token")
    token.blacklist()


def refresh_tokens_revoke(*, user_id: int, keep_jti: str | None = None) -> int:
    """Blacklist every unexpired refresh token issued to the account (all but `keep_jti`'s):
    log out everywhere, password change/reset, an admin setting the password, deactivation.
    Returns how many were revoked. Access tokens live out their `ACCESS_TOKEN_MINUTES`, except
    a deactivated account's, which authentication refuses at once (simplejwt checks is_active)."""
    tokens = OutstandingToken.objects.filter(
        user_id=user_id, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    if keep_jti:
        tokens = tokens.exclude(jti=keep_jti)
    rows = [BlacklistedToken(token_id=pk) for pk in tokens.values_list("pk", flat=True)]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def gamer_sockets_close_on_commit(user_id: int) -> None:
    """Close every open socket of the account, on every web process, once the transaction
    commits (the user's channel group reaches each process's consumers)."""
    broadcast_on_commit(user_group(user_id), {"type": "user.disconnect", "code": CLOSE_DISCONNECTED_BY_ADMIN})


def gamer_update(
    *,
    gamer: Gamer,
    bio: str | None = None,
    email: str | None = None,
    avatar: Any = None,
    notify: dict[str, bool] | None = None,
) -> Gamer:
    """PATCH /auth/me. A new email is unverified (pending) until the link mailed to it is
    followed; `notify` ({kind: bool}) is merged into the account's per-kind mail opt-outs."""
    fields: list[str] = []
    if bio is not None:
        gamer.bio = bio
        fields.append("bio")
    email_changed = False
    if email is not None and normalize_email(email) != gamer.email:
        email = normalize_email(email)
        _raise_duplicate(key=None, email=email)
        gamer.email = email
        gamer.email_verified = False
        fields += ["email", "email_verified"]
        email_changed = True
    if notify:
        unknown = sorted(set(notify) - set(NotificationKind.values))
        if unknown:
            raise InvalidInput(
                gettext("Unknown notification kind: %(value)s.") % {"value": ", ".join(unknown)},
                code="invalid",
                field="notify",
            )
        fields.append("notify")
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
            if notify:
                # A read-modify-write of the JSON: two racing PATCHes each keep their kinds.
                current = Gamer.objects.select_for_update().values_list("notify", flat=True).get(pk=gamer.pk)
                gamer.notify = {**(current or {}), **notify}
            gamer.save(update_fields=fields)
            if email_changed:
                email_verification_send(gamer=gamer)
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
    gamer_sockets_close_on_commit(pk)


@transaction.atomic
def gamer_delete_self(*, gamer: Gamer) -> None:
    """DELETE /auth/me: the account and its personal data go (cascade). Admins can't."""
    if gamer.role == Role.ADMIN:
        raise PermissionDenied(
            gettext("Admins can't delete their own account; ask another admin to demote you first."),
            code="admin_cannot_delete",
        )
    pk = gamer.pk
    _delete_account(gamer)
    gamer.pk = pk


def _target_for_admin_action(*, actor: Gamer, target_id: int, verb: str) -> Gamer:
    target = Gamer.objects.select_for_update().filter(pk=target_id).first()
    if target is None:
        raise NotFound(gettext("No gamer with that id."), code="not_found")
    if target.pk == actor.pk:
        raise PermissionDenied(
            gettext("You can't %(verb)s your own account.") % {"verb": verb}, code="cannot_target_self"
        )
    if target.role == Role.ADMIN:
        raise PermissionDenied(
            gettext("You can't %(verb)s another admin.") % {"verb": verb}, code="cannot_target_admin"
        )
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
        raise InvalidInput(
            gettext("Role must be one of %(value)s.") % {"value": ", ".join(Role.values)}, code="invalid_role"
        )
    target = _target_for_admin_action(actor=actor, target_id=target_id, verb="change the role of")
    if target.role != role:
        target.role = role
        target.save(update_fields=["role"])
        audit_record(
            actor=actor, action="role_change", target_type="gamer", target_id=target.pk, reason=reason or f"-> {role}"
        )
        broadcast_on_commit(user_group(target.pk), {"type": "user.role_changed", "role": role})
    return target


@transaction.atomic
def gamer_set_active(*, actor: Gamer, target_id: int, active: bool, reason: str = "") -> Gamer:
    """Deactivate or reactivate an account (admins, never their own or another admin's);
    audited. Deactivation revokes every refresh token and closes the account's sockets on every
    process; its access tokens stop authenticating at once (inactive users are refused)."""
    target = _target_for_admin_action(
        actor=actor, target_id=target_id, verb="deactivate" if not active else "reactivate"
    )
    if target.is_active != active:
        target.is_active = active
        target.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="reactivate_gamer" if active else "deactivate_gamer",
            target_type="gamer",
            target_id=target.pk,
            reason=reason,
        )
        if not active:
            refresh_tokens_revoke(user_id=target.pk)
            gamer_sockets_close_on_commit(target.pk)
    return target


# --- social login (SPEC §2 /auth/social/{provider}) ---------------------------------------


@dataclass(frozen=True)
class SocialLoginResult:
    gamer: Gamer
    tokens: dict[str, str]
    created: bool


def social_login(*, provider: str, code: str, redirect_uri: str) -> SocialLoginResult:
    """Sign in with Google or Discord and return our JWT pair.

    The account is found by the provider's user id first (a returning user). Otherwise, by
    email: an existing account is linked only when the provider says the email is verified
    AND the account's own email is verified (SPEC §2); an existing account that fails either
    test is 409 `email_unverified` and nothing is linked. With no account using that email, a
    new one is created with its starting coins, a username derived from the provider's name
    and `email_verified` as the provider says (unverified: a verification link is mailed). A
    profile without an email is 400 `email_unverified`. Signing in with Discord also binds
    the account's `discord_id` for the bot when neither side is bound yet.

    The provider call happens before any transaction. Two racing first sign-ins of one
    identity are decided by the unique (provider, uid) index: the loser retries and finds it.
    """
    profile = profile_fetch(provider=provider, code=code, redirect_uri=redirect_uri)
    for attempt in range(3):
        try:
            gamer, created = _social_account_resolve(profile)
            break
        except IntegrityError:
            if attempt == 2:
                raise
        except Conflict as exc:
            # Someone registered this email between our look-up and our insert: link to it.
            if exc.code != "email_taken" or attempt == 2:
                raise
    if not gamer.is_active:
        raise PermissionDenied(gettext("This account is disabled."), code="account_disabled")
    return SocialLoginResult(gamer=gamer, tokens=token_pair_for(gamer), created=created)


@transaction.atomic
def _social_account_resolve(profile: SocialProfile) -> tuple[Gamer, bool]:
    now = timezone.now()
    account = (
        SocialAccount.objects.select_for_update()
        .select_related("user")
        .filter(provider=profile.provider, uid=profile.uid)
        .first()
    )
    if account is not None:
        account.last_login_at = now
        account.email = profile.email[:254]
        account.save(update_fields=["last_login_at", "email"])
        return account.user, False
    if not profile.email:
        raise unverified_email_error(profile.provider)
    gamer = Gamer.objects.filter(email=normalize_email(profile.email)).first()
    created = gamer is None
    if gamer is None:
        gamer = _social_gamer_create(profile)
        if not profile.email_verified:
            email_verification_send(gamer=gamer)
    elif not (profile.email_verified and gamer.email_verified):
        # Linking by an email nobody proved would hand the account to whoever holds the other
        # side: the provider's unverified address, or a local sign-up that never confirmed it.
        raise email_unverified_conflict(profile.provider, provider_verified=profile.email_verified)
    SocialAccount.objects.create(
        user=gamer, provider=profile.provider, uid=profile.uid, email=profile.email[:254], last_login_at=now
    )
    if profile.provider == SocialAccount.Provider.DISCORD:
        _discord_id_adopt(gamer, profile.uid)
    return gamer, created


def _social_gamer_create(profile: SocialProfile) -> Gamer:
    """A new account named after the provider profile, made unique with a number if needed."""
    base = username_from_profile(*profile.names)
    candidates = [base, *(username_with_suffix(base, n) for n in range(2, 10))]
    candidates += [username_with_suffix(base, 10_000 + secrets.randbelow(90_000)) for _ in range(5)]
    taken = set(
        Gamer.objects.filter(username_key__in=[username_key(c) for c in candidates]).values_list(
            "username_key", flat=True
        )
    )
    for name in candidates:
        if username_key(name) in taken:
            continue
        try:
            return gamer_create(
                username=name, email=profile.email, password=None, email_verified=profile.email_verified
            )
        except Conflict as exc:
            if exc.code != "username_taken":
                raise
    raise Conflict(
        gettext("Couldn't find a free username for this account; register with a password."), code="username_taken"
    )


def _discord_id_adopt(gamer: Gamer, discord_id: str) -> None:
    """Bind the bot identity on Discord sign-in, unless either side is already bound."""
    if gamer.discord_id is not None or Gamer.objects.filter(discord_id=discord_id).exists():
        return
    try:
        with transaction.atomic():
            if Gamer.objects.filter(pk=gamer.pk, discord_id__isnull=True).update(discord_id=discord_id):
                gamer.discord_id = discord_id
    except IntegrityError:
        pass  # a racing `!link` bound it elsewhere first; social login still succeeds


# --- Discord link codes (SPEC §2 /auth/discord/link-code, §8 `link`) ----------------------

LINK_CODE_TTL = timedelta(minutes=10)
# Expired codes stay this long so `!link` can say "expired" rather than "unknown".
LINK_CODE_KEEP = timedelta(days=1)


@transaction.atomic
def discord_link_code_create(*, user: Gamer) -> DiscordLinkCode:
    """A fresh one-time code for `user`, valid LINK_CODE_TTL; the account's older codes go."""
    now = timezone.now()
    DiscordLinkCode.objects.filter(user=user).delete()
    DiscordLinkCode.objects.filter(expires_at__lt=now - LINK_CODE_KEEP).delete()
    for _ in range(5):
        code = "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH))
        try:
            with transaction.atomic():
                return DiscordLinkCode.objects.create(
                    user=user, code=code, created_at=now, expires_at=now + LINK_CODE_TTL
                )
        except IntegrityError:
            continue  # collision with an outstanding code: draw again
    raise Conflict(gettext("Couldn't create a link code; try again."), code="link_code_unavailable")


@transaction.atomic
def discord_link(*, code: str, discord_id: str | int) -> Gamer:
    """Bind the Discord user `discord_id` to the account that created `code` (`!link CODE`).

    A Discord user links to one account only: 409 `discord_already_linked` if it is bound to
    another one (unlink there first). Unknown codes are 404 `link_code_invalid`, used ones 409
    `link_code_used`, expired ones 400 `link_code_expired`. A refused attempt leaves the code
    usable. Re-linking an account to a new Discord user replaces its old binding (the account
    holder asked for the code). The code row is locked, so a code is consumed exactly once.
    """
    discord_id = str(discord_id)
    now = timezone.now()
    link = DiscordLinkCode.objects.select_for_update().filter(code=link_code_normalize(code)[:16]).first()
    if link is None:
        raise NotFound(
            gettext("That link code doesn't exist. Create a new one on GameConnect."), code="link_code_invalid"
        )
    if link.used_at is not None:
        raise Conflict(
            gettext("That link code was already used. Create a new one on GameConnect."), code="link_code_used"
        )
    if link.expires_at <= now:
        raise InvalidInput(
            gettext("That link code has expired. Create a new one on GameConnect."), code="link_code_expired"
        )
    holder = Gamer.objects.filter(discord_id=discord_id).exclude(pk=link.user_id).first()
    if holder is not None:
        raise Conflict(
            gettext(
                "This Discord account is already linked to the GameConnect account %(username)s. A Discord account can link to one GameConnect account only."
            )
            % {"username": holder.username},
            code="discord_already_linked",
        )
    try:
        with transaction.atomic():
            Gamer.objects.filter(pk=link.user_id).update(discord_id=discord_id)
    except IntegrityError as exc:  # a racing link bound this Discord user elsewhere first
        raise Conflict(
            gettext("This Discord account is already linked to another GameConnect account."),
            code="discord_already_linked",
        ) from exc
    link.used_at = now
    link.used_by_discord_id = discord_id
    link.save(update_fields=["used_at", "used_by_discord_id"])
    return Gamer.objects.get(pk=link.user_id)
