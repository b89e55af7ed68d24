from django.urls import path

from events import api

urlpatterns = [
    path("events", api.EventListApi.as_view(), name="event-list"),
    path("events/<id:pk>", api.EventDetailApi.as_view(), name="event-detail"),
    path("events/<id:pk>/tickets", api.TicketPurchaseApi.as_view(), name="event-tickets"),
    path("events/<id:pk>/bookmark", api.BookmarkApi.as_view(), name="event-bookmark"),
    path("me/tickets", api.MyTicketsApi.as_view(), name="my-tickets"),
    path("me/bookmarks", api.MyBookmarksApi.as_view(), name="my-bookmarks"),
]
