"""Benchmark the leadership dashboard at 10,000 partners x 12 quarters x 3 raters.

    python bench/dashboard.py [--partners 10000] [--quarters 12] [--raters 3] [--requests 60]
                              [--rounds 21] [--duration 20] [--reuse] [--no-load]
                              [--database-url postgres://postgres@127.0.0.1:5432/ph_bench_dashboard]

Run it with the interpreter of the environment to measure (``.venv/bin/python bench/dashboard.py``):
gunicorn is started as ``sys.executable -m gunicorn``.

1. Recreates the bench database (unless --reuse finds it already seeded),
   migrates it and seeds partners, owners and submitted check-ups with an
   answer to every item, all with COPY (6.5M answers at the defaults).
2. Computes every snapshot through the real code path,
   ``assessments.services.snapshots.snapshots_recompute``, in chunks of
   partners, each inside its own transaction, on two processes.
3. Measures in-process (Django's test Client, logged in as leadership) the
   portfolio dashboard and a partner page: p50 and p95 over --requests
   (warm: the roll-up cache filled).
4. Measures, in turn over --rounds, the dashboard with nothing cached (the
   cache cleared before each view) and the raw SQL lower bound: one
   hand-written query returning the same aggregates as the dashboard's tiles.
   Taking them in turn puts both under the same load on a shared machine.
5. Serves the app with gunicorn (2 workers, 127.0.0.1 only) and loads it
   with wrk at 8 connections for --duration seconds per page (--no-load skips it).

Prints PASS/FAIL per target: dashboard p95 < 100 ms, partner page p95 < 50 ms,
dashboard p50 <= 3x the raw SQL bound, dashboard with nothing cached <= 1.5x
the raw SQL bound.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_DASHBOARD_P95_MS = 100
TARGET_PARTNER_P95_MS = 50
TARGET_RAW_RATIO = 3.0
TARGET_COLD_RATIO = 1.5
MANAGERS = 300
LEADER = "bench-lead"
PASSWORD = "bench-dashboard-password"  # a throwaway local database only
CHUNK_PARTNERS = 250


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerhealth.settings")
    # Production-like: DEBUG off (no query log), plain static storage (no collectstatic needed).
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- database ----------------------------------------------------------------------


def recreate_database(database_url: str) -> None:
    db = urlparse(database_url).path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", db):
        raise SystemExit(f"refusing odd database name {db!r}")
    admin = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]
    subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{db}"'], check=True)
    subprocess.run([*admin, f'CREATE DATABASE "{db}"'], check=True)


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    elif isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_model(model, rows: list[dict]) -> None:
    """COPY rows into a model's table; fields a row leaves out take the model's defaults."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    fields = list(model._meta.concrete_fields)
    defaults = {}
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[field.attname] = now
        else:
            # The model's default, or "" for a blank text field, or None.
            defaults[field.attname] = field.get_default()
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_text(row.get(f.attname, defaults[f.attname])) for f in fields))
        buffer.write("\n")
    buffer.seek(0)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with connection.cursor() as cursor:
        cursor.copy_expert(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN', buffer)


def reset_sequences(*models) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE(MAX(id), 1)) FROM \"{table}\""
            )


# --- seeding ------------------------------------------------------------------------


def seed(*, partners: int, quarters: int, raters: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.timezone import localdate

    from assessments.models import Alert, Checkup, Partner
    from assessments.periods import current_quarter
    from assessments.roles import Role
    from assessments.selectors.rubrics import rubric_item_index, rubric_version_current
    from assessments.services.periods import periods_get_or_create

    rng = random.Random(20261122)
    timings = {}
    started = time.perf_counter()
    User = get_user_model()
    password = make_password(PASSWORD)
    managers = User.objects.bulk_create(
        [
            User(username=f"am{n:03d}", email=f"am{n:03d}@bench.example", first_name="Manager", last_name=f"{n:03d}",
                 password=password)
            for n in range(1, MANAGERS + 1)
        ]
    )
    Group.objects.get(name=Role.ACCOUNT_MANAGER.value).user_set.add(*managers)
    leader = User.objects.create(username=LEADER, email="lead@bench.example", first_name="Lena", last_name="Bench",
                                 password=password)
    Group.objects.get(name=Role.LEADERSHIP.value).user_set.add(leader)

    now_quarter = current_quarter(today=localdate())
    history = now_quarter.previous().window(quarters)
    periods = periods_get_or_create(quarters=[*history, now_quarter])
    version = rubric_version_current()
    items = [(item.id, item.rubric.scale, item.rubric.key) for item in rubric_item_index(version_id=version.id).values()]
    kinds = [k.value for k in Partner.Kind]
    now = timezone.now()

    # Partners: a fifth strategic, some developing, the rest regular (004's 80/20); 2% inactive.
    partner_rows, owner_rows, profiles = [], [], []
    for pid in range(1, partners + 1):
        roll = rng.random()
        segment = "strategic" if roll < 0.2 else "developing" if roll < 0.5 else "regular"
        revenue = {"strategic": 2_000_000, "developing": 500_000, "regular": 120_000}[segment]
        partner_rows.append(
            {
                "id": pid,
                "name": f"Bench Partner {pid:05d}",
                "kind": kinds[pid % len(kinds)],
                "segment": segment,
                "annual_revenue": int(revenue * rng.lognormvariate(0, 0.6)),
                "is_active": rng.random() > 0.02,
                "created_at": now,
            }
        )
        owners = rng.sample(managers, raters)
        owner_rows += [{"id": len(owner_rows) + n + 1, "partner_id": pid, "user_id": u.id} for n, u in enumerate(owners)]
        pattern = rng.choices(["stable", "decline", "improve", "drop"], weights=[85, 7, 5, 3])[0]
        profiles.append((pid, [u.id for u in owners], rng.uniform(2.8, 4.7), pattern, rng.randrange(quarters)))
    with transaction.atomic():
        copy_model(Partner, partner_rows)
        copy_model(Partner.owners.through, owner_rows)
        reset_sequences(Partner, Partner.owners.through)
    timings["partners"] = time.perf_counter() - started

    # Check-ups and answers, one quarter at a time: COPY, in the database's own transaction each.
    started = time.perf_counter()
    checkup_id = 0
    answers_written = 0
    for q_index, quarter in enumerate(history):
        period_id = periods[quarter.code].id
        checkup_rows = []
        answers = io.StringIO()
        for pid, owners, base, pattern, onset in profiles:
            level, symptom = base, 0.3
            if pattern == "decline" and q_index >= quarters - 4:
                level -= 0.35 * (q_index - (quarters - 5))
                symptom += 0.4 * (q_index - (quarters - 5))
            elif pattern == "improve":
                level += 0.1 * q_index - 0.6
            elif pattern == "drop" and q_index >= onset:
                level -= 1.4
                symptom = 1.8
            for rater in owners:
                checkup_id += 1
                checkup_rows.append(
                    {
                        "id": checkup_id,
                        "partner_id": pid,
                        "period_id": period_id,
                        "rater_id": rater,
                        "rubric_version_id": version.id,
                        "status": Checkup.Status.SUBMITTED.value,
                        "last_saved_at": now,
                        "submitted_at": now,
                        "created_at": now,
                    }
                )
                bias = rng.gauss(0, 0.25)
                for item_id, scale, _rubric in items:
                    if scale == "intensity":
                        value = min(3, max(0, round(rng.gauss(symptom, 0.45))))
                    else:
                        value = min(5, max(1, round(rng.gauss(level + bias, 0.55))))
                    answers.write(f"{checkup_id}\t{item_id}\t{scale}\t{value}\t\n")
                    answers_written += 1
        answers.seek(0)
        with transaction.atomic():
            copy_model(Checkup, checkup_rows)
            with connection.cursor() as cursor:
                # Deferred foreign-key checks would fire once per answer at COMMIT (most of the
                # time); skip them here and check every reference in one pass below instead.
                # Check constraints (the answer's range) still apply.
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.copy_expert("COPY assessments_answer (assessment_id, item_id, scale, value, comment) FROM STDIN",
                                   answers)
        print(f"  seeded {quarter.code}: {len(checkup_rows):,} check-ups, answers so far {answers_written:,}",
              flush=True)

    # This quarter's check-ups are open (drafts), as at any time in a quarter; completion counts them.
    current_id = periods[now_quarter.code].id
    drafts = []
    for pid, owners, *_ in profiles:
        for rater in owners:
            checkup_id += 1
            drafts.append({"id": checkup_id, "partner_id": pid, "period_id": current_id, "rater_id": rater,
                           "rubric_version_id": version.id, "status": Checkup.Status.DRAFT.value, "created_at": now})
    with transaction.atomic():
        copy_model(Checkup, drafts)
        reset_sequences(Checkup)
        cursor = connection.cursor()
        cursor.execute("SELECT setval(pg_get_serial_sequence('assessments_answer', 'id'), MAX(id)) FROM assessments_answer")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM assessments_answer a"
            " LEFT JOIN assessments_assessment s ON s.id = a.assessment_id"
            " LEFT JOIN assessments_rubricitem i ON i.id = a.item_id WHERE s.id IS NULL OR i.id IS NULL"
        )
        dangling = cursor.fetchone()[0]
    if dangling:
        raise SystemExit(f"{dangling} answers point at a missing check-up or item")
    timings["answers"] = time.perf_counter() - started
    timings["answer_rows"] = answers_written

    # Snapshots through the real code path, in chunks of partners, each in its own transaction.
    started = time.perf_counter()
    from django.db import connections

    connections.close_all()
    chunks = [
        (first, min(first + CHUNK_PARTNERS - 1, partners), [periods[q.code].id for q in history])
        for first in range(1, partners + 1, CHUNK_PARTNERS)
    ]
    with get_context("fork").Pool(2) as pool:
        written = sum(pool.imap_unordered(_recompute_chunk, chunks))
    timings["snapshots"] = time.perf_counter() - started
    timings["snapshot_rows"] = written

    # A few decline alerts in the latest quarter, as the decline scan would raise.
    latest = periods[history[-1].code]
    alert_rows = [
        Alert(partner_id=pid, period=latest, rule="health_decline", severity=rng.choice(["warning", "critical"]),
              explanation="Bench alert")
        for pid, _, _, pattern, _ in profiles
        if pattern == "decline" and rng.random() < 0.5
    ]
    Alert.objects.bulk_create(alert_rows, batch_size=2000)
    # What autovacuum does in production: statistics, and a visibility map for index-only scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return timings


def _recompute_chunk(chunk) -> int:
    from django.db import connections, transaction

    from assessments.services.snapshots import snapshots_recompute

    first, last, period_ids = chunk
    try:
        with transaction.atomic():
            return snapshots_recompute(pairs={(pid, q) for pid in range(first, last + 1) for q in period_ids})
    finally:
        connections.close_all()


def verify_snapshots(sample: int = 20) -> None:
    """Recompute a sample inside a rolled-back transaction and check nothing changes."""
    from django.db import transaction

    from assessments.models import PartnerSnapshot
    from assessments.services.snapshots import snapshots_recompute

    rows = list(PartnerSnapshot.objects.order_by("?").values_list("partner_id", "period_id", "health")[:sample])
    with transaction.atomic():
        snapshots_recompute(pairs={(p, q) for p, q, _ in rows})
        again = {
            (p, q): h
            for p, q, h in PartnerSnapshot.objects.filter(partner_id__in=[r[0] for r in rows]).values_list(
                "partner_id", "period_id", "health"
            )
        }
        transaction.set_rollback(True)
    bad = [(p, q) for p, q, h in rows if again.get((p, q)) != h]
    print(f"  snapshot spot check: {sample - len(bad)}/{sample} recomputed identically")


# --- measuring -------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def time_requests(client, url: str | list[str], n: int) -> tuple[float, float, int]:
    """p50 and p95 over n requests. A list of URLs warms up on its first five and walks the
    rest in turn (n distinct pages if it is n + 5 long); one URL is repeated."""
    warmup, urls = ([url] * 5, [url]) if isinstance(url, str) else (url[:5], url[5:] or url)
    for warm in warmup:
        response = client.get(warm, secure=True)
        if response.status_code != 200:
            raise SystemExit(f"{warm} answered {response.status_code}")
    times = []
    for i in range(n):
        started = time.perf_counter()
        response = client.get(urls[i % len(urls)], secure=True)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return percentile(times, 50), percentile(times, 95), len(response.content)


def count_queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, secure=True)
    return len(captured.captured_queries)


RAW_SQL = """
WITH frame AS (
    SELECT s.partner_id, s.health, s.band, s.health_delta, pr.segment, pr.annual_revenue,
           prev.health AS prev_health, prev.health_delta AS prev_delta,
           s.partner_id IN (SELECT partner_id FROM assessments_alert
                            WHERE period_id = %(period)s AND severity IN ('warning', 'critical')) AS alerted
    FROM assessments_partnersnapshot s
    JOIN assessments_partner pr ON pr.id = s.partner_id AND pr.is_active
    LEFT JOIN assessments_partnersnapshot prev ON prev.partner_id = s.partner_id AND prev.period_id = %(previous)s
    WHERE s.period_id = %(period)s
), marked AS (
    SELECT *, alerted OR (health_delta < 0 AND prev_delta < 0 AND health_delta + prev_delta <= -10) AS declining
    FROM frame
), books AS (
    SELECT o.user_id, COUNT(*) AS partners, SUM(pr.annual_revenue) AS total, MAX(pr.annual_revenue) AS largest
    FROM assessments_partner_owners o JOIN assessments_partner pr ON pr.id = o.partner_id AND pr.is_active
    GROUP BY o.user_id
)
SELECT
  (SELECT json_agg(code ORDER BY year DESC, quarter DESC) FROM assessments_period p
   WHERE EXISTS (SELECT 1 FROM assessments_partnersnapshot s WHERE s.period_id = p.id)),
  (SELECT json_build_object(
      'partners', COUNT(*), 'avg_health', AVG(health), 'paired', COUNT(prev_health),
      'avg_change', AVG(health - prev_health), 'declining', COUNT(*) FILTER (WHERE declining),
      'alerted', COUNT(*) FILTER (WHERE alerted),
      'revenue_at_risk', SUM(annual_revenue) FILTER (WHERE band IN ('at_risk', 'critical') OR declining),
      'partners_at_risk', COUNT(*) FILTER (WHERE band IN ('at_risk', 'critical') OR declining))
   FROM marked),
  (SELECT json_agg(x) FROM (SELECT segment, band, COUNT(*) AS n FROM marked GROUP BY segment, band) x),
  (SELECT json_agg(x) FROM (
      SELECT m.partner_id, m.health, m.health - old.health AS gain FROM marked m
      JOIN assessments_partnersnapshot old ON old.partner_id = m.partner_id AND old.period_id = %(trend_from)s
      WHERE m.segment = 'developing' AND m.health - old.health > 0
      ORDER BY gain DESC LIMIT 5) x),
  (SELECT json_build_object('total', SUM(annual_revenue), 'largest', MAX(annual_revenue), 'partners', COUNT(*))
   FROM assessments_partner WHERE is_active),
  (SELECT json_agg(x) FROM (
      SELECT b.user_id, b.partners, b.total, b.largest / NULLIF(b.total, 0) AS share,
             (SELECT pr.name FROM assessments_partner pr JOIN assessments_partner_owners o ON o.partner_id = pr.id
              WHERE o.user_id = b.user_id AND pr.is_active ORDER BY pr.annual_revenue DESC, pr.name LIMIT 1)
      FROM books b ORDER BY share DESC NULLS LAST, b.total DESC LIMIT 10) x),
  (SELECT COUNT(*) FROM books),
  (SELECT COUNT(*) FROM assessments_partner_owners o
   JOIN assessments_partner pr ON pr.id = o.partner_id AND pr.is_active),
  (SELECT COUNT(*) FROM assessments_assessment a
   JOIN assessments_period q ON q.id = a.period_id AND q.code = %(current)s
   JOIN assessments_partner pr ON pr.id = a.partner_id AND pr.is_active
   JOIN assessments_partner_owners o ON o.partner_id = a.partner_id AND o.user_id = a.rater_id
   WHERE a.status = 'submitted')
"""


def raw_sql_params() -> dict:
    from django.utils.timezone import localdate

    from assessments.periods import current_quarter
    from assessments.selectors.dashboard.periods import dashboard_periods, default_period
    from assessments.selectors.dashboard.tiles import TREND_SPAN

    periods = dashboard_periods()
    by_code = {p.code: p.id for p in periods}
    shown = default_period(periods)  # the period the dashboard opens on
    quarter = shown.quarter
    return {
        "period": shown.id,
        "previous": by_code.get(quarter.previous().code, -1),
        "trend_from": by_code.get(quarter.shift(-TREND_SPAN).code, -1),
        "current": current_quarter(today=localdate()).code,
    }


def raw_sql_tiles() -> dict:
    """The tiles' aggregates as the raw SQL computes them (to check them against the selector)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(RAW_SQL, raw_sql_params())
        row = cursor.fetchone()
    return json.loads(row[1]) if isinstance(row[1], str) else row[1]


def cold_against_raw(client, url: str, rounds: int) -> tuple[list[float], list[float]]:
    """``url`` with nothing cached, then the raw SQL bound, in turn: (view times, raw SQL times) in ms.

    In turn, so that both see the same load on a shared machine; two warm-up rounds are dropped.
    """
    from django.core.cache import cache
    from django.db import connection

    params = raw_sql_params()
    views, raws = [], []
    with connection.cursor() as cursor:
        for attempt in range(rounds + 2):
            cache.clear()
            started = time.perf_counter()
            response = client.get(url, secure=True)
            view = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            started = time.perf_counter()
            cursor.execute(RAW_SQL, params)
            cursor.fetchone()
            raw = (time.perf_counter() - started) * 1000
            if attempt >= 2:
                views.append(view)
                raws.append(raw)
    return views, raws


def check_raw_against_selector(raw: dict) -> bool:
    from assessments.selectors.dashboard.periods import dashboard_periods, default_period
    from assessments.selectors.dashboard.tiles import portfolio_summary

    periods = dashboard_periods()
    summary = portfolio_summary(period=default_period(periods), periods=periods, today=dt.date.today())
    same = (
        raw["partners"] == summary.partners
        and raw["declining"] == summary.declining
        and abs(float(raw["revenue_at_risk"] or 0) - float(summary.revenue_at_risk)) < 0.01
        and abs(raw["avg_health"] - summary.avg_health) < 1e-6
    )
    print(f"  raw SQL and selector agree on the tiles: {'yes' if same else 'NO'} "
          f"(partners {summary.partners:,}, declining {summary.declining:,}, "
          f"revenue at risk {summary.revenue_at_risk:,.0f}, average health {summary.avg_health:.2f})")
    return same


# --- gunicorn + wrk ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_test(database_url: str, session: str, paths: dict[str, str], duration: int) -> dict[str, dict]:
    port = free_port()
    # As in production behind a TLS proxy: plain HTTP on loopback, X-Forwarded-Proto: https trusted.
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1",
           "LOG_LEVEL": "WARNING", "TRUST_X_FORWARDED_PROTO": "1"}
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    # gunicorn of the interpreter running this script, whichever environment that is.
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "partnerhealth.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=log, text=True,
    )
    results = {}
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"gunicorn did not start; see {log.name}")
        wrk = shutil.which("wrk")
        for name, path in paths.items():
            url = f"http://127.0.0.1:{port}{path}"
            header = f"Cookie: sessionid={session}"
            _check_page(url, {"Cookie": f"sessionid={session}", "X-Forwarded-Proto": "https"})
            if wrk:
                proto = "X-Forwarded-Proto: https"
                subprocess.run([wrk, "-t2", "-c8", "-d3s", "-H", header, "-H", proto, url], capture_output=True,
                               check=False)
                out = subprocess.run([wrk, "-t2", "-c8", f"-d{duration}s", "--latency", "-H", header, "-H", proto, url],
                                     capture_output=True, text=True, check=False, timeout=duration + 30).stdout
                results[name] = _parse_wrk(out)
            else:
                results[name] = _python_load(url, header, duration)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return results


def _check_page(url: str, headers: dict) -> None:
    """One request first: wrk counts a redirect (to HTTPS, to the login page) as a success."""
    import http.client

    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    conn.request("GET", parsed.path + (f"?{parsed.query}" if parsed.query else ""), headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200 or b"</html>" not in body:
        raise SystemExit(f"gunicorn answered {url} with {response.status}, not the page")


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def _parse_wrk(out: str) -> dict:
    percentiles = {int(p): _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+([\d.]+\w+)\s*$", out, re.MULTILINE)}
    if 50 not in percentiles or "Requests/sec" not in out:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"tool": "wrk", "rps": rps, "p50": percentiles.get(50), "p90": percentiles.get(90),
            "p99": percentiles.get(99), "errors": int(errors.group(1)) if errors else 0}


def _python_load(url: str, header: str, duration: int) -> dict:
    import http.client
    import threading

    name, value = header.split(": ", 1)
    parsed = urlparse(url)
    times, errors, deadline = [], [0], time.perf_counter() + duration

    def worker():
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            conn.request("GET", parsed.path + (f"?{parsed.query}" if parsed.query else ""),
                         headers={name: value, "X-Forwarded-Proto": "https"})
            response = conn.getresponse()
            response.read()
            times.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"tool": "python", "rps": len(times) / duration, "p50": percentile(times, 50),
            "p90": percentile(times, 90), "p99": percentile(times, 99), "errors": errors[0]}


# --- main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--quarters", type=int, default=12)
    parser.add_argument("--raters", type=int, default=3)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=21,
                        help="views with nothing cached, each followed by the raw SQL bound")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per page under gunicorn")
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn load test")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded bench database")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ph_bench_dashboard")
    args = parser.parse_args()

    reuse = False
    if args.reuse:
        probe = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", urlparse(args.database_url).path.lstrip("/"), "-tAc",
             "SELECT COUNT(*) FROM assessments_partnersnapshot"],
            capture_output=True, text=True, check=False,
        )
        reuse = probe.returncode == 0 and int(probe.stdout.strip() or 0) > 0
    if not reuse:
        recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    if reuse:
        print("reusing the seeded bench database")
    else:
        print(f"seeding {args.partners:,} partners x {args.quarters} quarters x {args.raters} raters ...", flush=True)
        timings = seed(partners=args.partners, quarters=args.quarters, raters=args.raters)
        print(f"  partners and owners: {timings['partners']:.1f}s")
        print(f"  check-ups and {timings['answer_rows']:,} answers (COPY): {timings['answers']:.1f}s "
              f"({timings['answer_rows'] / timings['answers']:,.0f} answers/s)")
        print(f"  {timings['snapshot_rows']:,} snapshots via snapshots_recompute (2 processes, "
              f"{CHUNK_PARTNERS} partners per transaction): {timings['snapshots']:.1f}s")
    verify_snapshots()

    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from assessments.models import Answer, Partner, PartnerSnapshot

    print(f"data: {Partner.objects.count():,} partners, {Answer.objects.count():,} answers, "
          f"{PartnerSnapshot.objects.count():,} snapshots")
    client = Client()
    client.force_login(get_user_model().objects.get(username=LEADER))
    dashboard_url = reverse("dashboard")
    heatmap_url = f"{dashboard_url}?declining=on&sort=-characteristics.trust"
    sample = Partner.objects.filter(snapshots__band="critical", is_active=True).order_by("id").first()
    partner_url = reverse("partner_detail", args=[sample.pk])
    # Leadership drills into many partners, each read once: the in-process figure walks --requests
    # different partners (every band), after five warm-up pages, instead of repeating one.
    walk = [
        reverse("partner_detail", args=[pk])
        for pk in Partner.objects.filter(is_active=True).order_by("?").values_list("pk", flat=True)[: args.requests + 5]
    ]

    # The machine is shared: say how busy it was, since every figure below depends on it.
    print("load average before measuring (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    results = {}
    for label, url in [("dashboard", dashboard_url), ("partner", partner_url), ("heatmap", heatmap_url)]:
        cache.clear()
        cold = count_queries(client, url)
        warm = count_queries(client, url)
        p50, p95, size = time_requests(client, walk if label == "partner" else url, args.requests)
        results[label] = (p50, p95)
        shown = f"{len(walk) - 5} different partner pages" if label == "partner" else url
        print(f"in-process {label:9} {shown}: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {args.requests} requests "
              f"({cold} queries cold, {warm} warm; {size / 1024:.0f} KiB)")
    # A view with nothing cached (the first of the day, or one past the staleness bound): every roll-up,
    # table page and fragment built in the request, against the raw SQL bound measured in turn with it.
    views, raws = cold_against_raw(client, dashboard_url, args.rounds)
    cold_p50, raw_p50 = percentile(views, 50), percentile(raws, 50)
    cold_ratio = cold_p50 / raw_p50
    heatmap_views, heatmap_raws = cold_against_raw(client, heatmap_url, 5)
    print(f"in-process heatmap {heatmap_url}, with nothing cached: median {percentile(heatmap_views, 50):.0f} ms "
          f"over 5 (raw SQL in turn: {percentile(heatmap_raws, 50):.1f} ms)")
    export_started = time.perf_counter()
    export = client.get(reverse("dashboard_export"), secure=True)
    rows = sum(1 for _ in b"".join(export.streaming_content).splitlines()) - 1
    print(f"in-process CSV export of the whole table: {rows:,} rows in {time.perf_counter() - export_started:.2f}s")

    agree = check_raw_against_selector(raw_sql_tiles())
    warm_p50, warm_p95 = results["dashboard"]
    ratio = warm_p50 / raw_p50
    print(f"dashboard warm (roll-up cached): p50 {warm_p50:.1f} ms, p95 {warm_p95:.1f} ms over {args.requests}")
    print(f"dashboard with nothing cached: p50 {cold_p50:.1f} ms (p95 {percentile(views, 95):.1f} ms) over "
          f"{args.rounds}; raw SQL lower bound (one hand-written query for every tile), in turn: "
          f"p50 {raw_p50:.1f} ms")
    print(f"nothing cached / raw SQL = {cold_ratio:.2f} "
          f"({'PASS' if cold_ratio <= TARGET_COLD_RATIO else 'FAIL'} vs {TARGET_COLD_RATIO:g}); "
          f"warm p50 / raw SQL = {ratio:.2f}")

    load = {}
    if not args.no_load:
        session = client.cookies["sessionid"].value
        connection.close()
        load = load_test(args.database_url, session, {"dashboard": dashboard_url, "partner": partner_url},
                         args.duration)
    for name, r in load.items():
        print(f"gunicorn 2 workers, {r['tool']} 8 connections {args.duration}s, {name}: {r['rps']:.1f} req/s, "
              f"p50 {r['p50']:.1f} ms, p90 {r['p90']:.1f} ms, p99 {r['p99']:.1f} ms, non-2xx {r['errors']}")

    checks = [
        (f"dashboard p95 < {TARGET_DASHBOARD_P95_MS} ms in-process", warm_p95 < TARGET_DASHBOARD_P95_MS),
        (f"partner page p95 < {TARGET_PARTNER_P95_MS} ms in-process", results["partner"][1] < TARGET_PARTNER_P95_MS),
        (f"dashboard p50 <= {TARGET_RAW_RATIO:g}x raw SQL bound", ratio <= TARGET_RAW_RATIO),
        (f"dashboard with nothing cached <= {TARGET_COLD_RATIO:g}x raw SQL bound", cold_ratio <= TARGET_COLD_RATIO),
        ("raw SQL matches the selector's tiles", agree),
    ]
    if load:
        checks.append(("no errors under load", all(r["errors"] == 0 for r in load.values())))
    print("load average after measuring (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    print(json.dumps({"in_process_ms": results, "cold_p50_ms": cold_p50, "raw_sql_p50_ms": raw_p50,
                      "cold_ratio": cold_ratio, "ratio": ratio, "load": load}))
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
