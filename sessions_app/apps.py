from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = "Gaming sessions"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_delete

        from common.clock import register_tick
        from common.counts import track_counts
        from gamers.stats import register_stat
        from sessions_app.models import Attendance, GameSession
        from sessions_app.receivers import gamer_about_to_be_deleted
        from sessions_app.selectors import sessions_hosted_expr, sessions_joined_expr
        from sessions_app.services import reminders_send_due, trend_expire

        register_stat("sessions_hosted", sessions_hosted_expr)
        register_stat("sessions_joined", sessions_joined_expr)
        # An account deletion takes the gamer's rows off their sessions' counters (counters.py).
        pre_delete.connect(gamer_about_to_be_deleted, sender=get_user_model(), dispatch_uid="sessions-gamer-pre-delete")
        # List counts are cached per version of these tables (selectors.session_pages).
        track_counts(GameSession, Attendance)
        # Timed steps, each idempotent (services.py): reminders and the trend window.
        register_tick("sessions.reminders", reminders_send_due)
        register_tick("sessions.trend", trend_expire)
