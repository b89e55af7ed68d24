"""Every order made before tickets existed gets one ticket per seat (random codes, as
events.rules.new_ticket_code makes them; copied here so the migration never changes)."""

import secrets

from django.db import migrations

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
BATCH = 2000


def _code() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3))


def add_tickets(apps, schema_editor):
    TicketOrder = apps.get_model("events", "TicketOrder")
    Ticket = apps.get_model("events", "Ticket")
    orders = TicketOrder.objects.filter(tickets__isnull=True).values_list("pk", "event_id", "quantity", "status")
    batch = []
    for order_id, event_id, quantity, status in orders.iterator(chunk_size=BATCH):
        ticket_status = "cancelled" if status == "cancelled" else "valid"
        batch.extend(
            Ticket(order_id=order_id, event_id=event_id, seat=seat, code=_code(), status=ticket_status)
            for seat in range(1, quantity + 1)
        )
        if len(batch) >= BATCH:
            Ticket.objects.bulk_create(batch)
            batch = []
    if batch:
        Ticket.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("events", "0004_tickets_checkin_waitlist")]

    operations = [migrations.RunPython(add_tickets, migrations.RunPython.noop)]
