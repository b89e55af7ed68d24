"""HTTP routes. API paths are written without a trailing slash; the OptionalTrailingSlash
middleware makes every one answer with and without it (SPEC §1)."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog, set_language
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from common.health import healthz
from common.views import not_found


def _favicon(request: HttpRequest) -> HttpResponseRedirect:
    # Resolved per request: the static URL of a manifest storage exists only after collectstatic.
    return HttpResponseRedirect(static("favicon.svg"))


_STARTED = timezone.now()  # translations change only with a deploy, which restarts the process

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
    # The pages' language switcher posts here; scripts read their strings from the catalog. The
    # catalog's URL carries the language (`?l=`, base.html), so a day of browser caching is safe.
    path("i18n/setlang", set_language, name="set_language"),
    path(
        "jsi18n",
        cache_control(public=True, max_age=86400)(last_modified(lambda request: _STARTED)(JavaScriptCatalog.as_view())),
        name="javascript-catalog",
    ),
    path("favicon.ico", _favicon),
    path("admin/", admin.site.urls),
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    path("", include("bot.pages")),
    path("", include("config.pages")),
    # Last: any other address gets the 404 page (or JSON for API clients), with DEBUG on too,
    # where Django would show its technical page instead of handler404.
    re_path(r"", csrf_exempt(not_found)),
]

handler400 = "common.views.bad_request"
handler403 = "common.views.permission_denied"
handler404 = "common.views.not_found"
handler500 = "common.views.server_error"
