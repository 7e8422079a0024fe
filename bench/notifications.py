"""Notifications benchmark: a real Celery worker on Redis, a real webhook server on 127.0.0.1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingkou REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/notifications.py [--submissions 1000] [--burst 2000] \\
        [--pool threads --concurrency 16] [--batch-size 25]

1. Latency: `--submissions` resident requests submitted one after another through the workflow
   service (request_submit); for each, the time from its commit to the group-robot webhook
   receiving its message. Prints p50/p95/max.
2. Throughput: `--burst` outbox rows committed at once and published as the portal publishes
   them (notifications_enqueue: NOTIFICATIONS_BATCH_SIZE row ids per message, `--batch-size`);
   notifications per second from their commit until the webhook has received the last one.
Goals on the 2-core machine: p50 < 300 ms, p95 < 1 s, >= 200 notifications a second.
The benchmark's rows, requests and world are deleted at the end.
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CODE_RE = re.compile(r"JK-\d{8}-[0-9A-Z]{9}|BENCH-\d+")


class Receiver:
    """The group robot: records when each message arrives, keyed by its code."""

    def __init__(self):
        self.arrivals: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm and
                # the client's delayed ACK add 40 ms to every kept-alive answer.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.time()
                text = json.loads(body)["text"]["content"]
                match = CODE_RE.search(text)
                if match:
                    receiver.arrivals.setdefault(match.group(0), now)
                payload = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/wecom"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, keys, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(k in self.arrivals for k in keys):
            time.sleep(0.01)
        return [k for k in keys if k not in self.arrivals]


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=2000)
    # As the Procfile runs the notifications worker: threads, since a send waits on the network
    # and the database far more than it computes.
    parser.add_argument("--concurrency", type=int, default=16, help="worker threads or processes")
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork", "solo"])
    # Row ids per send task (NOTIFICATIONS_BATCH_SIZE; 1 = one message per row, as before).
    parser.add_argument("--batch-size", type=int, default=None, help="row ids per send task")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL", "").startswith(
        "postgres"
    ):
        sys.exit(
            "Set DATABASE_URL=postgres://… and REDIS_URL=redis://… (a real worker needs both)."
        )

    receiver = Receiver()
    queue = f"notifications-bench-{uuid.uuid4().hex[:8]}"
    routes = {"staff": ["wecom"], "resident": [], "department": []}
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "jingkou.settings",
            "DEBUG": os.environ.get("DEBUG", "true"),
            "NOTIFICATIONS_QUEUE": queue,
            "WECOM_WEBHOOK_URL": receiver.url,
            "NOTIFICATIONS_ROUTES": json.dumps(routes),
            "LOG_LEVEL": "WARNING",
        }
    )
    if args.batch_size:
        os.environ["NOTIFICATIONS_BATCH_SIZE"] = str(args.batch_size)
    from bench.pgdb import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)

    from notifications.models import Notification
    from notifications.services import notifications_enqueue

    world = make_world()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "jingkou",
            "worker",
            "-Q",
            queue,
            "-c",
            str(args.concurrency),
            "-P",
            args.pool,
            "-n",
            f"{queue}@localhost",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    print(
        f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} CPUs; worker: {args.pool} pool, concurrency {args.concurrency}; "
        f"{settings.NOTIFICATIONS_BATCH_SIZE} rows per send task"
    )
    try:
        wait_ready(worker, log.name)
        warm_up(world, receiver)
        latency(world, receiver, args.submissions, transaction)
        throughput(receiver, args.burst, Notification, notifications_enqueue, transaction)
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        worker.terminate()
        worker.wait(20)
        cleanup(world)
        os.unlink(log.name)


def wait_ready(worker, log_path):
    # The worker logs at WARNING; ping it through the broker instead of reading "ready.".
    from jingkou.celery import app

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            sys.exit(f"the worker exited:\n{Path(log_path).read_text()}")
        if app.control.ping(timeout=0.5):
            return
    sys.exit(f"the worker did not answer:\n{Path(log_path).read_text()}")


def make_world():
    from grids.models import Building, Grid
    from organization import services as org
    from organization.models import Person, PoliticalStatus, UnitKind
    from resident_requests.models import Category

    tag = uuid.uuid4().hex[:6].upper()
    district = org.orgunit_create(
        kind=UnitKind.DISTRICT, name="bench", code=f"B{tag}D", parent=None
    )
    street = org.orgunit_create(
        kind=UnitKind.STREET, name="bench", code=f"B{tag}S", parent=district
    )
    community = org.orgunit_create(
        kind=UnitKind.COMMUNITY, name="bench", code=f"B{tag}C", parent=street
    )
    grid_unit = org.orgunit_create(
        kind=UnitKind.GRID, name="bench", code=f"B{tag}G", parent=community
    )
    leader = Person.objects.create(
        name="王网格", phone="13900000001", political_status=PoliticalStatus.MASSES
    )
    grid = Grid.objects.create(
        code=f"B{tag}", name="基准网格", community=community, unit=grid_unit, leader=leader
    )
    building = Building.objects.create(
        name="1幢", address="基准路1号", grid=grid, lat=32.2, lng=119.45
    )
    parent = Category.objects.create(name="基准", code=f"bench-{tag.lower()}")
    category = Category.objects.create(
        name="垃圾清运", code=f"bench-{tag.lower()}-x", parent=parent
    )
    return {
        "units": [grid_unit, community, street, district],
        "grid": grid,
        "building": building,
        "categories": [category, parent],
        "leader": leader,
    }


def submit(world, transaction, commit_times):
    from resident_requests.services import request_submit

    with transaction.atomic():
        # Registered first, so it runs first after the commit: the commit's time.
        transaction.on_commit(lambda: commit_times.append(time.time()))
        return request_submit(
            submitter_name="张三",
            submitter_phone="13812345678",
            building=world["building"],
            category=world["categories"][0],
            description="基准测试",
        )


def warm_up(world, receiver):
    from django.db import transaction

    times = []
    codes = [submit(world, transaction, times).code for _ in range(20)]
    receiver.wait_for(codes, 60)


def latency(world, receiver, count, transaction):
    commit_times: list[float] = []
    codes = []
    started = time.monotonic()
    for _ in range(count):
        codes.append(submit(world, transaction, commit_times).code)
    submit_seconds = time.monotonic() - started
    missing = receiver.wait_for(codes, 120)
    delays = [
        (receiver.arrivals[code] - commit) * 1000
        for code, commit in zip(codes, commit_times, strict=True)
        if code in receiver.arrivals
    ]
    print(
        f"latency: {count} submissions through request_submit in {submit_seconds:.1f} s "
        f"({count / submit_seconds:.0f}/s), commit → webhook:"
    )
    print(
        f"  p50 {percentile(delays, 50):.0f} ms   p95 {percentile(delays, 95):.0f} ms   "
        f"max {max(delays):.0f} ms   mean {statistics.mean(delays):.0f} ms   "
        f"not delivered: {len(missing)}"
    )


def throughput(receiver, count, Notification, notifications_enqueue, transaction):  # noqa: N803
    tag = uuid.uuid4().hex[:6]
    rows = [
        Notification(
            channel="wecom",
            template_key="request.overdue",
            context={
                "code": f"BENCH-{i}",
                "category": "基准",
                "deadline": "2026-11-25T08:00:00+08:00",
            },
            idempotency_key=f"bench:{tag}:{i}",
        )
        for i in range(count)
    ]
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows, batch_size=1000)
    started = time.time()
    notifications_enqueue(ids=[row.pk for row in created])
    published = time.time()
    keys = [f"BENCH-{i}" for i in range(count)]
    missing = receiver.wait_for(keys, 300)
    last = max(receiver.arrivals[k] for k in keys if k in receiver.arrivals)
    rate = (count - len(missing)) / (last - started)
    print(
        f"throughput: {count} notifications committed at once, published in "
        f"{published - started:.1f} s, all received after {last - started:.1f} s: "
        f"{rate:.0f} notifications/s (not delivered: {len(missing)})"
    )
    Notification.objects.filter(idempotency_key__startswith=f"bench:{tag}:").delete()


def cleanup(world):
    from notifications.models import Notification, ShortLink  # noqa: F401
    from resident_requests.models import ResidentRequest

    requests = ResidentRequest.objects.filter(grid=world["grid"])
    Notification.objects.filter(request_id__in=requests.values("pk")).delete()
    for request in requests:
        request.events.all().delete()
    requests.delete()
    world["building"].delete()
    world["grid"].delete()
    world["leader"].delete()
    for category in world["categories"]:
        category.delete()
    from organization import services as org

    for unit in world["units"]:
        org.orgunit_delete(unit=unit)


if __name__ == "__main__":
    main()
