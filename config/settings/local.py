"""Default mode: the embedded demo (SQLite, eager Celery unless a broker URL is set)."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DEBUG", default=False)

# the demo prints mails (password reset links) on the console
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

# gzip only: a demo's collectstatic in seconds, not a minute of brotli (config.storage)
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "config.storage.GzipStaticFilesStorage"}}  # noqa: F405
