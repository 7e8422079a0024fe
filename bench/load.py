"""Load: the resident request form and the tracking page under gunicorn with PostgreSQL and Redis,
50 concurrent clients for 60 s each, beside two bare views (same server, same run): a bare
Django ModelForm cycle (GET the page, POST it: one INSERT, issue 15's yardstick) and a POST that
inserts one row with one SQL statement. Each client's form cycle is what request_form.js does:
GET the page, ask for similar open requests once the building and the kind are picked (the live
"me too" look-up), POST the form URL-encoded as the script sends a form without photos, saying
it was looked up (so the server does not look again) (`--no-live-lookup`: no look-up before
sending, so the first POST runs it and may be answered with them; with `--multipart` as well, a
browser without JavaScript). Prints req/s, p50/p99 and errors per kind, and the form's rate as a
share of each bare view's. The four phases run in turn three times (`--rounds`), each time for a
third of the phase's seconds, so that the machine's drift during a run (on a shared 2-core
machine the same phase measured ±30 % from one minute to the next) falls on every phase alike;
each round's ratios are printed too. The tracking page is measured once the Celery worker has
sent the form phase's messages (the time that took is printed too), so that its figure is the
page's own. At the end it prints the resident set (RSS) of the gunicorn workers and of the
Celery worker's processes, now and the largest seen during the run.

    .venv/bin/python bench/load.py            # 50 clients, 60 s per phase (about 4 minutes)
    .venv/bin/python bench/load.py --short    # 10 clients, 5 s per phase, one round (CI)
    .venv/bin/python bench/load.py --rounds 1 # each phase once, as before 2026-12-08
    .venv/bin/python bench/load.py --submissions 10000   # memory: the form phase runs until
        # 10,000 submissions are stored, with gunicorn's worker recycling (max_requests) off,
        # so that the RSS printed is that of workers that served all of them

DATABASE_URL (PostgreSQL) and REDIS_URL / REDIS_CACHE_URL say where; by default the ops
engineer's database jk_ops and Redis databases 10 and 11. The port is 8107.
"""

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load_support import (  # noqa: E402
    CpuMeter,
    FakeSmsProvider,
    MemorySampler,
    Stats,
    bare_form_cycle,
    django_setup,
    ensure_places,
    portal_env,
    run_clients,
    start_gunicorn,
    start_notify_worker,
    submit_form,
)

# The answer counted for each phase: a bare insert, a cycle (by its POST), a page.
ANSWER_KIND = {
    "bare": "bare insert",
    "bare form": "bare POST",
    "form": "form POST",
    "track": "track GET",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="10 clients, 5 s per phase")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument(
        "--submissions",
        type=int,
        help="run the form phase until this many submissions are stored (no worker recycling)",
    )
    parser.add_argument(
        "--multipart",
        action="store_true",
        help="post the form multipart, as a browser without JavaScript does",
    )
    parser.add_argument(
        "--no-live-lookup",
        action="store_true",
        help='without the "me too" look-up request_form.js makes before sending (as every run '
        "before 2026-12-08 did): the first POST runs it and, when similar requests are open, "
        "is answered with them and sent again; with --multipart, a browser without JavaScript",
    )
    parser.add_argument(
        "--buildings",
        type=int,
        default=2025,
        help="the bench grid's buildings the form posts to (a lattice 200 m apart): more of them, "
        'fewer first POSTs offered "me too" as the run fills the grid with open requests',
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="run the four phases this many times in turn, each for its share of --seconds "
        "(default 3; 1 with --short or --submissions): a drift of the machine's speed during "
        "the run then falls on every phase alike instead of on whichever ran then",
    )
    args = parser.parse_args()
    clients = args.clients or (10 if args.short else 50)
    seconds = args.seconds or (5.0 if args.short else 60.0)
    rounds = args.rounds or (1 if args.short or args.submissions else 3)
    if rounds < 1:
        parser.error("--rounds must be at least 1")
    if rounds > 1 and args.submissions:
        parser.error("--submissions runs one form phase to its count: use it with --rounds 1")

    sms = FakeSmsProvider(args.port + 1)
    env = portal_env(
        database_url=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jk_ops"),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10"),
        redis_cache_url=os.environ.get("REDIS_CACHE_URL", "redis://127.0.0.1:6379/11"),
        port=args.port,
        sms_url=sms.url,
    )
    if not env["DATABASE_URL"].startswith("postgres"):
        sys.exit("bench/load.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    # gunicorn's max_requests off: the workers that served the run are the ones measured
    # (--submissions), and no phase pays for a worker's replacement (1.65 s of imports, some
    # 0.8 ms a request over 2,000 requests) that falls in it by chance: with it on, the
    # replacements landed in one phase or another and moved the same-run ratios by half.
    env["GUNICORN_CMD_ARGS"] = "--max-requests 0"
    django_setup(env)
    from django.db import connection
    from django.db.models import Count, Q

    from notifications.models import Notification, NotificationStatus
    from resident_requests.models import ResidentRequest

    def wait_for_outbox(after_id: int, timeout: float) -> float:
        """Seconds until no message of this run (rows after `after_id`) waits to be sent."""
        started = time.monotonic()
        waiting = Notification.objects.filter(
            pk__gt=after_id,
            status__in=[
                NotificationStatus.PENDING,
                NotificationStatus.SENDING,
                NotificationStatus.FAILED,
            ],
        )
        while waiting.exists() and time.monotonic() - started < timeout:
            time.sleep(0.2)
        connection.close()
        return time.monotonic() - started

    def last_notification() -> int:
        return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    places = ensure_places(buildings=args.buildings)
    connection.close()
    base = f"http://127.0.0.1:{args.port}"
    web = start_gunicorn(env, args.port)
    worker = start_notify_worker(env, f"load-worker-{args.port}")
    memory = MemorySampler({"gunicorn": web, "celery worker": worker})
    cpu_meter = CpuMeter({"gunicorn": web, "celery worker": worker})
    cpu: dict[str, dict[str, float]] = {}  # phase → part → CPU seconds
    import multiprocessing

    form_phase = (
        f"the form phase until {args.submissions} submissions are stored"
        if args.submissions
        else ""
    )
    print(
        f"gunicorn: {os.cpu_count()} cores → workers and threads per deploy/gunicorn.conf.py, "
        "not recycled; Celery: the notifications worker, 16 threads; "
        f"{clients} clients, {seconds:.0f} s per phase"
        f"{f' in {rounds} rounds of {seconds / rounds:.0f} s' if rounds > 1 else ''}"
        f"{'; ' + form_phase if form_phase else ''}; "
        f"PostgreSQL + Redis; load generator in this process (same "
        f"{multiprocessing.cpu_count()} cores); load average before: "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    stats = Stats()
    tokens: list[str] = []
    try:
        before = ResidentRequest.objects.count()

        async def form(session):
            token = await submit_form(
                session,
                base,
                stats,
                places,
                me_too=True,
                multipart=args.multipart,
                live_lookup=not args.no_live_lookup,
            )
            if token:
                tokens.append(token)

        async def track(session):
            if not tokens:
                stats.error("track GET", "no stored request to track")
                await asyncio.sleep(1)
                return
            token = random.choice(tokens)  # noqa: S311 - picking a page to load
            start = time.monotonic()
            try:
                async with session.get(f"{base}/requests/t/{token}/") as response:
                    await response.read()
                    if response.status == 200:
                        stats.ok("track GET", time.monotonic() - start)
                    else:
                        stats.error("track GET", f"HTTP {response.status}")
            except Exception as exc:
                stats.error("track GET", repr(exc)[:200])

        async def bare(session):
            start = time.monotonic()
            try:
                async with session.post(f"{base}/bench/insert/") as response:
                    await response.read()
                    if response.status == 200:
                        stats.ok("bare insert", time.monotonic() - start)
                    else:
                        stats.error("bare insert", f"HTTP {response.status}")
            except Exception as exc:
                stats.error("bare insert", repr(exc)[:200])

        async def bare_cycle(session):
            await bare_form_cycle(session, base, stats)

        # Warm up: every gunicorn worker imports the views and opens its connections first.
        warmup = Stats()

        async def warm(session):
            await submit_form(
                session, base, warmup, places, me_too=True, live_lookup=not args.no_live_lookup
            )

        last_before_run = last_notification()
        asyncio.run(run_clients(clients, 3.0, warm))
        wait_for_outbox(after_id=last_before_run, timeout=60)  # the warm-up's messages
        before = ResidentRequest.objects.count()
        first_notification = last_notification()
        durations: dict[str, float] = {}
        # The worker sends a few messages per submission: give a long form phase its time.
        drain_limit = max(180.0, (args.submissions or 0) * 0.06)
        drain_seconds = 0.0
        phases = (("bare", bare), ("bare form", bare_cycle), ("form", form), ("track", track))
        # What each phase answered in each round: (answers, seconds), for the per-round ratios.
        per_round: list[dict[str, tuple[int, float]]] = []
        for _round in range(rounds):
            this_round = {}
            for name, iteration in phases:
                answers_before = len(stats.latencies.get(ANSWER_KIND[name], []))
                cpu_before = cpu_meter.read()
                if name == "form" and args.submissions:
                    took = asyncio.run(
                        run_clients(
                            clients,
                            24 * 3600,
                            iteration,
                            until=lambda: len(tokens) >= args.submissions,
                        )
                    )
                else:
                    took = asyncio.run(run_clients(clients, seconds / rounds, iteration))
                cpu_after = cpu_meter.read()
                durations[name] = durations.get(name, 0.0) + took
                spent = cpu.setdefault(name, dict.fromkeys(cpu_after, 0.0))
                for part in cpu_after:
                    spent[part] += cpu_after[part] - cpu_before[part]
                answers = len(stats.latencies.get(ANSWER_KIND[name], [])) - answers_before
                this_round[name] = (answers, took)
                if name == "form":
                    # The worker delivers the form phase's messages (SMS to every grid leader)
                    # before the tracking page is measured: otherwise the tracking figure would
                    # measure that backlog, larger the faster the form is. Printed below: the
                    # longest it took.
                    drain_seconds = max(
                        drain_seconds,
                        wait_for_outbox(after_id=first_notification, timeout=drain_limit),
                    )
            per_round.append(this_round)
        stored = ResidentRequest.objects.count() - before
        # Once the tracking phase is over and the outbox is sent: what the processes now hold.
        wait_for_outbox(after_id=first_notification, timeout=60)
        # Every message of the run delivered: the fake provider accepts them all, so a row left
        # pending, failed or dead is the portal's fault.
        is_sent = Q(status=NotificationStatus.SENT)
        outbox = Notification.objects.filter(pk__gt=first_notification).aggregate(
            sent=Count("pk", filter=is_sent), unsent=Count("pk", filter=~is_sent)
        )
        sent, unsent = outbox["sent"], outbox["unsent"]
        connection.close()
        memory.stop()
        memory_lines = [memory.report("gunicorn"), memory.report("celery worker")]
    finally:
        memory.stop()
        cpu_meter.stop()
        worker.stop()
        web.stop()
        sms.stop()

    print()
    print(stats.line("bare insert", durations["bare"]))
    print(stats.line("bare GET", durations["bare form"]))
    print(stats.line("bare POST", durations["bare form"]))
    print(stats.line("form GET", durations["form"]))
    if "form look-up" in stats.latencies:
        print(stats.line("form look-up", durations["form"]))
    print(stats.line("form POST", durations["form"]))
    print(stats.line("track GET", durations["track"]))
    bare_rate = stats.rate("bare insert", durations["bare"])
    cycle_rate = stats.rate("bare POST", durations["bare form"])
    submit_rate = stats.rate("form POST", durations["form"])
    track_rate = stats.rate("track GET", durations["track"])
    cycle = "GET + POST" if args.no_live_lookup else "GET, look-up, POST"
    if cycle_rate:
        # Issue 15's goal: the form's cycle against the bare ModelForm's (GET + POST each).
        print(
            f"\nratio to the bare ModelForm cycle (GET + POST, one INSERT): form submission "
            f"({cycle}) {submit_rate / cycle_rate:.2f}; "
            f"tracking page (one GET) {track_rate / cycle_rate:.2f}"
        )
    if bare_rate:
        print(
            f"ratio to the bare insert view (one POST, one SQL INSERT): form submission "
            f"({cycle}) {submit_rate / bare_rate:.2f} submissions per bare insert; "
            f"tracking page {track_rate / bare_rate:.2f}"
        )
    if rounds > 1:
        # Each round's own ratios: how much the machine moved the figures during the run.
        for number, figures in enumerate(per_round, 1):
            rate = {name: n / took if took else 0.0 for name, (n, took) in figures.items()}
            parts = []
            if rate["bare form"]:
                parts.append(
                    f"form {rate['form'] / rate['bare form']:.2f} of the bare ModelForm cycle"
                )
            if rate["bare"]:
                parts.append(f"tracking page {rate['track'] / rate['bare']:.2f} of the bare insert")
            print(f"  round {number}: {'; '.join(parts)}")
    # What each answer cost each part of the machine, same run: CPU ms per bare insert, per
    # cycle (GET + POST) of either form, per tracking page. Gunicorn's figures are the web
    # server's own cost, whatever else shares the cores.
    done = {name: len(stats.latencies.get(kind, [])) for name, kind in ANSWER_KIND.items()}
    print(
        "CPU ms per answer, by part (bare insert / bare ModelForm cycle / form cycle / tracking page):"
    )
    for part in cpu["form"]:
        figures = " / ".join(
            f"{cpu[phase][part] * 1000 / done[phase]:.2f}" if done[phase] else "-"
            for phase in ("bare", "bare form", "form", "track")
        )
        print(f"  {part:15} {figures}")
    web_cpu = {phase: cpu[phase]["gunicorn"] * 1000 / n for phase, n in done.items() if n}
    if {"bare form", "form", "bare", "track"} <= web_cpu.keys():
        print(
            f"the web server's CPU per answer, same run: the form cycle "
            f"{web_cpu['bare form'] / web_cpu['form']:.2f} of the bare ModelForm cycle's cost; "
            f"the tracking page {web_cpu['bare'] / web_cpu['track']:.2f} of the bare insert's"
        )
    print(
        f"each form phase's outbox was done (no row waiting or retrying) within "
        f"{drain_seconds:.1f} s of its end"
        if drain_seconds < drain_limit
        else f"a form phase's outbox still had rows waiting or retrying after {drain_limit:.0f} s"
    )
    print(f"the run's notifications: {sent} sent, {unsent} not sent")
    posted = len(stats.latencies.get("form POST", []))
    print(f"submissions answered as stored: {posted}; new rows in the database: {stored}")
    if args.no_live_lookup:
        print(
            f'the "me too" look-up ran on every first POST ({len(places):,} building and '
            f"category pairs); {stats.offered_similar} were offered similar open requests and "
            "sent again"
        )
    else:
        print(
            f'the "me too" look-up ran before every POST, from the page ({len(places):,} '
            f"building and category pairs): it showed similar open requests on "
            f"{stats.shown_similar} of {posted} forms; every form was then sent as new"
        )
    print(f"memory (RSS) after {stored} submissions:")
    for line in memory_lines:
        print(f"  {line}")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    errors = sum(stats.errors.values())
    print(f"errors: {errors}")
    for sample in stats.error_samples:
        print(f"  {sample}")
    if errors or stored != posted or unsent or not sent or drain_seconds >= drain_limit:
        sys.exit(1)


if __name__ == "__main__":
    main()
