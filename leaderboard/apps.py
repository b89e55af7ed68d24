from django.apps import AppConfig


class LeaderboardConfig(AppConfig):
    name = "leaderboard"
    verbose_name = "Leaderboards"

    def ready(self) -> None:
        from common.clock import register_tick
        from leaderboard import signals  # noqa: F401 - registers the receivers
        from leaderboard.seasons import seasons_tick
        from leaderboard.services import periods_rollover

        register_tick("leaderboard.rollover", periods_rollover)
        register_tick("leaderboard.seasons", seasons_tick)
