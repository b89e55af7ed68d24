"""No one reads another gamer's email, tickets or coin ledger through the API.

Every GET endpoint of the permission matrix is requested by other personas against a world
whose owner has an email, ticket orders and ledger rows that are easy to spot; none of them may
appear in any answer (SPEC §2: public profiles carry no email; §4: `/me/tickets` is mine only;
§5 rule 8: the ledger is private). Moderators and admins see emails by design (SPEC §2 gamer
list), so for them only tickets and the ledger are checked.
"""

from __future__ import annotations

import pytest
from django.db.models import Sum

from conftest import client_for, make_gamer
from events.services import ticket_purchase
from gamers.services import coins_apply
from moderation.tests.matrix import ADMIN, ANON, GAMER, MOD, ROWS, build_world
from moderation.tests.test_permission_matrix import _caller

pytestmark = pytest.mark.django_db
GET_ROWS = [row for row in ROWS if row.method == "GET"]


def victim_world(caller_persona: str):
    owner = make_gamer("private person", email="private.person.mail@hidden.example")
    caller = _caller(caller_persona, owner)
    world = build_world(owner, caller)
    orders = [ticket_purchase(event_id=world.event.pk, user=owner, quantity=q) for q in (1, 3)]
    coins_apply(gamer_id=owner.pk, amount=4242, reason="adjustment", ref="ledger-ref-ZQXJ-private")
    from events.codes import signed_code
    from events.models import Ticket

    orders.append(world.order)  # the world's order on its sold-out event (issue 21)
    tickets = Ticket.objects.filter(order__in=orders)
    secrets = {
        "ticket code": [order.code for order in orders],
        "seat code": [signed_code(t.code) for t in tickets],
        "ledger": ["ledger-ref-ZQXJ-private"],
    }
    if caller_persona in (ANON, GAMER):
        secrets["email"] = [owner.email, owner.email.split("@")[0]]
    return world, caller, secrets


@pytest.mark.parametrize("persona", [ANON, GAMER, MOD, ADMIN])
def test_other_personas_never_see_the_owners_email_tickets_or_ledger(persona, api):
    world, caller, secrets = victim_world(persona)
    client = client_for(caller) if caller is not None else api
    answered = 0
    for row in GET_ROWS:
        response = client.get(row.path(world))
        if response.status_code != 200:
            continue
        answered += 1
        body = response.content.decode()
        for what, needles in secrets.items():
            for needle in needles:
                assert needle not in body, f"{persona} read the owner's {what} at GET {row.path(world)}"
    assert answered >= (5 if persona == ANON else 15)  # the crawl really reached the readable endpoints


def test_the_owner_does_see_their_own_email_tickets_and_coins(api):
    """The same markers are visible where they belong, so the crawl above would catch a leak."""
    world, _caller_user, secrets = victim_world(GAMER)
    mine = client_for(world.owner)
    me = mine.get("/api/v1/auth/me").json()
    assert me["email"] == secrets["email"][0]
    orders = mine.get("/api/v1/me/tickets").json()["results"]
    assert {order["code"] for order in orders} == set(secrets["ticket code"])
    assert {t["code"] for order in orders for t in order["tickets"]} == set(secrets["seat code"])
    ledger = world.owner.coin_transactions.aggregate(total=Sum("amount"))["total"]
    assert me["coins"] == ledger and ledger > 4242
