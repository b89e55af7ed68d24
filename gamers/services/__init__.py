"""Gamers writes. Each service owns its transaction (except the bulk ledger calls, which join
the caller's); broadcasts happen on commit.

accounts.py: accounts, roles, tokens, social login, Discord linking. verification.py: the
email verification link. passwords.py: password change, reset by mail, log out everywhere.
ledger.py: the coin ledger, the one writer of balances and CoinTransaction rows.
notifications.py: in-app notifications, their mail and the Discord DM hook.
"""

from gamers.services.accounts import (
    LINK_CODE_KEEP,
    LINK_CODE_TTL,
    SocialLoginResult,
    discord_link,
    discord_link_code_create,
    gamer_create,
    gamer_delete,
    gamer_delete_self,
    gamer_register,
    gamer_set_active,
    gamer_set_role,
    gamer_sockets_close_on_commit,
    gamer_update,
    refresh_tokens_revoke,
    social_login,
    token_blacklist,
    token_pair_for,
)
from gamers.services.ledger import CoinEntry, InsufficientFunds, coins_apply, coins_apply_many, coins_lock_many
from gamers.services.notifications import (
    NotificationRow,
    notification_create,
    notifications_create_many,
    notifications_mark_read,
)
from gamers.services.passwords import (
    logout_everywhere,
    password_change,
    password_reset_confirm,
    password_reset_request,
)
from gamers.services.verification import email_verification_resend, email_verification_send, email_verify

__all__ = [
    "LINK_CODE_KEEP",
    "LINK_CODE_TTL",
    "CoinEntry",
    "InsufficientFunds",
    "NotificationRow",
    "SocialLoginResult",
    "coins_apply",
    "coins_apply_many",
    "coins_lock_many",
    "discord_link",
    "discord_link_code_create",
    "email_verification_resend",
    "email_verification_send",
    "email_verify",
    "gamer_create",
    "gamer_delete",
    "gamer_delete_self",
    "gamer_register",
    "gamer_set_active",
    "gamer_set_role",
    "gamer_sockets_close_on_commit",
    "gamer_update",
    "logout_everywhere",
    "notification_create",
    "notifications_create_many",
    "notifications_mark_read",
    "password_change",
    "password_reset_confirm",
    "password_reset_request",
    "refresh_tokens_revoke",
    "social_login",
    "token_blacklist",
    "token_pair_for",
]
