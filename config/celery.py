"""The Celery app: configured from Django settings (CELERY_ namespace), tasks autodiscovered."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("rendanheyi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def _content_types_fresh(**kwargs) -> None:
    """Under the test suite a worker outlives the tests, which empty and refill the database
    (content types come back with new ids); each task reads them afresh. Off in production,
    where content types never change under a running worker."""
    from django.conf import settings

    if getattr(settings, "CELERY_WORKER_FORGETS_CONTENT_TYPES", False):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
