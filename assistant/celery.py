"""The Celery application: configured from Django settings, tasks autodiscovered."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assistant.settings")

app = Celery("assistant")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each queue gets its own exchange and key: sharing one would deliver a task to both queues.
app.conf.update(
    task_queues=tuple(
        Queue(name, Exchange(name), routing_key=name) for name in ("default", "ingest")
    ),
    task_default_exchange="default",
    task_default_routing_key="default",
)
app.autodiscover_tasks()
