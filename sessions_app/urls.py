from django.urls import path, register_converter

from sessions_app import api


class RowIdConverter:
    """A positive bigint. Longer digit strings don't match (404) instead of overflowing the
    database driver in foreign-key lookups (`session_id=10**30` is a 500 on SQLite and PostgreSQL)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > 2**63 - 1:
            raise ValueError("out of range")  # the URL doesn't match: 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowIdConverter, "sessions_row_id")

urlpatterns = [
    path("sessions", api.SessionListApi.as_view(), name="session-list"),
    path("sessions/<sessions_row_id:pk>", api.SessionDetailApi.as_view(), name="session-detail"),
    path("sessions/<sessions_row_id:pk>/join", api.SessionJoinApi.as_view(), name="session-join"),
    path("sessions/<sessions_row_id:pk>/leave", api.SessionLeaveApi.as_view(), name="session-leave"),
    path("sessions/<sessions_row_id:pk>/attendees", api.SessionAttendeesApi.as_view(), name="session-attendees"),
    path("sessions/<sessions_row_id:pk>/like", api.SessionLikeApi.as_view(), name="session-like"),
    path("sessions/<sessions_row_id:pk>/reviews", api.SessionReviewsApi.as_view(), name="session-reviews"),
    path("sessions/<sessions_row_id:pk>/reviews/mine", api.SessionMyReviewApi.as_view(), name="session-review-mine"),
    path("reviews", api.ReviewListApi.as_view(), name="review-list"),
    path("reviews/<sessions_row_id:pk>", api.ReviewDetailApi.as_view(), name="review-detail"),
    path("me/sessions", api.MySessionsApi.as_view(), name="my-sessions"),
]
