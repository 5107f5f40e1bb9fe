"""Benchmark the perception gap and the review pack at 10,000 partners.

    python bench/perception.py [--partners 10000] [--views 0.3] [--requests 30] [--reuse]
                               [--database-url postgres://postgres@127.0.0.1:5432/ph_bench_perception]

1. Recreates the bench database (unless --reuse finds it seeded), migrates it, and writes with
   COPY two quarters of snapshots for every partner (2026-Q2 and 2026-Q3, full item means), a
   share ``--views`` of them carrying the partner's view of us, some of it falling.
2. Measures in-process (Django's test Client, logged in as leadership), p50 and p95:
   the dashboard with nothing cached (every tile, including "their view of us dropped", and the
   heatmap page with its perception-gap column), the heatmap sorted by the gap, the tile's
   query alone, a partner page with a view, and the review pack's print page and PDF.

The snapshots are written directly (the dashboard and the pack read only snapshots); bench/
dashboard.py measures the same dashboard over snapshots computed from 6.5M answers.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dashboard import copy_model, percentile, recreate_database, reset_sequences, setup_django  # noqa: E402

LEADER = "bench-lead"


def seed(*, partners: int, views: float) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from assessments.models import Partner, PartnerSnapshot, Period, RubricItem, RubricVersion
    from assessments.periods import Quarter
    from assessments.roles import Role
    from assessments.scoring import BandThresholds

    call_command("migrate", verbosity=0)
    User = get_user_model()
    lead = User.objects.create_user(LEADER, f"{LEADER}@example.com", "bench-perception-password")
    lead.groups.add(Group.objects.get_or_create(name=Role.LEADERSHIP.value)[0])
    manager = User.objects.create_user("bench-am", "bench-am@example.com", "bench-perception-password")
    manager.groups.add(Group.objects.get_or_create(name=Role.ACCOUNT_MANAGER.value)[0])
    periods = {}
    for code in ("2026-Q2", "2026-Q3"):
        periods[code] = Period.objects.create(**Period.fields_for(Quarter.parse(code)))
    version = RubricVersion.objects.get(is_current=True)
    addresses = [
        (f"{r}.{k}", scale)
        for r, k, scale in RubricItem.objects.filter(rubric__version=version).values_list(
            "rubric__key", "key", "rubric__scale"
        )
    ]
    rng = random.Random(15)
    segments = ["strategic", "developing", "developing", "regular", "regular"]
    copy_model(
        Partner,
        [
            {
                "id": n + 1,
                "name": f"Bench Partner {n:05d}",
                "segment": segments[n % 5],
                "annual_revenue": 1000 * (n + 1),
            }
            for n in range(partners)
        ],
    )
    reset_sequences(Partner)
    Partner.owners.through.objects.bulk_create(
        Partner.owners.through(partner_id=n + 1, user_id=manager.pk) for n in range(partners)
    )
    bands = BandThresholds()
    rows = []
    for n in range(partners):
        health = 40 + rng.random() * 55
        has_view = rng.random() < views
        their = 40 + rng.random() * 55
        for code in ("2026-Q2", "2026-Q3"):
            if code == "2026-Q3":
                health += rng.uniform(-8, 5)
                their += rng.uniform(-12, 4)
            health = min(max(health, 0), 100)
            their = min(max(their, 0), 100)
            means = {
                a: (round(rng.uniform(0, 3), 2) if s == "intensity" else round(rng.uniform(1, 5), 2))
                for a, s in addresses
            }
            view = None
            if has_view:
                view = {
                    "health": round(their, 2),
                    "band": bands.band_for(their).value,
                    "rubric_scores": {"traits": round(their, 2), "symptoms": 80.0},
                    "item_means": {a: v for a, v in means.items() if a.startswith(("traits.", "symptoms."))},
                    "responses": 2,
                }
            rows.append(
                {
                    "id": len(rows) + 1,
                    "partner_id": n + 1,
                    "period_id": periods[code].id,
                    "rubric_version_id": version.id,
                    "health": round(health, 2),
                    "band": bands.band_for(health).value,
                    "health_delta": None,
                    "rubric_scores": {"characteristics": health, "traits": health, "symptoms": 80.0},
                    "item_means": means,
                    "item_spread": {},
                    "contributions": {},
                    "red_flags": {},
                    "rater_count": 2,
                    "disagreement": 0.0,
                    "partner_view": view,
                }
            )
    copy_model(PartnerSnapshot, rows)
    reset_sequences(PartnerSnapshot)
    from django.db import connection

    with connection.cursor() as cursor:
        # As autovacuum would: the visibility map lets the partial index answer without the table.
        cursor.execute("VACUUM ANALYZE")


def timed(fn, n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 50), percentile(times, 95)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--views", type=float, default=0.3, help="share of partners whose contacts rated us")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ph_bench_perception")
    args = parser.parse_args()

    db = urlparse(args.database_url).path.lstrip("/")
    setup_django(args.database_url)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    from assessments.models import PartnerSnapshot
    from assessments.selectors.dashboard.periods import dashboard_periods
    from assessments.selectors.dashboard.tiles import _view_drops

    seeded = False
    if args.reuse:
        try:
            seeded = get_user_model().objects.filter(username=LEADER).exists()
        except Exception:  # no database or no tables yet
            seeded = False
    if not seeded:
        from django.db import connections

        connections.close_all()
        recreate_database(args.database_url)
        started = time.perf_counter()
        seed(partners=args.partners, views=args.views)
        print(f"seeded {args.partners} partners into {db} in {time.perf_counter() - started:.1f} s")

    views = PartnerSnapshot.objects.filter(partner_view__isnull=False).count()
    print(f"{PartnerSnapshot.objects.count()} snapshots, {views} with the partner's view")
    client = Client()
    client.force_login(get_user_model().objects.get(username=LEADER))
    n = args.requests

    def get(url: str) -> bytes:
        response = client.get(url, secure=True)
        assert response.status_code == 200, (url, response.status_code)
        return response.content

    def cold_dashboard():
        cache.clear()
        get("/dashboard/")

    periods = dashboard_periods()
    period, previous = periods[0], periods[1]
    partner_id = (
        PartnerSnapshot.objects.filter(partner_view__isnull=False, period_id=period.id).values_list(
            "partner_id", flat=True
        )
    )[0]
    get("/dashboard/")
    results = {
        "dashboard, nothing cached (every tile + heatmap page)": timed(cold_dashboard, n),
        "dashboard warm": timed(lambda: get("/dashboard/"), n),
        "heatmap sorted by perception gap, nothing cached": timed(
            lambda: (cache.clear(), get("/dashboard/?sort=-perception_gap")), n
        ),
        "tile query alone (their view of us dropped)": timed(lambda: _view_drops(period=period, previous=previous), n),
        "partner page with a view (perception section)": timed(lambda: get(f"/partners/{partner_id}/"), n),
        "review pack print page": timed(lambda: get(f"/partners/{partner_id}/review/"), n),
    }
    pdf = get(f"/partners/{partner_id}/review.pdf")
    results["review pack PDF"] = timed(lambda: get(f"/partners/{partner_id}/review.pdf"), max(5, n // 3))
    drops = _view_drops(period=period, previous=previous)["view_drops_count"]
    print(f"partners whose view of us dropped in {period.code}: {drops}")
    for name, (p50, p95) in results.items():
        print(f"{name:55s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
    print(f"review pack PDF size: {len(pdf) / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
