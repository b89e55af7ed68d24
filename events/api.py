"""Events and tickets API (SPEC §4). Views parse input, call one service or selector, shape output."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound, PermissionDenied
from common.schema import error
from events import serializers as s
from events import services, waitlist
from events.checkin import can_check_in, ticket_check_in
from events.models import Event, TicketOrder
from events.selectors import (
    bookmarked_among,
    bookmarked_event_rows,
    event_attendees,
    event_list_rows,
    event_row,
    ticket_order_of,
    ticket_orders_of,
)


def _event_body(event_id: int, viewer: Any) -> dict[str, Any]:
    """The event as EventSerializer documents it, or 404."""
    row = event_row(event_id=event_id, viewer=viewer)
    if row is None:
        raise NotFound(gettext("No event with that id."), code="not_found")
    return s.event_representation(row, row["bookmarked_by_me"])


class EventListApi(ListAPIView):
    """GET: anyone, even without a token. POST: signed in; the caller organises the event."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = s.EventSerializer  # the documented shape; rows are built by event_representation
    filter_backends: list = []

    @extend_schema(
        parameters=[s.EventListQuerySerializer],
        responses={200: s.EventSerializer(many=True)},
        auth=[{}, {"jwtAuth": []}],  # type: ignore[list-item]  # drf-spectacular annotates auth as names; it takes OpenAPI security requirements
        description="Public. Search is case- and accent-insensitive over title, description and location.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = s.EventListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = event_list_rows(**query.validated_data)
        # A CountedQuerySet is not a QuerySet, but it is what Django's Paginator uses: count() and slices.
        page: list[dict[str, Any]] | None = self.paginate_queryset(rows)  # type: ignore[arg-type]  # see above: the stubs want a QuerySet
        assert page is not None  # the list is always paginated
        mine = bookmarked_among(user=request.user, event_ids=[row["id"] for row in page])
        return self.get_paginated_response([s.event_representation(row, row["id"] in mine) for row in page])

    @extend_schema(request=s.EventWriteSerializer, responses={201: s.EventSerializer})
    def post(self, request: Request) -> Response:
        data = s.EventWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.event_create(organizer=request.user, **data.validated_data)
        return Response(_event_body(event.pk, request.user), status=status.HTTP_201_CREATED)


class EventDetailApi(APIView):
    """GET: anyone. PATCH / DELETE: the organizer or an admin."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: s.EventSerializer}, auth=[{}, {"jwtAuth": []}])  # type: ignore[list-item]  # drf-spectacular annotates auth as names; it takes OpenAPI security requirements
    def get(self, request: Request, pk: int) -> Response:
        return Response(_event_body(pk, request.user))

    @extend_schema(
        request=s.EventUpdateSerializer,
        responses={
            200: s.EventSerializer,
            400: OpenApiResponse(description="Field errors, e.g. `tickets_total` below the tickets sold."),
            403: error("`not_organizer`: only the organizer or an admin."),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        event = Event.objects.only("pk", "organizer_id").filter(pk=pk).first()
        if event is None:
            raise NotFound(gettext("No event with that id."), code="not_found")
        if not services.can_edit_event(request.user, event):
            raise PermissionDenied(
                gettext("Only the organizer or an admin can change this event."), code="not_organizer"
            )
        data = s.EventUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.event_update(event_id=pk, actor=request.user, **data.validated_data)
        return Response(_event_body(pk, request.user))

    @extend_schema(
        parameters=[OpenApiParameter("reason", str, required=False, description="Kept in the audit log.")],
        responses={
            204: None,
            403: error("`not_organizer`: only the organizer or an admin."),
            409: error("`tickets_sold`: tickets are sold for this event (`tickets_sold` says how many)."),
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        reason = request.query_params.get("reason", "")[:500]
        services.event_delete(event_id=pk, actor=request.user, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketPurchaseApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.TicketPurchaseSerializer,
        responses={
            201: s.TicketOrderDetailSerializer,
            409: OpenApiResponse(
                response=s.SoldOutSerializer,
                description="`sold_out` (with `available`: tickets left) or `event_started`.",
            ),
        },
        description="One ticket per seat, each with its signed code and QR code. Seats held for the buyer "
        "from the waiting list count towards `quantity`.",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.TicketPurchaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.ticket_purchase(event_id=pk, user=request.user, quantity=data.validated_data["quantity"])
        return Response(_order_body(request, order.pk), status=status.HTTP_201_CREATED)


def _order_body(request: Request, order_id: int) -> dict[str, Any]:
    order = ticket_order_of(user=request.user, order_id=order_id)
    if order is None:
        raise NotFound(gettext("No ticket order of yours with that id."), code="not_found")
    return s.TicketOrderDetailSerializer(order).data


class MyTicketsApi(ListAPIView):
    """My ticket orders, newest first, with their tickets' signed codes (the QR codes are in
    `GET /me/tickets/{id}`: about 3 ms of CPU each, too much for a list of up to 100 orders)."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.TicketOrderSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[TicketOrder]:
        return ticket_orders_of(user=self.request.user)


class BookmarkApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={201: s.BookmarkResultSerializer, 200: s.BookmarkResultSerializer},
        description="201 when bookmarked now, 200 when it already was.",
    )
    def post(self, request: Request, pk: int) -> Response:
        _, created = services.bookmark_add(event_id=pk, user=request.user)
        if created:
            return Response({"detail": "Bookmarked.", "bookmarked": True}, status=status.HTTP_201_CREATED)
        return Response({"detail": "Already bookmarked.", "bookmarked": True}, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None}, description="204 whether or not it was bookmarked.")
    def delete(self, request: Request, pk: int) -> Response:
        services.bookmark_remove(event_id=pk, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyBookmarksApi(ListAPIView):
    """Events I bookmarked, most recently bookmarked first."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.EventSerializer  # the documented shape; rows are built by event_representation
    filter_backends: list = []

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(bookmarked_event_rows(user=request.user))
        assert page is not None  # the list is always paginated
        return self.get_paginated_response([s.event_representation(row, True) for row in page])


class MyTicketDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: s.TicketOrderDetailSerializer, 404: error("`not_found`: no order of yours with that id.")},
        description="One of my orders with a QR code (SVG markup) per ticket.",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_order_body(request, pk))


class MyTicketCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: s.TicketOrderDetailSerializer,
            404: error("`not_found`: no order of yours with that id."),
            409: OpenApiResponse(
                response=s.TicketConflictSerializer,
                description="`too_late` (with `deadline`: TICKET_CANCEL_HOURS before the start), "
                "`already_cancelled`, or `already_checked_in`.",
            ),
        },
        description="Cancel the order: its seats go back on sale (and to the waiting list) at once.",
    )
    def post(self, request: Request, pk: int) -> Response:
        services.ticket_cancel(order_id=pk, user=request.user)
        return Response(_order_body(request, pk))


class CheckInApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.CheckInSerializer,
        responses={
            200: s.CheckInResultSerializer,
            403: error("`not_organizer`: only the organizer or an admin."),
            404: error("`unknown_ticket`: forged, unknown or another event's code; `not_found`: no event."),
            409: OpenApiResponse(
                response=s.TicketConflictSerializer,
                description="`already_checked_in` (with `checked_in_at`) or `ticket_cancelled`.",
            ),
        },
        description="Scan a ticket at the door: 200 the first time, exactly once however many doors scan it.",
    )
    def post(self, request: Request, pk: int) -> Response:
        _require_door_staff(request, pk)
        data = s.CheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = ticket_check_in(event_id=pk, code=data.validated_data["code"], actor=request.user)
        return Response(s.CheckInResultSerializer({"ticket": result.ticket, "holder": result.ticket.order.buyer}).data)


def _require_door_staff(request: Request, event_id: int) -> None:
    """404 / 403 before the body is read, so others learn nothing from their input."""
    event = Event.objects.only("pk", "organizer_id").filter(pk=event_id).first()
    if event is None:
        raise NotFound(gettext("No event with that id."), code="not_found")
    if not can_check_in(request.user, event):
        raise PermissionDenied(gettext("Only the organizer or an admin can see this."), code="not_organizer")


class AttendeesApi(ListAPIView):
    """The organizer's attendee list: confirmed orders, oldest first, with check-in counts."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.EventAttendeeSerializer
    filter_backends: list = []

    @extend_schema(
        responses={
            200: s.EventAttendeeSerializer(many=True),
            403: error("`not_organizer`: only the organizer or an admin."),
        }
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _require_door_staff(request, self.kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[TicketOrder]:
        return event_attendees(event_id=self.kwargs["pk"])


class WaitlistApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.EventWaitlistJoinSerializer,
        responses={
            202: s.EventWaitlistPlaceSerializer,
            409: OpenApiResponse(
                response=s.TicketConflictSerializer,
                description="`tickets_available` (with `available`: enough seats are on sale, buy them), "
                "`already_waiting` (with `position`, or `status: offered` and `expires_at`), `event_started`.",
            ),
        },
        description="Join the waiting list of a sold-out event. Freed seats are held for the first waiters "
        "they fit, for TICKET_HOLD_MINUTES, with a `waitlist_promotion` notification.",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.EventWaitlistJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        place = waitlist.waitlist_join(event_id=pk, user=request.user, quantity=data.validated_data["quantity"])
        body = {
            "position": place.position,
            "quantity": place.entry.quantity,
            "status": place.entry.status,
            "created_at": place.entry.created_at,
        }
        return Response(s.EventWaitlistPlaceSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={204: None},
        description="Leave the waiting list (204 also when not on it); seats held for you go to the next waiter.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        waitlist.waitlist_leave(event_id=pk, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
