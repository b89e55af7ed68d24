from django.apps import AppConfig


class GamersConfig(AppConfig):
    name = "gamers"
    verbose_name = "Gamers"

    def ready(self) -> None:
        from gamers import schema  # noqa: F401 - registers the OpenAPI auth extension
