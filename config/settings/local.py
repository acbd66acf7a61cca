"""Developer and demo settings: SQLite and eager Celery unless DATABASE_URL / REDIS_URL say otherwise.

DEBUG is off unless asked for (`DEBUG=true make demo`): a demo is shown to people who must never meet
Django's debug page, so they get the Chinese error pages of production. WhiteNoise serves the static
files straight from their sources (no collectstatic needed) either way.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
