"""Benchmark the REST API's list endpoints on the 10,000-partner data set of bench/dashboard.py.

    .venv/bin/python bench/api.py [--requests 60]
                                  [--database-url postgres://postgres@127.0.0.1:5432/ph_bench_dashboard]

It reuses the database that ``bench/dashboard.py`` seeds (run that first; ``--reuse`` there keeps it),
applies any newer migrations, and makes two API tokens (leadership and one account manager). In-process
(Django's test Client, DEBUG off, ``Authorization: Bearer``), each list is requested --requests times after
five warm-up requests, at the default page size; its queries are counted at page sizes 10 and 200.

Prints p50 and p95 per endpoint and PASS/FAIL for the targets: p95 <= 50 ms for every list, and the same
number of queries at both page sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dashboard import LEADER, count_queries, percentile, setup_django  # noqa: E402
from bench.partners import seeded, time_view  # noqa: E402

TARGET_P95_MS = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ph_bench_dashboard")
    args = parser.parse_args()
    if not seeded(args.database_url):
        raise SystemExit("the bench database is not seeded: run `.venv/bin/python bench/dashboard.py` first")
    os.environ["API_THROTTLE_RATE"] = "1000000/minute"
    setup_django(args.database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from api.models import ApiToken
    from api.tokens import token_create
    from assessments.models import Partner, Period
    from assessments.selectors.partner_list import scored_periods

    call_command("migrate", verbosity=0)
    User = get_user_model()
    leader = User.objects.get(username=LEADER)
    manager = User.objects.filter(owned_partners__is_active=True).order_by("username").first()
    ApiToken.objects.filter(name="bench").delete()
    clients = {}
    for who, user in (("leadership", leader), ("manager", manager)):
        secret = token_create(user=user, name="bench").secret
        clients[who] = Client(headers={"Authorization": f"Bearer {secret}"})
    latest = Period.objects.get(pk=next(iter(scored_periods())))
    views = {
        "partners": ("leadership", "/api/partners/"),
        "partners, at risk": ("leadership", "/api/partners/?band=at_risk"),
        "partners, one owner's vendors": ("leadership", f"/api/partners/?owner={manager.pk}&kind=vendor"),
        "partners, manager": ("manager", "/api/partners/"),
        "snapshots, latest quarter": ("leadership", f"/api/snapshots/?period={latest.code}"),
        "snapshots, manager": ("manager", "/api/snapshots/"),
        "cases": ("leadership", "/api/cases/"),
        "cases, open": ("leadership", "/api/cases/?state=open"),
        "checkups, manager's own": ("manager", "/api/checkups/"),
        "action items": ("leadership", "/api/action-items/"),
        "interactions": ("leadership", "/api/interactions/"),
        "engagements": ("leadership", "/api/engagements/"),
    }
    print(
        f"data: {Partner.objects.filter(is_active=True).count():,} active partners; "
        f"{manager.username} owns {manager.owned_partners.filter(is_active=True).count()}"
    )
    print("load average before measuring (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    results, every, flat = {}, [], True
    for label, (who, url) in views.items():
        client = clients[who]
        client.get(url, secure=True)  # a token's first use writes its last_used_at: not part of the count
        joiner = "&" if "?" in url else "?"
        small = count_queries(client, f"{url}{joiner}page_size=10")
        large = count_queries(client, f"{url}{joiner}page_size=200")
        flat &= small == large
        times = time_view(client, url, args.requests)
        every += times
        results[label] = {"p50": percentile(times, 50), "p95": percentile(times, 95), "queries": [small, large]}
        print(
            f"in-process {label:30} {url}: p50 {results[label]['p50']:.1f} ms, p95 {results[label]['p95']:.1f} ms "
            f"over {args.requests}; queries {small} at 10 per page, {large} at 200"
        )
    print("load average after measuring (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    worst = max(r["p95"] for r in results.values())
    print(
        f"all lists: p50 {percentile(every, 50):.1f} ms, p95 {percentile(every, 95):.1f} ms; worst p95 {worst:.1f} ms"
    )
    ok = worst <= TARGET_P95_MS
    print(f"{'PASS' if ok else 'FAIL'}  API lists p95 <= {TARGET_P95_MS} ms in-process, every list")
    print(f"{'PASS' if flat else 'FAIL'}  the same number of queries at 10 and 200 per page, every list")
    ApiToken.objects.filter(name="bench").delete()
    print(json.dumps(results))
    return 0 if ok and flat else 1


if __name__ == "__main__":
    raise SystemExit(main())
