"""A small hand-built portfolio for the dashboard tests.

Snapshots are written directly (the dashboard reads only snapshots), with
health deltas that agree with each partner's history. The selected period is
2026-Q3 (P), the one before 2026-Q2 (P-1), and the trend window starts at
2025-Q4 (P-3). "Today" is in 2026-Q4, the quarter whose completion is shown.

partner  segment     kind      owners      revenue    2025-Q4 2026-Q1 2026-Q2 2026-Q3  notes
Alpha    strategic   alliance  Ana         1,000,000   84      83      82      80
Bravo    developing  vendor    Ana           400,000   50      66      61      55       fell 5 then 6: declining
Charlie  developing  reseller  Ben           300,000   45      52      60      70       best trend (+25)
Delta    regular     client    Ben           200,000   -       -       34      35       critical
Echo     regular     alliance  Ana, Ben      100,000   -       -       78      78       warning alert in P
Foxtrot  regular     vendor    Ben           500,000   -       -       30      20       INACTIVE; critical alert in P
Golf     developing  client    Ana                 0   70      -       -       65       "watch" alert in P (not declining)
Hotel    regular     reseller  Ana            50,000   -       -       90      -        no snapshot in P
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from assessments.models import Alert, Checkup, Partner, PartnerSnapshot, RubricItem, RubricVersion
from assessments.periods import Quarter
from assessments.scoring import BandThresholds
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, UserFactory

P, PREV, TREND_FROM = "2026-Q3", "2026-Q2", "2025-Q4"
TODAY = dt.date(2026, 11, 22)

HISTORY = {
    "Alpha": {"2025-Q4": 84, "2026-Q1": 83, "2026-Q2": 82, "2026-Q3": 80},
    "Bravo": {"2025-Q4": 50, "2026-Q1": 66, "2026-Q2": 61, "2026-Q3": 55},
    "Charlie": {"2025-Q4": 45, "2026-Q1": 52, "2026-Q2": 60, "2026-Q3": 70},
    "Delta": {"2026-Q2": 34, "2026-Q3": 35},
    "Echo": {"2026-Q2": 78, "2026-Q3": 78},
    "Foxtrot": {"2026-Q2": 30, "2026-Q3": 20},
    "Golf": {"2025-Q4": 70, "2026-Q3": 65},
    "Hotel": {"2026-Q2": 90},
}
# characteristics.trust mean and symptom score in 2026-Q3, distinct so sorting by them is testable.
TRUST = {"Alpha": 4.5, "Bravo": 2.5, "Charlie": 3.0, "Delta": 1.5, "Echo": 5.0, "Foxtrot": 1.0, "Golf": 3.5}
SYMPTOMS = {"Alpha": 100.0, "Bravo": 60.0, "Charlie": 80.0, "Delta": 40.0, "Echo": 100.0, "Foxtrot": 20.0, "Golf": 90.0}


@dataclass
class Portfolio:
    partners: dict[str, Partner]
    ana: object
    ben: object
    chloe: object
    lena: object
    periods: dict


def rating_addresses() -> list[str]:
    return [
        f"{rubric}.{key}"
        for rubric, key in RubricItem.objects.filter(rubric__version__is_current=True)
        .exclude(rubric__scale="intensity")
        .values_list("rubric__key", "key")
    ]


def snapshot(*, partner: Partner, period, health: float, delta: float | None, trust: float = 4.0,
             symptoms: float = 100.0) -> PartnerSnapshot:
    version = RubricVersion.objects.get(is_current=True)
    means = dict.fromkeys(rating_addresses(), 4.0)
    means["characteristics.trust"] = trust
    return PartnerSnapshot.objects.create(
        partner=partner,
        period=period,
        rubric_version=version,
        health=health,
        band=BandThresholds().band_for(health).value,
        health_delta=delta,
        rubric_scores={"characteristics": health, "traits": health, "symptoms": symptoms},
        item_means=means,
        item_spread={},
        contributions={},
        rater_count=1,
        disagreement=0,
    )


def build_portfolio() -> Portfolio:
    ana = UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")
    ben = UserFactory(username="ben", first_name="Ben", last_name="Okafor", role="account_manager")
    chloe = UserFactory(username="chloe", first_name="Chloe", last_name="Dubois", role="account_manager")
    lena = UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")
    periods = {code: PeriodFactory.of(code) for code in ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")}
    specs = {
        "Alpha": ("strategic", "alliance", [ana], 1_000_000, True),
        "Bravo": ("developing", "vendor", [ana], 400_000, True),
        "Charlie": ("developing", "reseller", [ben], 300_000, True),
        "Delta": ("regular", "client", [ben], 200_000, True),
        "Echo": ("regular", "alliance", [ana, ben], 100_000, True),
        "Foxtrot": ("regular", "vendor", [ben], 500_000, False),
        "Golf": ("developing", "client", [ana], 0, True),
        "Hotel": ("regular", "reseller", [ana], 50_000, True),
    }
    partners = {}
    for name, (segment, kind, owners, revenue, active) in specs.items():
        partners[name] = PartnerFactory(
            name=name, segment=segment, kind=kind, owners=owners, annual_revenue=revenue, is_active=active
        )
        previous = None
        for code in sorted(HISTORY[name], key=Quarter.parse):
            health = HISTORY[name][code]
            snapshot(
                partner=partners[name],
                period=periods[code],
                health=health,
                delta=None if previous is None else health - previous,
                trust=TRUST.get(name, 4.0) if code == P else 4.0,
                symptoms=SYMPTOMS.get(name, 100.0) if code == P else 100.0,
            )
            previous = health

    for name, severity in (("Echo", "warning"), ("Foxtrot", "critical"), ("Golf", "watch")):
        Alert.objects.create(
            partner=partners[name], period=periods[P], rule="health_decline", severity=severity, explanation="test"
        )

    # This quarter's check-ups: two count (owner, active partner, submitted), three do not.
    now = timezone.now()
    submitted = {"status": Checkup.Status.SUBMITTED, "submitted_at": now}
    current = periods["2026-Q4"]
    CheckupFactory(partner=partners["Alpha"], period=current, rater=ana, **submitted)
    CheckupFactory(partner=partners["Echo"], period=current, rater=ben, **submitted)
    CheckupFactory(partner=partners["Charlie"], period=current, rater=ben)  # a draft
    CheckupFactory(partner=partners["Delta"], period=current, rater=chloe, **submitted)  # not an owner
    CheckupFactory(partner=partners["Foxtrot"], period=current, rater=ben, **submitted)  # inactive partner
    return Portfolio(partners=partners, ana=ana, ben=ben, chloe=chloe, lena=lena, periods=periods)
