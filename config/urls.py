"""HTTP routes. API paths are written without a trailing slash; the OptionalTrailingSlash
middleware makes every one answer with and without it (SPEC §1)."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from common.health import healthz

api_v1 = [
    path("", include("gamers.urls")),
    path("", include("sessions_app.urls")),
    path("", include("events.urls")),
    path("", include("trivia.urls")),
    path("", include("leaderboard.urls")),
    path("", include("squads.urls")),
    path("", include("moderation.urls")),
    path("", include("calendars.urls")),
    path("", include("bot.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    # The docs pages under the site's Content-Security-Policy (config/settings.py): Swagger UI's
    # start-up script from its own URL (the split view's ?script) instead of inline, and both
    # pages' inline styles moved to static/css/api_docs.css. ReDoc builds its styles in the
    # browser (CSS-in-JS <style> elements) and runs its search in a worker it makes from a blob:
    # URL, so its page alone allows inline styles and blob: workers; scripts stay 'self' only.
    path(
        "api/docs",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs/swagger_ui.html"),
        name="swagger-ui",
    ),
    path(
        "api/redoc",
        csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="schema", template_name="api_docs/redoc.html")
        ),
        name="redoc",
    ),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    path("", include("bot.pages")),
    path("", include("config.pages")),
]

handler400 = "common.views.bad_request"
handler403 = "common.views.permission_denied"
handler404 = "common.views.not_found"
handler500 = "common.views.server_error"
