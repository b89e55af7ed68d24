"""Account writes made by staff in the back office (beyond accounts.py's role, activation and
deletion services, which the admin site calls as the API does)."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext

from audit.services import audit_record
from common.errors import NotFound, PermissionDenied
from common.roles import Cap, account_target_allowed, can
from common.transactions import assert_no_transaction
from gamers.models import Gamer
from gamers.services.accounts import refresh_tokens_revoke


def gamer_password_set(*, actor: Gamer, target_id: int, password: str | None, reason: str = "") -> Gamer:
    """An admin sets an account's password (None: password sign-in disabled), or their own.

    Never another admin's (403 `cannot_target_admin`). Every refresh token of the account is
    revoked and the change is audited (`password_set`), in the transaction that writes the hash.
    Hashes before that transaction (the hasher is slow and memory-hungry), so it refuses to run
    inside one.
    """
    assert_no_transaction("gamer_password_set")
    encoded = make_password(password)  # an unusable password for None
    with transaction.atomic():
        target = Gamer.objects.select_for_update().filter(pk=target_id).first()
        if target is None:
            raise NotFound(gettext("No gamer with that id."), code="not_found")
        if target.pk != actor.pk and not can(actor, Cap.ACCOUNTS_MANAGE):
            raise PermissionDenied(gettext("Only admins set other accounts' passwords."), code="permission_denied")
        if not account_target_allowed(actor, target, on_self=True):
            raise PermissionDenied(gettext("You can't set the password of another admin."), code="cannot_target_admin")
        target.password = encoded
        target.save(update_fields=["password"])
        revoked = refresh_tokens_revoke(user_id=target.pk)
        audit_record(
            actor=actor,
            action="password_set",
            target_type="gamer",
            target_id=target.pk,
            reason=reason or f"{revoked} refresh token(s) revoked",
        )
    return target
