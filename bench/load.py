"""Load and fault benchmark: gunicorn + PostgreSQL + Redis + a Celery worker + SMTP.

    python bench/load.py [--duration 120] [--fault] [--reuse]

On the 10,000-partner data set of bench/dashboard.py (seeded first unless
--reuse finds it), 20 simulated account managers log in and submit check-ups (5-15 s to fill
in a form, 1-3 s between other clicks)
while 5 leadership users browse the dashboards and partner pages, for
--duration seconds. It prints requests per second, p50/p95/p99 per page and
the error count. Target: zero errors and dashboard p95 under 300 ms.

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
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dashboard as dataset  # noqa: E402  (bench/dashboard.py: seeding and Django setup)

MANAGERS = 20
LEADERS = 5
DRAFTS_PER_MANAGER = 40
# A person reads a page before the next click (1-3 s), and even a fast account
# manager takes 5-15 s to answer eighteen items (a real one takes minutes).
THINK_SECONDS = (1.0, 3.0)
FORM_SECONDS = (5.0, 15.0)
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


# --- the simulated users ---------------------------------------------------------------


class Browser:
    """One user's cookie jar and connection to gunicorn."""

    def __init__(self, port: int, stats: Stats):
        self.port, self.stats, self.cookies = port, stats, {}

    def request(self, label: str, method: str, path: str, body: dict | None = None, expect=(200,)):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Connection": "close"}
        payload = None
        if body is not None:
            payload = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            content = response.read()
            connection.close()
        except OSError as error:
            self.stats.record(label, time.perf_counter() - started, ok=False, detail=f"{method} {path}: {error}")
            return None, b""
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        ok = response.status in expect
        self.stats.record(label, elapsed, ok=ok, detail=f"{method} {path}: {response.status}")
        return response, content

    def login(self, username: str) -> None:
        self.request("login page", "GET", "/accounts/login/")
        self.request("login", "POST", "/accounts/login/", {
            "username": username, "password": dataset.PASSWORD, "csrfmiddlewaretoken": self.cookies["csrftoken"],
        }, expect=(302,))


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: list[str] = []
        self.submitted: list[int] = []
        self.measure_from = time.monotonic() + RAMP_UP_SECONDS + 5

    def record(self, label: str, seconds: float, *, ok: bool, detail: str) -> None:
        with self.lock:
            # Timings count once everyone has logged in (the ramp-up is a warm-up);
            # errors count from the first request to the last.
            if time.monotonic() >= self.measure_from or label.startswith("login"):
                self.times[label].append(seconds * 1000)
            if not ok:
                self.errors.append(detail)


def manager_loop(port, username, drafts, scales, deadline, stats) -> None:
    rng = random.Random(username)
    time.sleep(rng.uniform(0, RAMP_UP_SECONDS))  # people don't all log in in the same second
    browser = Browser(port, stats)
    browser.login(username)
    browser.request("my check-ups", "GET", "/checkups/")
    for checkup_id in drafts:
        if time.monotonic() > deadline:
            return
        time.sleep(rng.uniform(*THINK_SECONDS))
        browser.request("check-up form", "GET", f"/checkups/{checkup_id}/")
        time.sleep(rng.uniform(*FORM_SECONDS))
        answers = {
            f"answer__{address.replace('.', '__')}": str(
                rng.randint(0, 3) if scale == "intensity" else rng.choice([2, 3, 3, 4, 4, 5])
            )
            for address, scale in scales.items()
        }
        answers.update({"action": "submit", "csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")})
        response, _ = browser.request("check-up submit", "POST", f"/checkups/{checkup_id}/", answers,
                                      expect=(302,))
        if response is not None and response.status == 302 and "/result/" in (response.getheader("Location") or ""):
            with stats.lock:
                stats.submitted.append(checkup_id)
            browser.request("check-up result", "GET", f"/checkups/{checkup_id}/result/")


def leader_loop(port, username, partner_ids, period, deadline, stats) -> None:
    rng = random.Random(username)
    time.sleep(rng.uniform(0, RAMP_UP_SECONDS))
    browser = Browser(port, stats)
    browser.login(username)
    pages = [
        ("dashboard", "/dashboard/"),
        ("dashboard (declining)", "/dashboard/?declining=on"),
        ("dashboard (filtered)", "/dashboard/?segment=developing&sort=-change&page=2"),
    ]
    while time.monotonic() < deadline:
        label, path = rng.choice(pages)
        browser.request(label, "GET", path)
        time.sleep(rng.uniform(*THINK_SECONDS))
        browser.request("partner page", "GET", f"/partners/{rng.choice(partner_ids)}/")
        time.sleep(rng.uniform(*THINK_SECONDS))
        browser.request("alerts", "GET", "/alerts/")
        time.sleep(rng.uniform(*THINK_SECONDS))


# --- the run ---------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def report(stats: Stats, seconds: float) -> bool:
    total = sum(len(v) for v in stats.times.values())
    print(f"\n{total} requests in {seconds:.0f}s = {total / seconds:.1f} requests/s; errors: {len(stats.errors)}")
    print(f"{'page':<24}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for label in sorted(stats.times):
        values = stats.times[label]
        print(f"{label:<24}{len(values):>7}{statistics.median(values):>9.0f}{percentile(values, 95):>9.0f}"
              f"{percentile(values, 99):>9.0f}")
    for error in stats.errors[:10]:
        print("  error:", error)
    dashboard = [t for label, values in stats.times.items() if label.startswith("dashboard") for t in values]
    p95 = percentile(dashboard, 95) if dashboard else float("inf")
    ok = not stats.errors and p95 < DASHBOARD_P95_TARGET_MS
    print(f"dashboard p95 {p95:.0f} ms (target < {DASHBOARD_P95_TARGET_MS}); errors {len(stats.errors)} (target 0): "
          f"{'PASS' if ok else 'FAIL'}")
    return ok


def recover_and_count(stats: Stats, started_at, smtp: Smtp, timeout: float = 180) -> bool:
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
        pending_eval = Checkup.objects.filter(pk__in=stats.submitted, evaluated_at__isnull=True).count()
        pending_mail = AlertDelivery.objects.filter(alert__created_at__gte=started_at).exclude(
            status=AlertDelivery.Status.SENT).count()
        if not pending_eval and not pending_mail:
            break
        time.sleep(2)
    lost_submissions = len(stats.submitted) - Checkup.objects.filter(
        pk__in=stats.submitted, status=Checkup.Status.SUBMITTED).count()
    deliveries = AlertDelivery.objects.filter(alert__created_at__gte=started_at)
    sent = deliveries.filter(status=AlertDelivery.Status.SENT).count()
    # Lost: not marked sent, or marked sent but in no e-mail received. Duplicated: a message
    # received twice, or one alert reaching one recipient in more than one e-mail.
    copies = [smtp.alerts[(email, alert_id)] for alert_id, email in deliveries.values_list("alert_id", "recipient__email")]
    lost = deliveries.count() - sent + sum(1 for n in copies if n == 0)
    duplicated = sum(count - 1 for count in smtp.received.values() if count > 1) + sum(n - 1 for n in copies if n > 1)
    print(f"\nafter recovery: submissions {len(stats.submitted)} accepted, {lost_submissions} lost; "
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
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ph_bench_dashboard")
    args = parser.parse_args()

    redis, smtp = Redis(free_port()), Smtp(free_port())
    static_root = tempfile.mkdtemp(prefix="ph-static-")
    env = server_env(args.database_url, redis.port, smtp.port, static_root)
    # This process also runs the recovery (as beat would), so it must use the same broker and mail server.
    os.environ.update({key: env[key] for key in ("CELERY_BROKER_URL", "EMAIL_URL", "EMAIL_TIMEOUT")})
    data = prepare(args.database_url, args.reuse)
    from django.utils import timezone

    redis.start()
    smtp.start()
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    web_port = free_port()
    processes = [
        subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "partnerhealth.wsgi:application",
                          "--bind", f"127.0.0.1:{web_port}", "--workers", str(args.workers), "--timeout", "60"],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([str(Path(sys.executable).parent / "celery"), "-A", "partnerhealth", "worker",
                          "--concurrency", "2", "--loglevel", "WARNING"],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        wait_for_port(web_port)
        stats = Stats()
        started_at = timezone.now()
        started = time.monotonic()
        deadline = started + args.duration
        threads = [
            threading.Thread(target=manager_loop, args=(web_port, name, data["drafts"][name], data["scales"],
                                                        deadline, stats))
            for name in data["managers"]
        ] + [
            threading.Thread(target=leader_loop, args=(web_port, name, data["partner_ids"], data["period"], deadline,
                                                       stats))
            for name in data["leaders"]
        ]
        for thread in threads:
            thread.start()
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
        for thread in threads:
            thread.join()
        ok = report(stats, time.monotonic() - started)
        if args.fault:
            ok = recover_and_count(stats, started_at, smtp) and ok
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        smtp.stop()
        redis.stop()
        restore(data)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
