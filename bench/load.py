"""Load and fault benchmark: nginx + gunicorn + PostgreSQL + Redis + a Celery worker + SMTP.

    python bench/load.py [--duration 120] [--fault] [--reuse] [--no-proxy]

On the 10,000-partner data set of bench/dashboard.py (seeded first unless
--reuse finds it), Locust (bench/locustfile.py, headless) plays 20 account
managers who log in and submit check-ups (5-15 s to fill in a form, 1-3 s
between other clicks) and 5 leadership users who browse the dashboards,
partner pages and alerts, for --duration seconds. The app runs as deployed:
gunicorn with deploy/gunicorn.conf.py behind nginx with deploy/nginx/ (the
proxy is skipped, with a note, when nginx is not installed, or with --no-proxy).
Locust writes its CSV statistics under artifacts/load/; from them this script
prints requests per second and p50/p95/p99 per page, counted once every user
has logged in, and the errors, counted from the first login. Target: zero
errors and every dashboard view's p95 under 300 ms.

--fault also restarts Redis and stops the SMTP server during the load, then
lets the system recover and reports errors, submissions lost, and alert
deliveries duplicated or lost (all must be 0).

Every server is started here on loopback ports and stopped at the end; the
load is bounded in time. Nothing leaves this machine. At the end the run's
check-ups of the current quarter (and their snapshots and alerts) are removed,
so bench/dashboard.py --reuse measures the seeded data set again.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dashboard as dataset  # noqa: E402  (bench/dashboard.py: seeding and Django setup)

from assessments.tests.proxy_harness import gunicorn, nginx  # noqa: E402  (deploy/'s files on loopback)

MANAGERS = 20
LEADERS = 5
DRAFTS_PER_MANAGER = 40
# Think and form-filling times are in bench/locustfile.py; users start over the ramp-up, and
# Locust's statistics restart once the last of them has logged in.
RAMP_UP_SECONDS = 15
DASHBOARD_P95_TARGET_MS = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing answered on port {port}")


# --- services ------------------------------------------------------------------------


class Redis:
    def __init__(self, port: int):
        self.port, self.process = port, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class Smtp:
    """aiosmtpd on a fixed port; counts every message by Message-ID, and every alert an alert
    e-mail carries by (recipient, alert id): one e-mail may cover several alerts of a partner."""

    def __init__(self, port: int):
        self.port, self.controller = port, None
        self.received: collections.Counter[str] = collections.Counter()
        self.alerts: collections.Counter[tuple[str, int]] = collections.Counter()
        self.lock = threading.Lock()

    def record(self, content: bytes) -> None:
        import email
        from email import policy

        message = email.message_from_bytes(content, policy=policy.default)
        message_id = str(message.get("Message-ID", "?"))
        alerts = []
        if message_id.startswith("<alert-delivery-"):
            text = message.get_body(preferencelist=("plain",)).get_content()
            # Each alert the e-mail covers is linked once in the text part: /alerts/<id>/.
            alerts = [(str(message["To"]), int(pk)) for pk in re.findall(r"/alerts/(\d+)/", text)]
        with self.lock:
            self.received[message_id] += 1
            self.alerts.update(alerts)

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        smtp = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                smtp.record(envelope.content)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


def server_env(database_url: str, redis_port: int, smtp_port: int, static_root: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_TIMEOUT": "3",
        "DEBUG": "0",
        "SECRET_KEY": "load-bench-secret-key-not-for-production-4f7a9c2e1b8d6",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "STATIC_ROOT": static_root,
        "AXES_FAILURE_LIMIT": "1000",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


# --- data ----------------------------------------------------------------------------


def prepare(database_url: str, reuse: bool) -> dict:
    """Seed (or reuse) the data set; give the load managers fresh draft check-ups."""
    if not reuse:
        dataset.recreate_database(database_url)
    dataset.setup_django(database_url)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction
    from django.utils.timezone import localdate

    from assessments.models import Checkup, Partner
    from assessments.periods import current_quarter
    from assessments.roles import Role
    from assessments.selectors.rubrics import rubric_item_index, rubric_version_current
    from assessments.services.periods import period_get_or_create
    from assessments.services.snapshots import snapshots_recompute

    call_command("migrate", verbosity=0)
    if Partner.objects.count() < 10_000:
        started = time.perf_counter()
        dataset.seed(partners=10_000, quarters=12, raters=3)
        print(f"seeded the 10,000-partner data set in {time.perf_counter() - started:.0f}s")

    User = get_user_model()
    managers = list(User.objects.filter(username__startswith="am").order_by("username")[:MANAGERS])
    leaders = []
    password = make_password(dataset.PASSWORD)
    for n in range(LEADERS):
        user, _ = User.objects.get_or_create(username=f"load-lead-{n}", defaults={"password": password})
        user.groups.add(Group.objects.get(name=Role.LEADERSHIP.value))
        leaders.append(user)

    period = period_get_or_create(quarter=current_quarter(today=localdate()))
    version = rubric_version_current()
    drafts: dict[str, list[int]] = {}
    with transaction.atomic():
        for manager in managers:
            owned = list(Partner.objects.filter(owners=manager).order_by("id").values_list("id", flat=True))
            if len(owned) < DRAFTS_PER_MANAGER:
                extra = Partner.objects.exclude(owners=manager).order_by("?")[: DRAFTS_PER_MANAGER - len(owned)]
                for partner in extra:
                    partner.owners.add(manager)
                owned += [p.id for p in extra]
            owned = owned[:DRAFTS_PER_MANAGER]
            # Each load manager owns exactly that many partners, whatever an earlier run assigned.
            Partner.owners.through.objects.filter(user=manager).exclude(partner_id__in=owned).delete()
            # A fresh run: this quarter's check-ups of the load managers start as empty drafts.
            Checkup.objects.filter(rater=manager, period=period).delete()
            created = Checkup.objects.bulk_create(
                [Checkup(partner_id=pid, period=period, rater=manager, rubric_version=version) for pid in owned]
            )
            drafts[manager.username] = [a.id for a in created]
        snapshots_recompute(pairs={(pid, period.id) for pid in Partner.objects.filter(
            owners__in=managers).values_list("id", flat=True)})
    items = rubric_item_index(version_id=version.id)
    scales = {address: item.rubric.scale for address, item in items.items()}
    partner_ids = list(Partner.objects.order_by("?").values_list("id", flat=True)[:500])
    return {
        "managers": [m.username for m in managers],
        "leaders": [u.username for u in leaders],
        "drafts": drafts,
        "scales": scales,
        "partner_ids": partner_ids,
        "period": period.code,
    }


def restore(data: dict) -> None:
    """Leave the bench database as bench/dashboard.py seeded it: this run's check-ups of the
    current quarter, their snapshots and that quarter's alerts go, so the dashboard benchmark
    measures the full seeded quarter again rather than the few partners submitted here."""
    from django.db import close_old_connections, transaction

    from assessments.models import Alert, Checkup
    from assessments.services.snapshots import snapshots_recompute

    close_old_connections()
    ids = [pk for drafts in data["drafts"].values() for pk in drafts]
    with transaction.atomic():
        pairs = set(Checkup.objects.filter(pk__in=ids).values_list("partner_id", "period_id"))
        Alert.objects.filter(period__code=data["period"], partner_id__in={p for p, _ in pairs}).delete()
        Checkup.objects.filter(pk__in=ids).delete()
        snapshots_recompute(pairs=pairs)
    print(f"restored the bench database: removed this run's {len(ids)} check-ups of {data['period']}")


# --- the run ---------------------------------------------------------------------------


def locust_start(*, url: str, data: dict, duration: int, folder: Path) -> subprocess.Popen:
    """Locust, headless, with CSV statistics under ``folder``; its log goes to folder/locust.log."""
    users = len(data["managers"]) + len(data["leaders"])
    (folder / "data.json").write_text(json.dumps(data))
    with open(folder / "locust.log", "wb") as log:
        return subprocess.Popen(
            [
                str(Path(sys.executable).parent / "locust"),
                "-f", str(ROOT / "bench" / "locustfile.py"),
                "--headless", "--only-summary",
                "--host", url,
                "--users", str(users),
                "--spawn-rate", f"{users / RAMP_UP_SECONDS:.2f}",
                "--run-time", f"{duration}s",
                # At the end, a user finishes the check-up in hand, so no submission is cut in half.
                "--stop-timeout", "20",
                "--csv", str(folder / "locust"),
                "--loglevel", "WARNING",
            ],
            cwd=ROOT, env={**os.environ, "PH_LOAD_DATA": str(folder / "data.json")}, stdout=log,
            stderr=subprocess.STDOUT,
        )


def report(folder: Path, errors: list[str]) -> bool:
    """Print Locust's figures per page from its CSV, and the errors; PASS when both targets hold."""
    with open(folder / "locust_stats.csv", newline="") as handle:
        # Login and the first pages come before the statistics restart: they have no rows then.
        rows = {row["Name"]: row for row in csv.DictReader(handle) if int(row["Request Count"])}
    total = rows.pop("Aggregated")
    print(f"\n{total['Request Count']} requests once everyone had logged in = {float(total['Requests/s']):.1f} requests/s; "
          f"errors from the first login: {len(errors)}")
    print(f"{'page':<24}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name in sorted(rows):
        row = rows[name]
        print(f"{name:<24}{row['Request Count']:>7}{row['50%']:>9}{row['95%']:>9}{row['99%']:>9}")
    for error, count in collections.Counter(errors).most_common(10):
        print(f"  error ({count}x): {error}")
    dashboards = [float(row["95%"]) for name, row in rows.items() if name.startswith("dashboard")]
    # The slowest view's p95 bounds the p95 of all dashboard views together.
    p95 = max(dashboards) if dashboards else float("inf")
    ok = not errors and p95 < DASHBOARD_P95_TARGET_MS
    print(f"slowest dashboard view p95 {p95:.0f} ms (target < {DASHBOARD_P95_TARGET_MS}); errors {len(errors)} "
          f"(target 0): {'PASS' if ok else 'FAIL'}")
    print(f"Locust's CSV statistics and log: {folder}/")
    return ok


def recover_and_count(accepted: list[int], started_at, smtp: Smtp, timeout: float = 180) -> bool:
    """Let the system catch up after the faults; then count what was lost or duplicated."""
    import datetime as dt

    from django.db import close_old_connections
    from django.utils import timezone

    from assessments.models import AlertDelivery, Checkup
    from assessments.services.alerts import evaluations_pending_run
    from assessments.services.outbox import outbox_send_due

    close_old_connections()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # What beat would do every minute; "now" a day ahead so back-off delays are over.
        evaluations_pending_run()
        outbox_send_due(now=timezone.now() + dt.timedelta(days=1))
        pending_eval = Checkup.objects.filter(pk__in=accepted, evaluated_at__isnull=True).count()
        pending_mail = AlertDelivery.objects.filter(alert__created_at__gte=started_at).exclude(
            status=AlertDelivery.Status.SENT).count()
        if not pending_eval and not pending_mail:
            break
        time.sleep(2)
    lost_submissions = len(accepted) - Checkup.objects.filter(
        pk__in=accepted, status=Checkup.Status.SUBMITTED).count()
    deliveries = AlertDelivery.objects.filter(alert__created_at__gte=started_at)
    sent = deliveries.filter(status=AlertDelivery.Status.SENT).count()
    # Lost: not marked sent, or marked sent but in no e-mail received. Duplicated: a message
    # received twice, or one alert reaching one recipient in more than one e-mail.
    copies = [smtp.alerts[(email, alert_id)] for alert_id, email in deliveries.values_list("alert_id", "recipient__email")]
    lost = deliveries.count() - sent + sum(1 for n in copies if n == 0)
    duplicated = sum(count - 1 for count in smtp.received.values() if count > 1) + sum(n - 1 for n in copies if n > 1)
    print(f"\nafter recovery: submissions {len(accepted)} accepted, {lost_submissions} lost; "
          f"alert deliveries {deliveries.count()} created, {sent} sent, {lost} lost, {duplicated} duplicated "
          f"({sum(smtp.received.values())} messages received, carrying "
          f"{sum(1 for n in copies if n)} of the deliveries); unevaluated submissions {pending_eval}")
    ok = lost_submissions == 0 and lost == 0 and duplicated == 0 and pending_eval == 0
    print(f"fault run: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=120)
    parser.add_argument("--fault", action="store_true", help="restart Redis and stop SMTP during the load")
    parser.add_argument("--reuse", action="store_true", help="reuse the seeded bench database")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--no-proxy", action="store_true", help="load gunicorn directly, without nginx")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ph_bench_dashboard")
    args = parser.parse_args()

    redis, smtp = Redis(free_port()), Smtp(free_port())
    static_root = tempfile.mkdtemp(prefix="ph-static-")
    env = server_env(args.database_url, redis.port, smtp.port, static_root)
    env["WEB_CONCURRENCY"] = str(args.workers)
    # This process also runs the recovery (as beat would), so it must use the same broker and mail server.
    os.environ.update({key: env[key] for key in ("CELERY_BROKER_URL", "EMAIL_URL", "EMAIL_TIMEOUT")})
    data = prepare(args.database_url, args.reuse)
    from django.utils import timezone

    folder = ROOT / "artifacts" / "load" / time.strftime(f"%Y%m%d-%H%M%S-{'fault' if args.fault else 'plain'}")
    folder.mkdir(parents=True)
    data.update({"password": dataset.PASSWORD, "results": str(folder / "results.json")})
    use_proxy = not args.no_proxy and (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"))
    if not args.no_proxy and not use_proxy:
        print("nginx is not installed: loading gunicorn directly (apt-get install nginx-light for the proxy)")

    redis.start()
    smtp.start()
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    app_port = free_port()
    worker = subprocess.Popen([str(Path(sys.executable).parent / "celery"), "-A", "partnerhealth", "worker",
                               "--concurrency", "2", "--loglevel", "WARNING"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = False
    try:
        with gunicorn(port=app_port, env=env, log=folder / "gunicorn.log"), contextlib.ExitStack() as stack:
            port = app_port
            if use_proxy:
                port = free_port()
                stack.enter_context(nginx(port=port, upstream_port=app_port, folder=folder / "nginx"))
            print(f"load: {len(data['managers'])} account managers and {len(data['leaders'])} leaders for "
                  f"{args.duration}s against {'nginx + ' if use_proxy else ''}gunicorn ({args.workers} sync workers); "
                  f"load average before: {os.getloadavg()[0]:.1f}")
            started_at = timezone.now()
            started = time.monotonic()
            locust = locust_start(url=f"http://127.0.0.1:{port}", data=data, duration=args.duration, folder=folder)
            stack.callback(lambda: locust.poll() is None and (locust.kill(), locust.wait()))
            if args.fault:
                # Redis down for 15 s from a quarter in; SMTP down for 30 s from the middle.
                time.sleep(args.duration * 0.25)
                print("fault: stopping Redis")
                redis.stop()
                time.sleep(15)
                print("fault: starting Redis")
                redis.start()
                time.sleep(max(0.0, started + args.duration * 0.5 - time.monotonic()))
                print("fault: stopping SMTP")
                smtp.stop()
                time.sleep(30)
                print("fault: starting SMTP")
                smtp.start()
            locust.wait(args.duration + 90)
            # The machine is shared: the 1-minute load average says how much of it this run had.
            print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        results = json.loads((folder / "results.json").read_text())
        ok = report(folder, results["errors"])
        if args.fault:
            ok = recover_and_count(results["accepted"], started_at, smtp) and ok
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        smtp.stop()
        redis.stop()
        restore(data)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
