"""Benchmark the Cases inbox and the case page at 10,000 partners x 12 quarters x 3 raters.

    python bench/cases.py [--requests 60] [--min-cases 1000] [--heavy-share 4] [--reuse]
                          [--database-url postgres://postgres@127.0.0.1:5432/ph_bench_dashboard]

Run it with the interpreter of the environment to measure (``.venv/bin/python bench/cases.py``).
It works on the database of ``bench/dashboard.py`` (seeded here the same way unless --reuse finds it).

1. Migrates the database, timing each migration not yet applied (the data
   migration 0009 turns the alerts already there into cases).
2. If there are fewer than --min-cases cases, replays decline detection over
   every quarter for every active partner, as ``scan_trends --all-periods``
   does (``partner_evaluate(all_periods=True)``, on two processes): cases open,
   findings join them, some resolve by themselves. Then people triage a share
   of them through the services (acknowledge, assign, snooze, resolve by hand),
   and one account manager, ``bench-am-heavy``, is made an owner of every
   --heavy-share-th partner: an account manager with many partners and cases.
3. Measures in-process (Django's test Client, DEBUG off) for that manager and
   for leadership: the inbox's default view, filtered views (state, severity,
   partner search), page 2, and the case page walking 60 different cases,
   --requests of each, all the views taken in turn (round i requests each view
   once) so that a burst of load on a shared machine falls on every view alike.
   Prints p50 and p95 and the queries of each view, PASS/FAIL against p95 <= 50 ms,
   and whether every view costs the same queries for a manager with few cases
   as for one with many (and a case with a short history as one with a long one).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dashboard import (  # noqa: E402  (bench/ is not a package; the dashboard bench seeds the same database)
    LEADER,
    count_queries,
    percentile,
    recreate_database,
    seed,
    setup_django,
)

TARGET_P95_MS = 50
HEAVY = "bench-am-heavy"
CHUNK_PARTNERS = 250


# --- migrations --------------------------------------------------------------------


def migrate_timed() -> list[tuple[str, float]]:
    """Apply every migration not yet applied; (name, seconds) for each, in order."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    timings: list[tuple[str, float]] = []
    started: dict[str, float] = {}

    def progress(action, migration=None, fake=False):
        if action == "apply_start":
            started[migration.name] = time.perf_counter()
        elif action == "apply_success":
            timings.append((f"{migration.app_label}.{migration.name}", time.perf_counter() - started[migration.name]))

    executor = MigrationExecutor(connection, progress_callback=progress)
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    if plan:
        executor.migrate(targets, plan=plan)
    # The command itself as well: its post-migrate handlers (content types, permissions, groups).
    call_command("migrate", verbosity=0)
    return timings


# --- cases ---------------------------------------------------------------------------


def _replay_chunk(partner_ids: list[int]) -> tuple[int, int, list[str]]:
    from django.db import connections

    from assessments.selectors.alerts import trend_titles
    from assessments.services.alerts import partner_evaluate

    try:
        titles = trend_titles()
        created = deliveries = 0
        failures = []
        for pid in partner_ids:
            try:
                report = partner_evaluate(partner_id=pid, all_periods=True, titles=titles)
            except Exception as error:  # as trends_scan does: one partner's failure does not stop the others
                failures.append(f"{pid}: {error!r}")
                continue
            created += report.alerts_created
            deliveries += report.deliveries_created
        return created, deliveries, failures
    finally:
        connections.close_all()


def replay_detection() -> dict:
    """``scan_trends --all-periods`` over every active partner, chunked over two processes."""
    from django.db import connections

    from assessments.models import Partner

    ids = list(
        Partner.objects.filter(is_active=True, snapshots__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()
    )
    connections.close_all()
    chunks = [ids[i : i + CHUNK_PARTNERS] for i in range(0, len(ids), CHUNK_PARTNERS)]
    started = time.perf_counter()
    created = deliveries = 0
    failures: list[str] = []
    with get_context("fork").Pool(2) as pool:
        for c, d, f in pool.imap_unordered(_replay_chunk, chunks):
            created, deliveries, failures = created + c, deliveries + d, failures + f
    return {
        "partners": len(ids),
        "alerts": created,
        "deliveries": deliveries,
        "failures": failures,
        "seconds": time.perf_counter() - started,
    }


def triage(seed_value: int = 20261126) -> dict[str, int]:
    """People act on a share of the unresolved cases, through the services, as they would on the pages."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from assessments.models import Case
    from assessments.services.case_triage import case_acknowledge, case_assign, case_resolve, case_snooze

    rng = random.Random(seed_value)
    leader = get_user_model().objects.get(username=LEADER)
    today = timezone.localdate()
    done = dict.fromkeys(["acknowledged", "assigned", "snoozed", "resolved by hand"], 0)
    cases = list(Case.objects.exclude(state=Case.State.RESOLVED).prefetch_related("partner__owners").order_by("id"))
    for case in cases:
        owners = list(case.partner.owners.all())
        owner = rng.choice(owners) if owners else leader
        roll = rng.random()
        if roll < 0.35:
            case_acknowledge(case_id=case.pk, user=owner, note="Called their account lead; a QBR is booked.")
            done["acknowledged"] += 1
        if rng.random() < 0.3:
            case_assign(case_id=case.pk, user=leader, assignee=rng.choice([owner, leader]), note="Yours to follow up.")
            done["assigned"] += 1
        if 0.35 <= roll < 0.45:
            case_snooze(
                case_id=case.pk,
                user=owner,
                until=today + dt.timedelta(days=rng.randint(7, 60)),
                note="Waiting for their reorganisation to settle.",
            )
            done["snoozed"] += 1
        elif 0.45 <= roll < 0.48:
            case_resolve(
                case_id=case.pk,
                user=owner,
                resolution=rng.choice(["false_alarm", "partnership_ended"]),
                note="Settled at the quarterly review.",
            )
            done["resolved by hand"] += 1
    return done


def heavy_manager(share: int):
    """An account manager who owns every ``share``-th partner (created once)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from assessments.models import Partner
    from assessments.roles import Role

    User = get_user_model()
    user = User.objects.filter(username=HEAVY).first()
    if user is None:
        template = User.objects.get(username="am001")
        user = User.objects.create(
            username=HEAVY,
            email="heavy@bench.example",
            first_name="Hana",
            last_name="Heavy",
            password=template.password,
        )
        Group.objects.get(name=Role.ACCOUNT_MANAGER.value).user_set.add(user)
        Through = Partner.owners.through
        Through.objects.bulk_create(
            [
                Through(partner_id=pid, user_id=user.id)
                for pid in Partner.objects.values_list("id", flat=True)
                if pid % share == 0
            ],
            batch_size=2000,
        )
        # What autovacuum would do after such a change: the planner should know her book is large.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE assessments_partner_owners")
    return user


def describe_cases() -> None:
    from django.db.models import Count

    from assessments.models import Alert, Case, CaseEvent

    states = dict(Case.objects.values_list("state").annotate(n=Count("id")).order_by())
    severities = dict(Case.objects.values_list("severity").annotate(n=Count("id")).order_by())
    cases = sum(states.values())
    findings = Alert.objects.filter(case__isnull=False).count()
    events = CaseEvent.objects.count()
    print(
        f"cases: {cases:,} ({', '.join(f'{k} {v:,}' for k, v in sorted(states.items()))}; "
        f"{', '.join(f'{k} {v:,}' for k, v in sorted(severities.items()))}); "
        f"{findings:,} findings in cases ({findings / max(cases, 1):.1f} per case), "
        f"{events:,} events ({events / max(cases, 1):.1f} per case); "
        f"watch findings outside cases: {Alert.objects.filter(case__isnull=True).count():,}"
    )


# --- measuring ---------------------------------------------------------------------


def timed_in_turn(views: list[tuple], n: int) -> list[list[float]]:
    """Request times in ms for each of ``views`` ((client, urls) pairs), n each, the views taken in turn.

    Round i requests every view's i-th URL (a list of one URL repeats it), so a burst of load from
    another process on this shared machine falls on every view alike instead of on whichever
    view was being measured then. Five warm-up rounds are dropped.
    """
    times: list[list[float]] = [[] for _ in views]
    for i in range(n + 5):
        for j, (client, urls) in enumerate(views):
            url = urls[i % len(urls)]
            started = time.perf_counter()
            response = client.get(url, secure=True)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            if i >= 5:
                times[j].append(elapsed)
    return times


def inbox_rows(client, url: str) -> tuple[int, str]:
    import re

    page = client.get(url, secure=True).content.decode()
    rows = len(re.findall(r'<th scope="row" class="text-break"><a href="/cases/\d+/">', page))
    of = re.search(r"Page \d+ of (\d+)", page)
    return rows, of.group(1) if of else "1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument(
        "--min-cases",
        type=int,
        default=1000,
        help="replay detection over every quarter if there are fewer cases than this",
    )
    parser.add_argument(
        "--heavy-share", type=int, default=4, help="bench-am-heavy owns every n-th partner (created once)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded bench database")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ph_bench_dashboard")
    args = parser.parse_args()

    db = urlparse(args.database_url).path.lstrip("/")
    probe = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            db,
            "-tAc",
            "SELECT COUNT(*) FROM assessments_partnersnapshot",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    reuse = args.reuse and probe.returncode == 0 and int(probe.stdout.strip() or 0) > 0
    if not reuse:
        recreate_database(args.database_url)
    # An in-memory broker and the bench's own var/: nothing reaches a worker or a mailbox of anyone else.
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("CELERY_BROKER_URL", "memory://localhost/")
    setup_django(args.database_url)

    timings = migrate_timed()
    if timings:
        total = sum(seconds for _, seconds in timings)
        print(f"migrations applied: {len(timings)} in {total:.1f}s")
        for name, seconds in timings:
            print(f"  {name}: {seconds:.2f}s")
    else:
        print("migrations: none to apply")
    if reuse:
        print("reusing the seeded bench database")
    else:
        print("seeding 10,000 partners x 12 quarters x 3 raters (bench/dashboard.py's seed) ...", flush=True)
        seed(partners=10_000, quarters=12, raters=3)

    from django.db import connection

    from assessments.models import Case, CaseEvent

    if Case.objects.count() < args.min_cases:
        print(f"fewer than {args.min_cases:,} cases: replaying decline detection over every quarter ...", flush=True)
        replay = replay_detection()
        print(
            f"  replayed {replay['partners']:,} partners (as scan_trends --all-periods, 2 processes): "
            f"{replay['alerts']:,} new findings, {replay['deliveries']:,} e-mails queued, "
            f"{len(replay['failures'])} failures, {replay['seconds']:.0f}s"
        )
        for failure in replay["failures"][:5]:
            print(f"  failed: {failure}")
    if not CaseEvent.objects.filter(kind=CaseEvent.Kind.ASSIGNED).exists():
        started = time.perf_counter()
        done = triage()
        print(
            f"  triage through the services: {', '.join(f'{k} {v:,}' for k, v in done.items())} "
            f"({time.perf_counter() - started:.0f}s)"
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    heavy = heavy_manager(args.heavy_share)
    describe_cases()

    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client

    from assessments.selectors.cases import cases_visible_to

    User = get_user_model()
    leader = User.objects.get(username=LEADER)
    # The account manager (other than the heavy one) with the fewest cases, for the query-count comparison.
    light = (
        User.objects.filter(username__startswith="am", owned_partners__cases__isnull=False)
        .annotate(n=Count("owned_partners__cases", distinct=True))
        .order_by("n", "id")
        .first()
    )
    counts = {u.username: cases_visible_to(u).count() for u in (light, heavy, leader)}
    open_counts = {u.username: cases_visible_to(u).exclude(state="resolved").count() for u in (light, heavy, leader)}
    print(
        f"viewers: {heavy.username} owns {heavy.owned_partners.count():,} partners and sees {counts[heavy.username]:,} "
        f"cases ({open_counts[heavy.username]:,} unresolved); {LEADER} sees {counts[LEADER]:,} "
        f"({open_counts[LEADER]:,}); {light.username} sees {counts[light.username]} (the fewest, for the query counts)"
    )

    views = {
        "default view": "/cases/",
        "state=acknowledged": "/cases/?state=acknowledged",
        "state=all": "/cases/?state=all",
        "severity=critical": "/cases/?severity=critical",
        "search q=partner 01": "/cases/?q=partner+01&state=all",
        "page 2": "/cases/?page=2",
        "all, by partner, p2": "/cases/?state=all&sort=partner&page=2",
    }
    rng = random.Random(7)
    results: list[tuple[str, str, float, float, int, str]] = []
    same_queries: list[tuple[str, bool, str]] = []
    clients = {}
    for user in (light, heavy, leader):
        clients[user.username] = Client()
        clients[user.username].force_login(user)

    # Every view of both viewers, with its queries, rows and size, then all of them timed in turn.
    measured = []  # (user, label, shown, client, urls, queries, detail)
    for user in (heavy, leader):
        client = clients[user.username]
        for label, url in views.items():
            rows, pages = inbox_rows(client, url)
            size = len(client.get(url, secure=True).content)
            queries = count_queries(client, url)
            detail = f"{queries} queries, {rows} rows (of {pages} pages), {size / 1024:.0f} KiB"
            measured.append((user.username, label, url, client, [url], queries, detail))
        ids = list(cases_visible_to(user).values_list("pk", flat=True))
        walk = [f"/cases/{pk}/" for pk in rng.sample(ids, min(len(ids), args.requests + 5))]
        queries = {count_queries(client, url) for url in walk[:10]}
        size = len(client.get(walk[0], secure=True).content)
        detail = f"{'/'.join(map(str, sorted(queries)))} queries, {size / 1024:.0f} KiB"
        measured.append(
            (user.username, "case page", f"{args.requests} different cases", client, walk, max(queries), detail)
        )
    print("load average before measuring (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    request_times = timed_in_turn([(client, urls) for _, _, _, client, urls, _, _ in measured], args.requests)
    for (who, label, shown, _, _, queries, detail), times in zip(measured, request_times, strict=True):
        p50, p95 = percentile(times, 50), percentile(times, 95)
        results.append((who, label, p50, p95, queries, detail))
        print(f"in-process {who:14} {label:20} {shown:40} p50 {p50:5.1f} ms, p95 {p95:5.1f} ms, {detail}")

    # The same queries for the manager with the fewest cases as for the one with the most. The search
    # compared is one both find rows for: an empty page skips the owners of its rows.
    compared = {**views, "search q=partner 01": "/cases/?q=bench+partner&state=all"}
    for label, url in compared.items():
        count_queries(clients[light.username], url)  # a first request may also refresh the session
        few = count_queries(clients[light.username], url)
        many = count_queries(clients[heavy.username], url)
        label = label.replace("partner 01", "bench partner")
        same_queries.append((f"inbox {label}", few == many, f"{few} vs {many}"))
    events = (
        Case.objects.filter(pk__in=cases_visible_to(heavy).values("pk"))
        .annotate(n=Count("events", distinct=True), f=Count("findings", distinct=True))
        .order_by("n", "id")
    )
    short, long = events.first(), events.last()
    few = count_queries(clients[heavy.username], f"/cases/{short.pk}/")
    many = count_queries(clients[heavy.username], f"/cases/{long.pk}/")
    same_queries.append(
        (
            f"case page, {short.n} events vs {long.n} events ({short.f} vs {long.f} findings)",
            few == many,
            f"{few} vs {many}",
        )
    )
    light_case = cases_visible_to(light).first()
    few = count_queries(clients[light.username], f"/cases/{light_case.pk}/")
    same_queries.append(("case page, the light manager vs the heavy one", few == many, f"{few} vs {many}"))
    print("load average after measuring (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))

    checks = [
        (f"{who} {label} p95 {p95:.1f} ms <= {TARGET_P95_MS} ms", p95 <= TARGET_P95_MS)
        for who, label, _, p95, _, _ in results
    ]
    checks += [(f"same queries: {label} ({detail})", ok) for label, ok, detail in same_queries]
    print(f"cases: {Case.objects.count():,}, events: {CaseEvent.objects.count():,}")
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
