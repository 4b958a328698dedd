"""The assistant: Django project and the product's surfaces."""

from assistant.celery import app as celery_app

__all__ = ["celery_app"]
