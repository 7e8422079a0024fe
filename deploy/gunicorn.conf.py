"""gunicorn settings for the portal: `gunicorn -c deploy/gunicorn.conf.py jingkou.wsgi`.

Sized from the machine's cores unless GUNICORN_WORKERS / GUNICORN_THREADS say otherwise: a page
spends most of its time waiting for PostgreSQL or Redis, so each process runs a few threads, and
there are two processes per core plus one so a core is never idle while another waits.
"""

import multiprocessing
import os
import shutil
import tempfile

cores = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * cores + 1, 17)))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Each thread may hold one database connection (CONN_MAX_AGE): workers × threads per host must
# stay below PostgreSQL's max_connections divided by the number of hosts (see README).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# nginx sets X-Forwarded-Proto; only trust it from nginx on this host.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# nginx writes the access log; gunicorn's errors go to stderr (journald or docker logs).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Django's logging (JSON lines with the request id) is configured in settings; keep gunicorn's own.
proc_name = "jingkou-web"

# Prometheus: each worker writes its counters to this folder; /metrics adds them up.
PROMETHEUS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or (
    os.path.join(os.environ["RUNTIME_DIRECTORY"], "prometheus")  # systemd's RuntimeDirectory=
    if os.environ.get("RUNTIME_DIRECTORY")
    else tempfile.mkdtemp(prefix="jingkou-prometheus-")
)
# Set before the workers are forked, so prometheus_client in each of them writes there.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_DIR


def on_starting(server):
    # Counters of a previous run would be added to this one's.
    shutil.rmtree(PROMETHEUS_DIR, ignore_errors=True)
    os.makedirs(PROMETHEUS_DIR, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
