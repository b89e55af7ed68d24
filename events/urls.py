from django.urls import path

from events import api

urlpatterns = [
    path("events", api.EventListApi.as_view(), name="event-list"),
    path("events/<id:pk>", api.EventDetailApi.as_view(), name="event-detail"),
    path("events/<id:pk>/tickets", api.TicketPurchaseApi.as_view(), name="event-tickets"),
    path("events/<id:pk>/bookmark", api.BookmarkApi.as_view(), name="event-bookmark"),
    path("events/<id:pk>/checkin", api.CheckInApi.as_view(), name="event-checkin"),
    path("events/<id:pk>/attendees", api.AttendeesApi.as_view(), name="event-attendees"),
    path("events/<id:pk>/waitlist", api.WaitlistApi.as_view(), name="event-waitlist"),
    path("me/tickets", api.MyTicketsApi.as_view(), name="my-tickets"),
    path("me/tickets/<id:pk>", api.MyTicketDetailApi.as_view(), name="my-ticket-detail"),
    path("me/tickets/<id:pk>/cancel", api.MyTicketCancelApi.as_view(), name="my-ticket-cancel"),
    path("me/bookmarks", api.MyBookmarksApi.as_view(), name="my-bookmarks"),
]
