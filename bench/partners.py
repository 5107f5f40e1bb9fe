"""Benchmark the partners list (/partners/) on the 10,000-partner data set of bench/dashboard.py.

    .venv/bin/python bench/partners.py [--requests 60]
                                       [--database-url postgres://postgres@127.0.0.1:5432/ph_bench_dashboard]

It reuses the database that ``bench/dashboard.py`` seeds (run that first; ``--reuse`` there keeps it)
and only reads it. In-process (Django's test Client, DEBUG off), it times the list as leadership sees
it (every partner) and as one account manager sees it (her hundred or so), sorted, searched, filtered
and paged, --requests views of each after five warm-up views, and counts each view's queries.

Prints p50 and p95 per view and over them all, and PASS/FAIL for the target: p95 <= 50 ms for every view.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dashboard import LEADER, count_queries, percentile, setup_django  # noqa: E402

TARGET_P95_MS = 50


def seeded(database_url: str) -> bool:
    probe = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", urlparse(database_url).path.lstrip("/"), "-tAc",
         "SELECT COUNT(*) FROM assessments_partnersnapshot"],
        capture_output=True, text=True, check=False,
    )
    return probe.returncode == 0 and int(probe.stdout.strip() or 0) > 0


def time_view(client, url: str, n: int) -> list[float]:
    for _ in range(5):
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url, secure=True)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ph_bench_dashboard")
    args = parser.parse_args()
    if not seeded(args.database_url):
        raise SystemExit("the bench database is not seeded: run `.venv/bin/python bench/dashboard.py` first")
    setup_django(args.database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from assessments.models import Partner

    call_command("migrate", verbosity=0)
    User = get_user_model()
    leader = User.objects.get(username=LEADER)
    manager = User.objects.filter(owned_partners__is_active=True).order_by("username").first()
    url = reverse("partner_list")
    views = {
        "leadership, by name": (leader, url),
        "leadership, worst health first": (leader, f"{url}?sort=health"),
        "leadership, critical by change": (leader, f"{url}?band=critical&sort=change"),
        "leadership, search '123'": (leader, f"{url}?q=123&sort=-revenue"),
        "leadership, one owner, vendors": (leader, f"{url}?owner={manager.pk}&kind=vendor&sort=-health"),
        "leadership, page 100": (leader, f"{url}?sort=-change&page=100"),
        "account manager, worst first": (manager, f"{url}?sort=health"),
    }
    print(f"data: {Partner.objects.filter(is_active=True).count():,} active partners; "
          f"{manager.username} owns {manager.owned_partners.filter(is_active=True).count()}")
    print("load average before measuring (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    results, every = {}, []
    client = Client()
    for label, (user, view_url) in views.items():
        client.force_login(user)
        queries = count_queries(client, view_url)
        times = time_view(client, view_url, args.requests)
        every += times
        results[label] = {"p50": percentile(times, 50), "p95": percentile(times, 95), "queries": queries}
        print(f"in-process {label:32} {view_url}: p50 {results[label]['p50']:.1f} ms, "
              f"p95 {results[label]['p95']:.1f} ms over {args.requests} ({queries} queries)")
    print("load average after measuring (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    worst = max(r["p95"] for r in results.values())
    print(f"all views: p50 {percentile(every, 50):.1f} ms, p95 {percentile(every, 95):.1f} ms; worst view p95 {worst:.1f} ms")
    ok = worst <= TARGET_P95_MS
    print(f"{'PASS' if ok else 'FAIL'}  partners list p95 <= {TARGET_P95_MS} ms in-process, every view")
    print(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
