"""Transaction contracts a service states about its caller (STYLE: services own their transactions).

`assert_in_transaction()` guards writes that must commit or roll back with the caller's action
(the audit row, the coin ledger). `assert_no_transaction()` guards services that commit on their
own and then act on the commit (publish to Redis, broadcast), or that do slow work before their
transaction (hashing a password): inside someone else's `atomic` their commit would only be a
savepoint, and the outer block could still roll back what the world was already told about.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, transaction


def assert_in_transaction(what: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Raise RuntimeError unless the caller holds an open transaction (`transaction.atomic`)."""
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError(f"{what} must run inside the caller's transaction (wrap the call in transaction.atomic())")


def assert_no_transaction(what: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Raise RuntimeError if the caller holds an open transaction.

    Django's own check for "outermost block only" is `atomic(durable=True)`: it refuses to nest
    inside another atomic block but, as documented, not inside the transaction a `TestCase`
    (pytest-django's `django_db`) wraps each test in, so these services stay testable without
    `transaction=True`. `savepoint=False` and an empty body: entering costs no query (psycopg
    sends BEGIN only before a statement, and COMMIT only when a transaction is open).
    """
    try:
        with transaction.atomic(using=using, durable=True, savepoint=False):
            pass
    except RuntimeError as exc:
        raise RuntimeError(
            f"{what} must run outside any transaction (it commits on its own, then acts on the commit)"
        ) from exc
