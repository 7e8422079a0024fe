"""The Celery app, configured from Django settings (the CELERY_ namespace).

Broker and result backend come from REDIS_URL; without it tasks run eagerly in-process. Tasks
are autodiscovered in each app's tasks.py; notifications run on a queue of their own.
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingkou.settings")

app = Celery("jingkou")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(task=None, **kwargs):
    """Around each task in a worker, what Django does around each web request: close a database
    connection that failed or outlived CONN_MAX_AGE, keep the others (settings.CELERY_DB_REUSE_MAX
    stops Celery from closing them all after every task). Not for a task run in-process (eager):
    that runs inside its caller's request, maybe inside its transaction."""
    if task is None or getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@signals.celeryd_init.connect
def _patient_worker_connection(conf=None, **kwargs):
    """The settings bound a web request's publish to about a second (short socket timeouts, one
    retry). A worker must not drop its broker connection at every slow moment of a busy machine:
    it waits longer, and reconnects with Celery's own retries."""
    if conf is None:
        return
    conf.broker_transport_options = {
        **conf.broker_transport_options,
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
        "max_retries": 3,
        "interval_step": 0.5,
        "interval_max": 2,
    }
