from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = "Gaming sessions"

    def ready(self) -> None:
        from gamers.stats import register_stat
        from sessions_app.selectors import sessions_hosted_expr, sessions_joined_expr

        register_stat("sessions_hosted", sessions_hosted_expr)
        register_stat("sessions_joined", sessions_joined_expr)
