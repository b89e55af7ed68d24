"""Sessions API (SPEC §3). Views parse input, call one service or selector, shape the output.

Sessions are answered as rows built by `selectors.session_rows` (no serializer per row);
`serializers.GameSessionSerializer` documents that shape in the schema.

Reading is public (shareable links): the session list, a session, its attendees and its
reviews answer without a token (`IsAuthenticatedOrReadOnly`; the caller's flags are then
false); everything else needs one.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.permissions import require
from common.roles import Cap
from common.schema import error
from sessions_app import selectors, services
from sessions_app import serializers as s

# The path id, documented as the integer it is (the URL converter bounds it to a bigint).
PK = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The session's id.")
REVIEW_PK = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The review's id.")
REASON = OpenApiParameter("reason", str, required=False, description="Why (written to the moderation log).")

LikeResultSerializer = inline_serializer(
    name="LikeResult", fields={"detail": serializers.CharField(), "like_count": serializers.IntegerField()}
)


def _list_filters(query: dict[str, Any]) -> dict[str, Any]:
    return {
        "game": query.get("game"),
        "platform": query.get("platform"),
        "joinable": query.get("joinable", False),
        "starts_after": query.get("starts_after"),
        "starts_before": query.get("starts_before"),
        "search": query.get("search"),
        "ordering": query.get("ordering"),
    }


def _reason(request: Request) -> str:
    data = s.ModerationReasonSerializer(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data.get("reason", "")


class SessionListApi(GenericAPIView):
    """GET: paginated sessions with filters, search and ordering. POST: host a session."""

    serializer_class = s.GameSessionSerializer
    filter_backends: list = []
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(parameters=[s.SessionListQuerySerializer], responses={200: s.GameSessionSerializer(many=True)})
    def get(self, request: Request) -> Response:
        query = s.SessionListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        pages = selectors.session_pages(
            user=request.user, organizer_id=query.validated_data.get("organizer"), **_list_filters(query.validated_data)
        )
        page = self.paginate_queryset(pages)
        return self.get_paginated_response(selectors.session_rows(page or []))

    @extend_schema(request=s.GameSessionWriteSerializer, responses={201: s.GameSessionSerializer})
    def post(self, request: Request) -> Response:
        data = s.GameSessionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_create(organizer=request.user, **data.validated_data)
        body = selectors.session_detail_row(session_id=session.pk, user=request.user)
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[PK])
class SessionDetailApi(APIView):
    """One session: read (anyone, no token needed), edit (organizer, admin), delete (organizer, moderator, admin)."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: s.GameSessionSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(selectors.session_detail_row(session_id=pk, user=request.user))

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        data = s.GameSessionWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        services.session_update(actor=request.user, session_id=pk, **data.validated_data)
        return Response(selectors.session_detail_row(session_id=pk, user=request.user))

    @extend_schema(
        request=s.GameSessionWriteSerializer,
        responses={
            200: s.GameSessionSerializer,
            403: error("`not_organizer`: only the organizer or an admin may edit."),
        },
        description="Replace the editable fields. 400 if `max_attendees` is below the current attendee count.",
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        request=s.GameSessionWriteSerializer,
        responses={
            200: s.GameSessionSerializer,
            403: error("`not_organizer`: only the organizer or an admin may edit."),
        },
        description="Change some fields. 400 if `max_attendees` is below the current attendee count.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(
        parameters=[REASON],
        responses={204: None, 403: error("`not_organizer`: only the organizer, a moderator or an admin may delete.")},
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.session_delete(actor=request.user, session_id=pk, reason=_reason(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[PK])
class SessionJoinApi(APIView):
    @extend_schema(
        request=s.JoinInputSerializer,
        responses={
            200: s.AttendanceResultSerializer,
            202: s.WaitResultSerializer,
            409: error(
                "`already_joined`, `session_full` (without `wait`), `session_unavailable` (switched off or"
                " started) or `already_waiting` (with `wait`, already on the list)."
            ),
        },
        description='Join. With `{"wait": true}` a full session puts the caller on its waiting list'
        " (202 with the position); with a free seat `wait` changes nothing (200, joined).",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.JoinInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data["wait"]:
            result = services.session_join(session_id=pk, user=request.user)
            return Response({"detail": result.detail, "attendee_count": result.attendee_count})
        outcome = services.session_join_or_wait(session_id=pk, user=request.user)
        if isinstance(outcome, services.WaitResult):
            return Response({"detail": outcome.detail, "position": outcome.position}, status=status.HTTP_202_ACCEPTED)
        return Response({"detail": outcome.detail, "attendee_count": outcome.attendee_count})


@extend_schema(parameters=[PK])
class SessionWaitApi(APIView):
    @extend_schema(responses={204: None, 404: error("`not_waiting` (or `not_found`: no such session).")})
    def delete(self, request: Request, pk: int) -> Response:
        services.session_wait_cancel(session_id=pk, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[PK])
class SessionLeaveApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: s.AttendanceResultSerializer,
            409: error("`not_joined`, or `organizer_cannot_leave` (the organizer attends their own session)."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        result = services.session_leave(session_id=pk, user=request.user)
        return Response({"detail": result.detail, "attendee_count": result.attendee_count})


@extend_schema(parameters=[PK])
class SessionAttendeesApi(GenericAPIView):
    serializer_class = s.AttendeeSerializer
    filter_backends: list = []
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: s.AttendeeSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        page = self.paginate_queryset(selectors.session_attendees(session_id=pk))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(parameters=[PK])
class SessionLikeApi(APIView):
    @extend_schema(request=None, responses={201: LikeResultSerializer, 409: error("`already_liked`.")})
    def post(self, request: Request, pk: int) -> Response:
        services.session_like(session_id=pk, user=request.user)
        count = selectors.session_like_count(session_id=pk)
        return Response({"detail": "You like this session.", "like_count": count}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 404: error("`not_liked` (or `not_found`: no such session).")})
    def delete(self, request: Request, pk: int) -> Response:
        services.session_unlike(session_id=pk, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[PK])
class SessionReviewsApi(GenericAPIView):
    serializer_class = s.ReviewSerializer
    filter_backends: list = []
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: s.ReviewSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        page = self.paginate_queryset(selectors.session_reviews(session_id=pk))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=s.ReviewWriteSerializer,
        responses={
            201: s.ReviewSerializer,
            403: error("`not_an_attendee`: only attendees review."),
            409: error("`already_reviewed`."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.ReviewWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_create(session_id=pk, user=request.user, **data.validated_data)
        return Response(self.get_serializer(review).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[PK])
class SessionMyReviewApi(APIView):
    """The caller's own review of a session."""

    @extend_schema(responses={200: s.ReviewSerializer, 404: error("`not_reviewed` (or `not_found`).")})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ReviewSerializer(selectors.review_mine(session_id=pk, user=request.user)).data)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        data = s.ReviewWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        review = services.review_update_mine(session_id=pk, user=request.user, **data.validated_data)
        return Response(s.ReviewSerializer(review).data)

    @extend_schema(
        request=s.ReviewWriteSerializer,
        responses={200: s.ReviewSerializer, 404: error("`not_reviewed` (or `not_found`).")},
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        request=s.ReviewWriteSerializer,
        responses={200: s.ReviewSerializer, 404: error("`not_reviewed` (or `not_found`).")},
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(responses={204: None, 404: error("`not_reviewed` (or `not_found`).")})
    def delete(self, request: Request, pk: int) -> Response:
        services.review_delete_mine(session_id=pk, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewListApi(GenericAPIView):
    """Every review, newest first (moderator, admin)."""

    permission_classes = [require(Cap.REVIEWS_MODERATE)]
    serializer_class = s.ReviewModerationSerializer
    filter_backends: list = []

    @extend_schema(parameters=[s.ReviewListQuerySerializer], responses={200: s.ReviewModerationSerializer(many=True)})
    def get(self, request: Request) -> Response:
        query = s.ReviewListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = selectors.review_list(
            session_id=query.validated_data.get("session"),
            author_id=query.validated_data.get("author"),
            rating=query.validated_data.get("rating"),
            search=query.validated_data.get("search"),
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(parameters=[REVIEW_PK])
class ReviewDetailApi(APIView):
    permission_classes = [require(Cap.REVIEWS_MODERATE)]

    @extend_schema(responses={200: s.ReviewModerationSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ReviewModerationSerializer(selectors.review_get(review_id=pk)).data)

    @extend_schema(parameters=[REASON], responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.review_delete(actor=request.user, review_id=pk, reason=_reason(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MySessionsApi(GenericAPIView):
    """Sessions I host (`as=organizer`), joined (`as=attendee`), or both (no `as`)."""

    serializer_class = s.GameSessionSerializer
    filter_backends: list = []

    @extend_schema(parameters=[s.MySessionsQuerySerializer], responses={200: s.GameSessionSerializer(many=True)})
    def get(self, request: Request) -> Response:
        query = s.MySessionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        role = query.validated_data.get("as")
        me = request.user.pk
        pages = selectors.session_pages(
            user=request.user,
            organizer_id=me if role == "organizer" else None,
            attendee_id=me if role == "attendee" else None,
            involving_id=me if role is None else None,
            **_list_filters(query.validated_data),
        )
        page = self.paginate_queryset(pages)
        return self.get_paginated_response(selectors.session_rows(page or []))
