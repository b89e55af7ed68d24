from django.apps import AppConfig


class BotConfig(AppConfig):
    name = "bot"
    verbose_name = "Discord bot"

    def ready(self) -> None:
        # Notification DMs (SPEC §2): web and worker processes queue them for the bot (bot.outbox).
        from bot.outbox import enqueue
        from gamers.signals import notification_created

        notification_created.connect(enqueue, dispatch_uid="bot.outbox.enqueue")
