"""ASGI entry point: HTTP and WebSockets, for any standard ASGI server.

    uvicorn config.asgi:application     (production: see docs/deployment.md)
    daphne config.asgi:application      (`make run`, and `runserver`'s ASGI mode)

HTTP goes to Django's own ASGI handler (`django.core.asgi.get_asgi_application`), so every
middleware of settings.MIDDLEWARE runs as Django runs it; WebSockets go to the Channels router.
"""

import os
from typing import Any

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.boot import load_settings_or_exit

load_settings_or_exit()

from django.core.asgi import get_asgi_application  # noqa: E402

# Set Django up (and load the apps) before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

import leaderboard.routing  # noqa: E402
import trivia.routing  # noqa: E402
from common.clock import ensure_inprocess_clock  # noqa: E402
from common.ws import OriginValidator  # noqa: E402
from config.startup import server_started  # noqa: E402

http_app: Any = django_asgi_app
if settings.DEBUG:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = ASGIStaticFilesHandler(django_asgi_app)

router = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": OriginValidator(
            URLRouter([*trivia.routing.websocket_urlpatterns, *leaderboard.routing.websocket_urlpatterns])  # type: ignore[list-item]  # types-channels wants its own pattern type; Django's path/re_path give URLPattern
        ),
    }
)


async def application(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    """The router, plus the in-process game clock started on first use (embedded mode only).

    Servers that speak the ASGI lifespan protocol (uvicorn, granian) start the clock at start-up;
    daphne doesn't send lifespan events, so the first request or connection starts it.
    """
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                ensure_inprocess_clock()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return None
    ensure_inprocess_clock()
    return await router(scope, receive, send)


server_started()
