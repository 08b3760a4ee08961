"""Test mode: fast hashing; the database and broker still come from the environment."""

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# tests log rows and score them at once: no lag between recording and the scoring cut-off
SCORING_CUTOFF_LAG_SECONDS = 0
# the suite's Celery worker outlives each test's flush: it reads content types afresh per task
CELERY_WORKER_FORGETS_CONTENT_TYPES = True
