"""The portal's settings with beat's interval rounds every few seconds (FAST_BEAT_SECONDS): the
embedded worker and beat test (tests/ops/test_embedded_default.py) sees a round in seconds, not
in five minutes. Everything else is jingkou.settings as the environment makes it."""

import os

from jingkou.settings import *  # noqa: F403
from jingkou.settings import CELERY_BEAT_SCHEDULE

_seconds = float(os.environ.get("FAST_BEAT_SECONDS", "2"))
CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": _seconds} if isinstance(entry["schedule"], float) else entry
    for name, entry in CELERY_BEAT_SCHEDULE.items()
}
