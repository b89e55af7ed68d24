from django.urls import path

from calendars import api

urlpatterns = [
    path("me/calendar.ics", api.CalendarFeedApi.as_view(), name="my-calendar-feed"),
    path("me/calendar/key", api.CalendarKeyApi.as_view(), name="my-calendar-key"),
]
