from django.apps import AppConfig


class TriviaConfig(AppConfig):
    name = "trivia"
    verbose_name = "Live trivia"
