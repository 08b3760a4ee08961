"""Default mode: the embedded demo (SQLite, eager Celery unless a broker URL is set)."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DEBUG", default=False)
