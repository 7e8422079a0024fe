"""Profile of the request form in-process: GET the form, POST it, N cycles, with production
settings (DEBUG off, PostgreSQL, Redis, the outbox rows written) through the whole middleware
stack. Prints per cycle: milliseconds, SQL statements, Redis round trips, Redis client objects
built, and pickle.loads calls with their bytes; then cProfile's top functions. With
--no-profile, the CPU time of this process per cycle beside that of bench/load_urls.py's bare
insert view, called the same way.

    .venv/bin/python bench/load_profile.py                 # 40 cycles, top 25 by own time
    .venv/bin/python bench/load_profile.py --cycles 200 --top 40 --sort cumulative
    .venv/bin/python bench/load_profile.py --parts --cycles 300   # CPU per part of the path
    .venv/bin/python bench/load_profile.py --track --cycles 1000  # the tracking page's CPU
    .venv/bin/python bench/load_profile.py --me-too --cycles 100  # the "me too" answer's CPU
    .venv/bin/python bench/load_profile.py --lookup --cycles 2000 # the live look-up's CPU

DATABASE_URL (PostgreSQL) and REDIS_URL / REDIS_CACHE_URL say where, as for bench/load.py.
"""

import argparse
import cProfile
import io
import itertools
import os
import pickle
import pstats
import random
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load_support import (  # noqa: E402
    CSRF_RE,
    FORM_TOKEN_RE,
    django_setup,
    ensure_places,
    next_phone,
    portal_env,
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="a pstats sort key")
    parser.add_argument("--no-profile", action="store_true", help="time without cProfile")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="profile this process's CPU time (not the wall clock: waits for PostgreSQL and "
        "Redis, and other processes on a busy machine, then count for nothing)",
    )
    parser.add_argument(
        "--parts",
        action="store_true",
        help="without cProfile: the CPU time per cycle of each part of the path (PARTS), each "
        "timed alone around its call",
    )
    parser.add_argument(
        "--only",
        metavar="REGEX",
        help="list only the functions whose file:line(name) matches, e.g. 'resident_requests|core'",
    )
    parser.add_argument(
        "--trace", action="store_true", help="print one cycle's SQL and Redis commands first"
    )
    parser.add_argument(
        "--sql",
        action="store_true",
        help="without cProfile: the wall time per cycle of each SQL statement and COMMIT, "
        "summed by statement over the cycles (PostgreSQL's work plus a round trip)",
    )
    parser.add_argument(
        "--multipart",
        action="store_true",
        help="post the form multipart, as a browser without JavaScript does (request_form.js "
        "sends a form without photos URL-encoded)",
    )
    parser.add_argument(
        "--no-live-lookup",
        action="store_true",
        help='without the "me too" look-up request_form.js makes before sending (as every run '
        "before 2026-12-08 did); the first POST runs it either way",
    )
    parser.add_argument(
        "--lookup",
        action="store_true",
        help='the CPU time of this process per live "me too" look-up (request_form.js\'s GET '
        "/requests/new/similar/) beside the bare insert's, interleaved",
    )
    parser.add_argument(
        "--me-too",
        action="store_true",
        help='the CPU time of this process per "is it one of these?" answer (a first POST that '
        "finds a similar open request) beside that of a POST that stores its request",
    )
    parser.add_argument(
        "--track",
        action="store_true",
        help="the CPU time of this process per view of the tracking page (/requests/t/<token>/) "
        "beside the bare insert's, interleaved; with --no-profile unless profiled on purpose",
    )
    args = parser.parse_args()

    env = portal_env(
        database_url=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jk_ops"),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10"),
        redis_cache_url=os.environ.get("REDIS_CACHE_URL", "redis://127.0.0.1:6379/11"),
        port=0,
        sms_url="http://127.0.0.1:9/sms",
    )
    if not env["DATABASE_URL"].startswith("postgres"):
        sys.exit("bench/load_profile.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    # Tasks are queued, not run: the worker's time is not the page's.
    django_setup(env)
    import redis
    from django.db import connection
    from django.test import Client

    places = ensure_places()
    counts = {
        "sql": 0,
        "redis_trips": 0,
        "redis_clients": 0,
        "pickle_loads": 0,
        "pickle_bytes": 0,
        "me_too": 0,
    }

    trace: list[str] | None = None

    sql_times: dict[str, list] | None = None

    def count_sql(execute, sql, params, many, context):
        counts["sql"] += 1
        if sql_times is not None:
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                entry = sql_times.setdefault(_statement_name(sql), [0, 0.0])
                entry[0] += 1
                entry[1] += time.perf_counter() - started
        if trace is None:
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            trace.append(f"SQL   {(time.perf_counter() - started) * 1000:5.2f} ms  {sql[:140]}")

    real_send = redis.connection.AbstractConnection.send_packed_command
    real_init = redis.Redis.__init__
    real_loads = pickle.loads

    def send(self, command, *a, **kw):
        counts["redis_trips"] += 1
        if trace is not None:
            parts = command if isinstance(command, list) else [command]
            text = b" | ".join(bytes(p)[:120] for p in parts).replace(b"\r\n", b" ")
            trace.append(f"REDIS {text[:300]!r}")
        return real_send(self, command, *a, **kw)

    def init(self, *a, **kw):
        counts["redis_clients"] += 1
        return real_init(self, *a, **kw)

    def loads(data, *a, **kw):
        counts["pickle_loads"] += 1
        counts["pickle_bytes"] += len(data)
        return real_loads(data, *a, **kw)

    redis.connection.AbstractConnection.send_packed_command = send
    redis.Redis.__init__ = init
    pickle.loads = loads  # django.core.cache.backends.redis calls pickle.loads by attribute

    client = Client(enforce_csrf_checks=True, SERVER_NAME="127.0.0.1", REMOTE_ADDR="10.1.2.3")

    phases = {"GET": 0.0, "look-up": 0.0, "POST": 0.0}

    def cycle():
        started = time.perf_counter()
        html = client.get("/requests/new/").content.decode()
        posted = time.perf_counter()
        phases["GET"] += posted - started
        place = random.choice(places)  # noqa: S311
        data = form_fields(html, place, confirm_new="")
        if not args.no_live_lookup:
            # What request_form.js asks once the building and the kind are picked; then the
            # form is sent as new (confirm_new), as it sets: the resident has seen the answer.
            found = client.get(
                "/requests/new/similar/",
                {"building": place[0], "category": place[2], "token": data["form_token"]},
            )
            assert found.status_code == 200, found.status_code
            data["confirm_new"] = "1"
            looked_up = time.perf_counter()
            phases["look-up"] += looked_up - posted
            posted = looked_up
        # Otherwise a first POST: the "me too" look-up runs.

        def post(data):
            if args.multipart:
                return client.post("/requests/new/", data)
            return client.post(
                "/requests/new/",
                urlencode({**data, "photos": ""}),
                content_type="application/x-www-form-urlencoded",
            )

        response = post(data)
        if response.status_code == 200 and b'id="similar"' in response.content:
            counts["me_too"] += 1
            response = post({**data, "confirm_new": "1"})
        phases["POST"] += time.perf_counter() - posted
        assert response.status_code == 302 and "/submitted/" in response["Location"], (
            response.status_code,
            re.sub(r"\s+", " ", response.content.decode())[:500],
        )

    for _ in range(3):  # warm: imports, connections, caches, memoized widgets
        cycle()
    if args.trace:
        trace = []
        with connection.execute_wrapper(count_sql):
            cycle()
        print("\n".join(trace), end="\n\n")
        trace = None
    if args.track:
        _compare_tracking_with_bare(client, cycle, args.cycles)
        return
    if args.lookup:
        _compare_lookup_with_bare(client, places, args.cycles)
        return
    if args.me_too:
        _compare_me_too_with_stored(client, places, args.cycles)
        return
    for key in counts:
        counts[key] = 0
    phases.update({"GET": 0.0, "look-up": 0.0, "POST": 0.0})
    profiler = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
    parts = _time_parts() if args.parts else None
    if args.sql:
        sql_times = {}
        _time_commits(sql_times)
    with connection.execute_wrapper(count_sql):
        started = time.perf_counter()
        if profiler_on(args):
            profiler.enable()
        for _ in range(args.cycles):
            cycle()
        profiler.disable()
        elapsed = time.perf_counter() - started

    n = args.cycles
    cycle_name = "GET + POST" if args.no_live_lookup else "GET, look-up, POST"
    how = "under cProfile" if profiler_on(args) else "without cProfile"
    print(
        f"{n} cycles ({cycle_name}), {elapsed / n * 1000:.1f} ms a cycle {how} (GET "
        f"{phases['GET'] / n * 1000:.1f} ms, "
        + ("" if args.no_live_lookup else f"look-up {phases['look-up'] / n * 1000:.1f} ms, ")
        + f"POST {phases['POST'] / n * 1000:.1f} ms); per cycle: "
        f"{counts['sql'] / n:.1f} SQL statements, {counts['redis_trips'] / n:.1f} Redis round "
        f"trips, {counts['redis_clients'] / n:.1f} Redis client objects built, "
        f"{counts['pickle_loads'] / n:.1f} pickle.loads of {counts['pickle_bytes'] / n:.0f} bytes; "
        f"{counts['me_too']} of {n} first POSTs were offered similar requests and sent again"
    )
    if sql_times is not None:
        print("Wall time of each statement, per cycle (count, ms):")
        for name, (count, seconds) in sorted(sql_times.items(), key=lambda item: -item[1][1]):
            print(f"  {count / n:4.1f}  {seconds / n * 1000:6.2f} ms  {name}")
        return
    if parts is not None:
        print("CPU of each part, per cycle (a part's time includes the parts it calls):")
        for name, seconds in sorted(parts.items(), key=lambda item: -item[1]):
            print(f"  {seconds / n * 1000:6.2f} ms  {name}")
        return
    if args.no_profile:
        _compare_with_bare(cycle, n)
        return
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
    stats.print_stats(*([args.only] if args.only else []), args.top)
    if os.environ.get("PROFILE_CALLERS"):
        stats.print_callers(os.environ["PROFILE_CALLERS"])
    print(out.getvalue())


def profiler_on(args) -> bool:
    return not (args.no_profile or args.parts or args.sql)


def _statement_name(sql: str) -> str:
    """A statement's kind and table, e.g. 'INSERT INTO "notifications_notification"'."""
    sql = sql.lstrip()
    if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
        return sql.rsplit(" ", 1)[0]
    match = re.match(r'(INSERT INTO|UPDATE|DELETE FROM)\s+("?\w+"?)', sql) or re.search(
        r"FROM\s+(\"?\w+\"?)(?:\s+\w+)?", sql
    )
    if match is None:
        return sql[:60]
    if sql.startswith(("INSERT", "UPDATE", "DELETE")):
        return " ".join(match.groups())
    return "SELECT … FROM " + match.group(1)  # noqa: S608 (a label printed, not SQL run)


def _time_commits(sql_times: dict) -> None:
    """Add the wall time of each COMMIT (Django's, not an execute()) to `sql_times`."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    original = BaseDatabaseWrapper._commit

    def commit(self):
        started = time.perf_counter()
        try:
            return original(self)
        finally:
            entry = sql_times.setdefault("COMMIT", [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    BaseDatabaseWrapper._commit = commit


def form_fields(html: str, place, confirm_new: str) -> dict:
    """What a resident posts from the form page `html` at `place` (building id, address,
    category id); `confirm_new` "1" says the report is new ("me too" not offered)."""
    building_id, address, category_id = place
    return {
        "csrfmiddlewaretoken": CSRF_RE.search(html).group(1),
        "form_token": FORM_TOKEN_RE.search(html).group(1),
        "name": "压测居民",
        "phone": next_phone(),
        "building_text": address,
        "building": str(building_id),
        "address": "2单元",
        "category": str(category_id),
        "description": "楼道灯坏了，晚上很黑，请尽快维修。",
        "consent": "on",
        "confirm_new": confirm_new,
        "website": "",
        "request_type": "help",
    }


# The parts of the form's path --parts times: (module, attribute path).
PARTS = [
    ("resident_requests.forms", "RequestForm.__init__"),
    ("resident_requests.forms", "RequestForm.full_clean"),
    ("resident_requests.forms", "RequestForm._clean_building"),
    ("django.http.multipartparser", "MultiPartParser.parse"),
    ("resident_requests.selectors", "similar_open_requests"),
    ("resident_requests.ratelimit", "hit_all"),
    ("resident_requests.services", "request_submit"),
    # The request's and its event's INSERTs (core.rows.insert_row, by its name in services: a
    # wrapped Model.save would send insert_row back to the ORM's save).
    ("resident_requests.services", "insert_row"),
    ("notifications.services", "insert_new_rows"),
    ("resident_requests.messages", "event_messages_write"),
    ("notifications.services", "notifications_enqueue"),
]


def _time_parts() -> dict[str, float]:
    """Wrap each of PARTS so that the CPU time of its calls adds up, by name (the callers look
    them up on their module or class at each call, so the wrappers are what they call)."""
    import functools
    import importlib
    from collections import Counter

    spent: Counter = Counter()
    for module_name, path in PARTS:
        owner = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        original = getattr(owner, name)

        def timed(*args, _original=original, _name=path, **kwargs):
            started = time.process_time()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name] += time.process_time() - started

        setattr(owner, name, functools.wraps(original)(timed))
    return spent


def _backend_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend process so far."""
    from django.db import connection

    from bench.load_support import cpu_seconds

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cpu_seconds(cursor.fetchone()[0])


def _compare_with_bare(cycle, n: int, chunk: int = 10) -> None:
    """This process's CPU time per cycle of the form beside bench/load_urls.py's bare views,
    called the same way: interleaved in chunks of `chunk` (form, bare ModelForm, bare insert,
    again), so that whatever else the machine does weighs on all three alike."""
    from django.test import Client

    bare = Client(SERVER_NAME="127.0.0.1", REMOTE_ADDR="10.1.2.3")
    form_client = Client(enforce_csrf_checks=True, SERVER_NAME="127.0.0.1")

    def bare_insert():
        assert bare.post("/bench/insert/").status_code == 200

    def bare_cycle():
        html = form_client.get("/bench/form/").content.decode()
        # As a browser sends a form without a file field: URL-encoded (the portal's form, which
        # takes photos, is multipart).
        response = form_client.post(
            "/bench/form/",
            urlencode(
                {
                    "csrfmiddlewaretoken": CSRF_RE.search(html).group(1),
                    "name": "压测居民",
                    "phone": next_phone(),
                    "description": "楼道灯坏了，晚上很黑，请尽快维修。",
                }
            ),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 302, response.status_code

    runs = {"form": cycle, "bare_cycle": bare_cycle, "bare_insert": bare_insert}
    cpu = dict.fromkeys(runs, 0.0)
    database = dict.fromkeys(runs, 0.0)
    for run in runs.values():  # warm
        for _ in range(5):
            run()
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        for name, run in runs.items():
            backend_before = _backend_cpu()
            started = time.process_time()
            for _ in range(size):
                run()
            cpu[name] += time.process_time() - started
            database[name] += _backend_cpu() - backend_before
    form, bare_cycle_cpu, insert = (cpu[name] / n * 1000 for name in runs)
    print(
        f"CPU of this process, {n} of each, interleaved: the form cycle {form:.2f} ms; the bare "
        f"ModelForm cycle (GET + POST) {bare_cycle_cpu:.2f} ms: ratio {bare_cycle_cpu / form:.3f}; "
        f"the bare insert (one POST) {insert:.2f} ms: ratio {insert / form:.3f}"
    )
    form_db, bare_cycle_db, insert_db = (database[name] / n * 1000 for name in runs)
    print(
        f"CPU of PostgreSQL's backend for this process, per cycle: the form {form_db:.2f} ms, "
        f"the bare ModelForm cycle {bare_cycle_db:.2f} ms, the bare insert {insert_db:.2f} ms "
        f"(in ticks of {1000 / os.sysconf('SC_CLK_TCK'):.0f} ms: a rough figure)"
    )


def _compare_tracking_with_bare(client, cycle, n: int) -> None:
    """This process's CPU time per view of a resident's tracking page (their own request, its
    timeline and photos) beside bench/load_urls.py's bare insert, interleaved. The pages are
    those of requests this run submits."""
    from resident_requests.models import ResidentRequest

    for _ in range(20):
        cycle()
    tokens = list(
        ResidentRequest.objects.order_by("-pk").values_list("access_token", flat=True)[:20]
    )

    def track(i):
        response = client.get(f"/requests/t/{tokens[i % len(tokens)]}/")
        assert response.status_code == 200, response.status_code

    _compare_with_bare_insert("the tracking page", track, n)


def _compare_lookup_with_bare(client, places, n: int) -> None:
    """This process's CPU time per live "me too" look-up (GET /requests/new/similar/, what
    request_form.js asks once the building and the kind are picked) beside the bare insert's,
    interleaved; over the bench grid's places, each with a form page's own token."""
    # A form page may look up 30 times an hour: a page's token for every 25 look-ups (the 21
    # of warming and counting included), read before the timing.
    tokens = [
        FORM_TOKEN_RE.search(client.get("/requests/new/").content.decode()).group(1)
        for _ in range((n + 21) // 25 + 1)
    ]
    calls = itertools.count()
    found = 0

    def lookup(i):
        nonlocal found
        building, _address, category = places[(i * 7919) % len(places)]
        token = tokens[next(calls) // 25]
        response = client.get(
            "/requests/new/similar/", {"building": building, "category": category, "token": token}
        )
        assert response.status_code == 200, response.status_code
        found += bool(response.json()["results"])

    _compare_with_bare_insert("the look-up", lookup, n)
    print(f"look-ups that found similar open requests: {found}")


def _compare_with_bare_insert(label: str, run, n: int, chunk: int = 50) -> None:
    """This process's CPU time per call of `run(i)` beside bench/load_urls.py's bare insert,
    interleaved in chunks as in _compare_with_bare; and its SQL statements."""
    from django.db import connection
    from django.test import Client

    bare = Client(SERVER_NAME="127.0.0.1", REMOTE_ADDR="10.1.2.3")
    queries = {"n": 0}

    def count(execute, sql, params, many, context):
        queries["n"] += 1
        return execute(sql, params, many, context)

    def bare_insert(_i):
        assert bare.post("/bench/insert/").status_code == 200

    runs = {"page": run, "bare_insert": bare_insert}
    cpu = dict.fromkeys(runs, 0.0)
    database = dict.fromkeys(runs, 0.0)
    for each in runs.values():  # warm
        for i in range(20):
            each(i)
    with connection.execute_wrapper(count):
        run(1)
    page_queries = queries["n"]
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        for name, each in runs.items():
            backend_before = _backend_cpu()
            started = time.process_time()
            for i in range(start, start + size):
                each(i)
            cpu[name] += time.process_time() - started
            database[name] += _backend_cpu() - backend_before
    page, insert = (cpu[name] / n * 1000 for name in runs)
    print(
        f"CPU of this process, {n} of each, interleaved: {label} {page:.2f} ms "
        f"({page_queries} SQL statements); the bare insert (one POST) {insert:.2f} ms: "
        f"ratio {insert / page:.3f}"
    )
    page_db, insert_db = (database[name] / n * 1000 for name in runs)
    print(
        f"CPU of PostgreSQL's backend for this process, per answer: {label} {page_db:.2f} ms, "
        f"the bare insert {insert_db:.2f} ms (in ticks of "
        f"{1000 / os.sysconf('SC_CLK_TCK'):.0f} ms: a rough figure)"
    )


def _compare_me_too_with_stored(client, places, n: int) -> None:
    """This process's CPU time per answer "is it one of these?" beside that of a POST that
    stores its request: at a place picked at random, a POST that says its report is new (stored,
    and then open there), then a first POST at the same place (answered with the offer)."""

    def posted(data):
        started = time.process_time()
        response = client.post(
            "/requests/new/",
            urlencode({**data, "photos": ""}),
            content_type="application/x-www-form-urlencoded",
        )
        return response, time.process_time() - started

    def form_data(place, confirm_new):
        return form_fields(client.get("/requests/new/").content.decode(), place, confirm_new)

    cpu = {"stored": 0.0, "answer": 0.0}
    size = 0
    for i in range(n + 5):  # the first 5 warm
        place = random.choice(places)  # noqa: S311
        response, stored = posted(form_data(place, "1"))
        assert response.status_code == 302, response.status_code
        response, answer = posted(form_data(place, ""))
        assert response.status_code == 200 and b'id="similar"' in response.content
        size = len(response.content)
        if i >= 5:
            cpu["stored"] += stored
            cpu["answer"] += answer
    print(
        f'CPU of this process, {n} of each: the "me too" answer {cpu["answer"] / n * 1000:.2f} '
        f"ms ({size:,} bytes); a POST that stores its request {cpu['stored'] / n * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
