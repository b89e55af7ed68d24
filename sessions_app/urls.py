from django.urls import path

from sessions_app import api

urlpatterns = [
    path("sessions", api.SessionListApi.as_view(), name="session-list"),
    path("sessions/<id:pk>", api.SessionDetailApi.as_view(), name="session-detail"),
    path("sessions/<id:pk>/join", api.SessionJoinApi.as_view(), name="session-join"),
    path("sessions/<id:pk>/wait", api.SessionWaitApi.as_view(), name="session-wait"),
    path("sessions/<id:pk>/leave", api.SessionLeaveApi.as_view(), name="session-leave"),
    path("sessions/<id:pk>/attendees", api.SessionAttendeesApi.as_view(), name="session-attendees"),
    path("sessions/<id:pk>/like", api.SessionLikeApi.as_view(), name="session-like"),
    path("sessions/<id:pk>/reviews", api.SessionReviewsApi.as_view(), name="session-reviews"),
    path("sessions/<id:pk>/reviews/mine", api.SessionMyReviewApi.as_view(), name="session-review-mine"),
    path("reviews", api.ReviewListApi.as_view(), name="review-list"),
    path("reviews/<id:pk>", api.ReviewDetailApi.as_view(), name="review-detail"),
    path("me/sessions", api.MySessionsApi.as_view(), name="my-sessions"),
]
