"""The Celery app. Broker = REDIS_URL; without it tasks run inline (CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("gameconnect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
