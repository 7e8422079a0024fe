"""Shared parts of bench/load.py and bench/faults.py: the portal under gunicorn with its Celery
worker, a fake SMS provider that records every message, the data a submission needs, and an
asyncio load generator (aiohttp) with one cookie jar per simulated resident."""

import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
LOG_DIR = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/jingkou-bench"))

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
# ops/templates/500.html, in either language.
CLEAR_ERROR_PAGE_MARKERS = ("请稍后再试", "Please try again in a minute")


def portal_env(*, database_url: str, redis_url: str, redis_cache_url: str, port: int, sms_url: str):
    """The environment of every process of the portal under test (production settings)."""
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.load_settings",
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        HTTPS="false",
        BEHIND_PROXY="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        REDIS_CACHE_URL=redis_cache_url,
        CACHE_KEY_PREFIX=f"bench{port}",
        # Static files are looked up in place: the benchmark never asks for them.
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
        LOG_LEVEL="WARNING",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        SMS_HTTP_URL=sms_url,
        # Every message by SMS, so the fake provider sees every delivery.
        NOTIFICATIONS_ROUTES=json.dumps(
            {"resident": ["sms"], "staff": ["sms"], "department": ["sms"]}
        ),
        NOTIFICATIONS_PENDING_GRACE="5",
        NOTIFICATIONS_SENDING_LEASE="20",
        NOTIFICATIONS_RETRY_BACKOFF="2",
        PYTHONPATH=str(ROOT),
    )
    return env


def django_setup(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from bench.pgdb import ensure_database

    ensure_database(env.get("DATABASE_URL", ""))
    import django

    django.setup()


def ensure_data():
    """Migrate, create the bare view's table, and make sure a building and a category exist
    (a grid with a leader, so that submissions write notifications). Returns their ids."""
    from django.core.management import call_command
    from django.db import connection

    from bench.load_urls import BARE_FORM_TABLE, BARE_TABLE

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} "  # noqa: S608
            "(id bigserial PRIMARY KEY, created_at timestamptz NOT NULL)"
        )
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BARE_FORM_TABLE} "  # noqa: S608
            "(id bigserial PRIMARY KEY, name varchar(50) NOT NULL, phone varchar(11) NOT NULL, "
            "description text NOT NULL, created_at timestamptz NOT NULL)"
        )
    from grids.models import Building, Grid
    from organization import services as org
    from organization.models import OrgUnit, Person, PoliticalStatus, UnitKind
    from resident_requests.models import Category

    building = (
        Building.objects.filter(grid__leader__isnull=False)
        .select_related("grid")
        .order_by("pk")
        .first()
    )
    if building is None:
        district = OrgUnit.objects.filter(kind=UnitKind.DISTRICT).first() or org.orgunit_create(
            kind=UnitKind.DISTRICT, name="京口区", code="BENCH-D", parent=None
        )
        street = org.orgunit_create(
            kind=UnitKind.STREET, name="压测街道", code="BENCH-S", parent=district
        )
        community = org.orgunit_create(
            kind=UnitKind.COMMUNITY, name="压测社区", code="BENCH-C", parent=street
        )
        grid_unit = org.orgunit_create(
            kind=UnitKind.GRID, name="压测网格", code="BENCH-G", parent=community
        )
        leader = Person.objects.create(
            name="压测网格长", phone="13900009999", political_status=PoliticalStatus.MASSES
        )
        grid = Grid.objects.create(
            code="BENCH-G", name="压测网格", community=community, unit=grid_unit, leader=leader
        )
        building = Building.objects.create(
            name="1幢", address="压测路1号1幢", grid=grid, lat=32.2, lng=119.45
        )
    category = Category.objects.filter(active=True, parent__isnull=False).order_by("pk").first()
    if category is None:
        parent = Category.objects.create(name="环境卫生", code="bench-env")
        category = Category.objects.create(name="垃圾清运", code="bench-env-garbage", parent=parent)
    return building.pk, building.address, category.pk


def _vacuum(*models) -> None:
    """VACUUM ANALYZE the tables the runs fill and update, as autovacuum would (a machine's
    PostgreSQL may run without it, as this one does): otherwise every run reads the dead rows
    and stale statistics of the runs before it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def ensure_places(buildings: int = 2025, categories: int = 10) -> list[tuple[int, str, int]]:
    """(building id, address, category id) for `buildings` buildings of the bench's grid, on a
    lattice 200 m apart (farther than "me too"'s 250 m reach only diagonally: a few neighbours
    count as nearby), and `categories` leaf categories: so that a resident's first POST runs
    the "me too" look-up and, as in a real district, mostly finds nothing similar open.
    The grid's requests left open by earlier runs are closed first, so that every run starts
    alike (otherwise each run offers "me too" more often than the one before it)."""
    from grids.models import Building
    from notifications.models import Notification, ShortLink
    from resident_requests.models import (
        OPEN_STATUSES,
        Category,
        RequestEvent,
        ResidentRequest,
        Status,
    )

    first_id, _address, category_id = ensure_data()
    first = Building.objects.select_related("grid").get(pk=first_id)
    ResidentRequest.objects.filter(grid=first.grid, status__in=OPEN_STATUSES).update(
        status=Status.CLOSED
    )
    _vacuum(ResidentRequest, RequestEvent, Notification, ShortLink)
    parent = Category.objects.get(pk=category_id).parent
    leaves = list(Category.objects.filter(parent=parent, active=True).order_by("pk"))
    Category.objects.bulk_create(
        Category(name=f"压测小类{i}", code=f"bench-leaf-{i}", parent=parent)
        for i in range(len(leaves), categories)
    )
    leaves = list(Category.objects.filter(parent=parent, active=True).order_by("pk"))[:categories]
    side = int(buildings**0.5)
    have = Building.objects.filter(grid=first.grid).count()
    Building.objects.bulk_create(
        Building(
            name=f"{i}幢",
            address=f"压测路{i // side}号{i % side}幢",
            grid=first.grid,
            lat=32.15 + (i // side) * 0.0018,
            lng=119.40 + (i % side) * 0.0021,
        )
        for i in range(have, buildings)
    )
    places = Building.objects.filter(grid=first.grid).order_by("pk").values_list("pk", "address")
    return [(pk, address, leaf.pk) for pk, address in places[:buildings] for leaf in leaves]


class Process:
    """A child process in its own session, so that it and its children stop together."""

    def __init__(self, name: str, argv: list[str], env: dict):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = LOG_DIR / f"{name}.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def signal_group(self, sig) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout: float = 40) -> None:
        if self.popen.poll() is None:
            self.signal_group(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.popen.wait(10)
        self.log.close()


def start_gunicorn(env: dict, port: int) -> Process:
    proc = Process(
        f"gunicorn-{port}",
        [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "jingkou.wsgi"],
        env,
    )
    wait_http(f"http://127.0.0.1:{port}/healthz", 60)
    return proc


def start_worker(
    env: dict,
    name: str,
    concurrency: int = 2,
    *,
    pool: str = "prefork",
    queues: str = "notifications,celery",
) -> Process:
    return Process(
        name,
        [
            str(VENV_BIN / "celery"), "-A", "jingkou", "worker", "--loglevel=WARNING",
            f"--queues={queues}", f"--pool={pool}", f"--concurrency={concurrency}",
            f"--hostname={name}@bench", "--without-gossip", "--without-mingle",
        ],
        env,
    )  # fmt: skip


def start_notify_worker(env: dict, name: str) -> Process:
    """The worker of the "notifications" queue as deployed (deploy/systemd/
    jingkou-notify-worker.service, the Procfile's "notify"): one process, 16 threads. The form
    publishes nothing else."""
    return start_worker(env, name, 16, pool="threads", queues="notifications")


def start_beat(env: dict, name: str) -> Process:
    schedule = LOG_DIR / f"{name}-schedule"
    return Process(
        name,
        [
            str(VENV_BIN / "celery"),
            "-A",
            "jingkou",
            "beat",
            "--loglevel=WARNING",
            f"--schedule={schedule}",
        ],
        env,
    )


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class FakeSmsProvider:
    """An SMS provider's HTTP API on localhost: records the out_id of every message it gets.

    Like a provider that de-duplicates by out_id (notifications.channels.HttpSmsBackend sends the
    outbox row's idempotency key there), a repeated out_id is answered OK and not sent again:
    `received` has every call, `sent` what reached a phone.
    """

    def __init__(self, port: int, delay: float = 0.0):
        received: list[str] = []
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The answer in one write (flushed after each request): headers and body written
            # apart meet Nagle's algorithm and the client's delayed ACK, 40 ms a message.
            wbufsize = 65536

            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if delay:
                    time.sleep(delay)  # a provider that takes its time: batches last longer
                try:
                    out_id = json.loads(body).get("out_id", "")
                except ValueError:
                    # A sender killed mid-write (the fault runs do it on purpose) leaves a
                    # truncated body: nothing was received, and the provider says so.
                    self.send_error(400, "truncated message")
                    return
                with lock:
                    received.append(out_id)
                answer = b'{"code": "OK"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.received = received

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # A worker killed or timed out mid-request (the fault runs do it on purpose)
                # drops its connection: expected, not a traceback for the run's output.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def sent(self) -> set[str]:
        return set(self.received)

    def stop(self):
        self.server.shutdown()


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    # Error answers that were the portal's own "try again in a minute" page.
    clear_error_pages: int = 0
    # First POSTs answered with similar open requests ("me too"), then sent again.
    offered_similar: int = 0
    # Forms whose live look-up (request_form.js) showed similar open requests before sending.
    shown_similar: int = 0

    def answered(self, status: int, body: str) -> None:
        if status >= 500 and any(marker in body for marker in CLEAR_ERROR_PAGE_MARKERS):
            self.clear_error_pages += 1

    def ok(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{kind}: {what}")

    def line(self, kind: str, duration: float) -> str:
        values = sorted(self.latencies.get(kind, []))
        n, errors = len(values), self.errors.get(kind, 0)
        if not values:
            return f"{kind:<14} no successful request, {errors} errors"
        p50 = values[n // 2] * 1000
        p99 = values[min(n - 1, int(n * 0.99))] * 1000
        return (
            f"{kind:<14} {n / duration:8.1f} req/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   "
            f"{n:6d} ok   {errors} errors"
        )

    def rate(self, kind: str, duration: float) -> float:
        return len(self.latencies.get(kind, [])) / duration


_phones = itertools.count(int(time.time()) % 10**7 * 10)


def next_phone() -> str:
    return f"139{next(_phones) % 10**8:08d}"


async def submit_form(
    session,
    base: str,
    stats: Stats,
    place,
    kind: str = "form",
    phone: str | None = None,
    description: str = "楼道灯坏了，晚上很黑，请尽快维修。",
    me_too: bool = False,
    multipart: bool = False,
    live_lookup: bool = False,
) -> str | None:
    """GET the form, POST it filled in; the access token of the stored request, or None.
    `place`: (building id, address, category id), or a list of them to pick from. With
    `me_too`, the first POST is a resident's first (the "me too" look-up runs); when similar
    requests are offered, the resident says theirs is new and sends again. With `live_lookup`
    too, the page first asks for similar open requests as request_form.js does once the
    building and the kind are picked (GET /requests/new/similar/); the resident has seen what it
    showed, if anything, and the POST says theirs is new (confirm_new), as the script sets it.
    The POST is URL-encoded, as request_form.js sends a form without photos; with `multipart`,
    multipart with an empty photo field, as a browser without JavaScript sends it."""
    if isinstance(place, list):
        place = random.choice(place)  # noqa: S311 - picking a place to report
    building_id, building_address, category_id = place
    start = time.monotonic()
    try:
        async with session.get(f"{base}/requests/new/") as response:
            html = await response.text()
            if response.status != 200:
                stats.error(f"{kind} GET", f"HTTP {response.status}")
                stats.answered(response.status, html)
                return None
        stats.ok(f"{kind} GET", time.monotonic() - start)
        csrf, token = CSRF_RE.search(html).group(1), FORM_TOKEN_RE.search(html).group(1)
    except Exception as exc:
        stats.error(f"{kind} GET", repr(exc)[:200])
        return None
    data = {
        "csrfmiddlewaretoken": csrf,
        "form_token": token,
        "name": "压测居民",
        "phone": phone or next_phone(),
        "building_text": building_address,
        "building": str(building_id),
        "address": "2单元",
        "category": str(category_id),
        "description": description,
        "consent": "on",
        "confirm_new": "" if me_too else "1",
        "website": "",
        "request_type": "help",
    }
    import aiohttp

    if me_too and live_lookup:
        start = time.monotonic()
        query = {"building": str(building_id), "category": str(category_id), "token": token}
        try:
            async with session.get(f"{base}/requests/new/similar/", params=query) as response:
                found = await response.json(content_type=None)
                if response.status != 200:
                    stats.error(f"{kind} look-up", f"HTTP {response.status} {found!r:.120}")
                    return None
            stats.ok(f"{kind} look-up", time.monotonic() - start)
        except Exception as exc:
            stats.error(f"{kind} look-up", repr(exc)[:200])
            return None
        if found["results"]:
            stats.shown_similar += 1
        # Looked up for this building and kind: sent as new, the server does not look again.
        data["confirm_new"] = "1"

    def form_body():
        if not multipart:  # the empty file field as a URL-encoded form sends it: its name
            return {**data, "photos": ""}
        form = aiohttp.FormData()
        for key, value in data.items():
            form.add_field(key, value)
        form.add_field("photos", b"", filename="", content_type="application/octet-stream")
        return form

    start = time.monotonic()
    try:
        response = await session.post(
            f"{base}/requests/new/", data=form_body(), allow_redirects=False
        )
        if me_too and response.status == 200 and 'id="similar"' in await response.text():
            response.release()
            stats.offered_similar += 1
            data["confirm_new"] = "1"  # "Not the same": send again
            response = await session.post(
                f"{base}/requests/new/", data=form_body(), allow_redirects=False
            )
        async with response:
            body = await response.text()
            location = response.headers.get("Location", "")
            if response.status == 302 and "/requests/submitted/" in location:
                stats.ok(f"{kind} POST", time.monotonic() - start)
                return location.rstrip("/").rsplit("/", 1)[-1]
            stats.error(f"{kind} POST", f"HTTP {response.status} {body[:120]!r}")
            stats.answered(response.status, body)
    except Exception as exc:
        stats.error(f"{kind} POST", repr(exc)[:200])
    return None


async def bare_form_cycle(session, base: str, stats: Stats) -> None:
    """The bare cycle (bench/load_urls.py): GET a Django ModelForm page, POST it, one INSERT."""
    start = time.monotonic()
    try:
        async with session.get(f"{base}/bench/form/") as response:
            html = await response.text()
            if response.status != 200:
                stats.error("bare GET", f"HTTP {response.status}")
                return
        stats.ok("bare GET", time.monotonic() - start)
        data = {
            "csrfmiddlewaretoken": CSRF_RE.search(html).group(1),
            "name": "压测居民",
            "phone": next_phone(),
            "description": "楼道灯坏了，晚上很黑，请尽快维修。",
        }
        start = time.monotonic()
        async with session.post(
            f"{base}/bench/form/", data=data, allow_redirects=False
        ) as response:
            await response.read()
            if response.status == 302:
                stats.ok("bare POST", time.monotonic() - start)
            else:
                stats.error("bare POST", f"HTTP {response.status}")
    except Exception as exc:
        stats.error("bare cycle", repr(exc)[:200])


async def run_clients(clients: int, duration: float, iteration, until=None) -> float:
    """`clients` concurrent loops of `iteration(session)` for `duration` seconds, or until
    `until()` is true if given; the real duration."""
    import aiohttp

    deadline = time.monotonic() + duration
    connector_limit = clients + 5

    async def client():
        jar = aiohttp.CookieJar(unsafe=True)
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=connector_limit)
        async with aiohttp.ClientSession(
            cookie_jar=jar, timeout=timeout, connector=connector
        ) as session:
            while time.monotonic() < deadline and not (until and until()):
                await iteration(session)

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.monotonic() - started


# --- Memory: the resident set of each process of a Process (its session) ----------------------


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _process_stat(pid: int | str) -> tuple[int, int, str, float] | None:
    """(parent pid, session id, command name, CPU seconds so far) of `pid`, from one read of
    /proc/<pid>/stat; None for a process that is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            stat = file.read().decode(errors="replace")
    except OSError:
        return None
    close = stat.rindex(")")
    fields = stat[close + 2 :].split()  # field 3 (state) first
    return (
        int(fields[1]),
        int(fields[3]),
        stat[stat.index("(") + 1 : close],
        (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"),  # utime + stime
    )


def process_table() -> dict[int, tuple[int, int, str, float]]:
    """pid → _process_stat(pid) of every live process (the meter reads it twice a second, in
    this process)."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (stat := _process_stat(name)) is not None:
            table[int(name)] = stat
    return table


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) `pid` has spent so far; 0 for a process that is gone."""
    stat = _process_stat(pid)
    return 0.0 if stat is None else stat[3]


class CpuMeter:
    """The CPU seconds spent so far by each part of the run: the gunicorn and Celery sessions,
    this machine's PostgreSQL and Redis servers, and this process (the load generator and the
    fake SMS provider). Differences of two readings give a phase's cost per part.

    Processes come and go (gunicorn replaces a worker after max_requests, PostgreSQL's backends
    end with their connections): a thread reads every process's CPU time every `interval`
    seconds and keeps the last figure of each, so a process that ended still counts what it
    spent (but its last fraction of a second), and in the phase that spent it."""

    def __init__(self, processes: dict[str, "Process"], interval: float = 0.5):
        self.processes = processes
        self._seen: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        table = process_table()
        parts: dict[str, list[int]] = {name: [] for name in self.processes}
        parts.update(postgres=[], redis=[])
        sessions = {process.popen.pid: name for name, process in self.processes.items()}
        for pid, (_parent, session, comm, _cpu) in table.items():
            if session in sessions:
                parts[sessions[session]].append(pid)
            for server in ("postgres", "redis"):
                if comm.startswith(server):
                    parts[server].append(pid)
        parts["load generator"] = [os.getpid()]
        with self._lock:
            for name, pids in parts.items():
                for pid in pids:
                    spent = table[pid][3]
                    if spent >= self._seen.get((name, pid), 0.0):
                        self._seen[(name, pid)] = spent

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._sample()

    def read(self) -> dict[str, float]:
        self._sample()
        spent = dict.fromkeys([*self.processes, "postgres", "redis", "load generator"], 0.0)
        with self._lock:
            for (name, _pid), seconds in self._seen.items():
                spent[name] += seconds
        return spent

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


class MemorySampler:
    """Samples the RSS of every process of each Process (its main process and the workers it
    forks) every `interval` seconds in a thread: the largest seen per Process, and now."""

    def __init__(self, processes: dict[str, "Process"], interval: float = 1.0):
        self.processes = processes
        self.peak: dict[str, float] = dict.fromkeys(processes, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def sample(self, name: str) -> tuple[float | None, list[float]]:
        """(the main process's RSS, [its workers' RSS]) in MB, now."""
        main = self.processes[name].popen.pid
        workers = []
        for pid, (parent, session, _comm, _cpu) in process_table().items():
            if session == main and parent == main and (value := rss_mb(pid)) is not None:
                workers.append(value)
        return rss_mb(main), sorted(workers)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            for name in self.processes:
                main, workers = self.sample(name)
                self.peak[name] = max(self.peak[name], main or 0.0, *workers)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def report(self, name: str) -> str:
        main, workers = self.sample(name)
        listed = ", ".join(f"{value:.0f}" for value in workers) or "none"
        main_text = f"{main:.0f}" if main is not None else "?"
        return (
            f"{name}: main process {main_text} MB, workers {listed} MB; "
            f"largest during the run {self.peak[name]:.0f} MB"
        )
