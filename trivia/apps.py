from django.apps import AppConfig


class TriviaConfig(AppConfig):
    name = "trivia"
    verbose_name = "Live trivia"

    def ready(self) -> None:
        from django.db.models import Count, IntegerField, OuterRef, Subquery
        from django.db.models.functions import Coalesce

        from common.clock import register_tick
        from gamers.stats import register_stat
        from trivia.models import Round
        from trivia.services import tick

        register_tick("trivia", tick)

        def trivia_wins() -> Coalesce:
            wins = (
                Round.objects.filter(winner=OuterRef("pk"))
                .order_by()
                .values("winner")
                .annotate(n=Count("id"))
                .values("n")
            )
            return Coalesce(Subquery(wins, output_field=IntegerField()), 0)

        register_stat("trivia_wins", trivia_wins)
