"""ASGI entry point: HTTP and WebSockets (`daphne config.asgi:application`)."""

import gc
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.boot import load_settings_or_exit

load_settings_or_exit()

from common.asgi import get_asgi_application, tune_daphne  # noqa: E402

tune_daphne()
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

import leaderboard.routing  # noqa: E402
import trivia.routing  # noqa: E402
from common.clock import ensure_inprocess_clock  # noqa: E402
from common.edge import Edge  # noqa: E402
from common.ws import OriginValidator  # noqa: E402

http_app: Any = django_asgi_app
if settings.DEBUG:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = ASGIStaticFilesHandler(django_asgi_app)
http_app = Edge(http_app)

router = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": OriginValidator(
            URLRouter([*trivia.routing.websocket_urlpatterns, *leaderboard.routing.websocket_urlpatterns])
        ),
    }
)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> Any:
    """The router, plus the in-process game clock started on first use (embedded mode only)."""
    if scope["type"] == "lifespan":
        # Daphne doesn't send lifespan events; other servers may. Start the clock and acknowledge.
        ensure_inprocess_clock()
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return None
    ensure_inprocess_clock()
    return await router(scope, receive, send)


# Load the edge's routes (this imports the URLconf) now, then freeze the start-up heap: Django,
# the apps and the URLconf live as long as the process, and the collector's full passes would
# otherwise walk all of it again and again (tens of ms each: the p99 of the hot endpoints).
http_app.load()
gc.collect()
gc.freeze()
