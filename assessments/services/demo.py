"""A realistic demo portfolio: idempotent, deterministic.

Patterns are chosen so every part of the app has something to show: steady
partners, gradual and sudden declines, a persistent symptom (002), a one-
quarter dip that must not alert, developing partners on the rise (004) and a
cut-bait case (001).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from assessments.models import ActionItem, Checkup, Engagement, Interaction, Partner, RubricItem
from assessments.periods import Quarter, current_quarter
from assessments.roles import Role
from assessments.selectors.rubrics import rubric_item_index, rubric_version_current
from assessments.services.imports import checkups_import
from assessments.services.partners import partner_owners_add
from assessments.services.periods import period_get_or_create, periods_get_or_create
from assessments.services.snapshots import snapshots_recompute

DEMO_PASSWORD = "partner-health-demo"
HISTORY_QUARTERS = 8

DEMO_USERS = [
    ("ana", "Ana", "Alvarez", Role.ACCOUNT_MANAGER),
    ("ben", "Ben", "Okafor", Role.ACCOUNT_MANAGER),
    ("chloe", "Chloe", "Dubois", Role.ACCOUNT_MANAGER),
    ("lena", "Lena", "Fischer", Role.LEADERSHIP),
    ("admin", "Avery", "Admin", Role.ADMIN),
]

_FIRST = [
    "Northwind",
    "Bluepeak",
    "Cedar",
    "Ironbridge",
    "Lumen",
    "Meridian",
    "Oakline",
    "Pinnacle",
    "Quartz",
    "Redwood",
    "Silverline",
    "Tidewater",
    "Summit",
    "Harbor",
    "Granite",
    "Evergreen",
]
_SECOND = ["Systems", "Digital", "Logistics", "Analytics"]

# pattern name -> how many partners follow it
PATTERNS = [
    ("stable", 26),
    ("gradual_decline", 4),
    ("sudden_drop", 3),
    ("persistent_symptom", 3),
    ("one_dip", 4),
    ("improving", 5),
    ("cut_bait", 1),
]


@dataclass(frozen=True)
class DemoPartner:
    name: str
    kind: str
    segment: str
    pattern: str
    owners: tuple[str, ...]
    revenue: int


def demo_plan() -> list[DemoPartner]:
    rng = random.Random(20261122)
    names = [f"{a} {b}" for b in _SECOND for a in _FIRST]
    rng.shuffle(names)
    patterns = [name for name, count in PATTERNS for _ in range(count)]
    kinds = [k.value for k in Partner.Kind]
    plan = []
    for index, pattern in enumerate(patterns):
        if pattern == "improving":
            segment = Partner.Segment.DEVELOPING
        elif index % 5 == 0:
            segment = Partner.Segment.STRATEGIC
        elif index % 3 == 0:
            segment = Partner.Segment.DEVELOPING
        else:
            segment = Partner.Segment.REGULAR
        owners = (DEMO_USERS[index % 3][0],)
        if segment == Partner.Segment.STRATEGIC and index % 2 == 0:
            owners += (DEMO_USERS[(index + 1) % 3][0],)
        revenue = {"strategic": 2_000_000, "developing": 600_000, "regular": 150_000}[segment]
        plan.append(
            DemoPartner(
                name=names[index],
                kind=kinds[index % len(kinds)],
                segment=segment,
                pattern=pattern,
                owners=owners,
                revenue=int(revenue * rng.uniform(0.5, 1.6)) // 1000 * 1000,
            )
        )
    # One account carries a rep's book: the concentration risk of 004.
    plan[0] = DemoPartner(
        **{
            **plan[0].__dict__,
            "revenue": 9_500_000,
            "segment": Partner.Segment.STRATEGIC,
        }
    )
    return plan


def _level(pattern: str, q: int, onset: int) -> tuple[float, dict[str, float]]:
    """Rating offset and symptom intensities for quarter index q (0 = oldest)."""
    symptoms: dict[str, float] = {}
    offset = 0.0
    if pattern == "gradual_decline" and q >= onset:
        offset = -0.45 * (q - onset + 1)
        symptoms["little_interaction"] = min(3, 0.6 * (q - onset + 1))
    elif pattern == "sudden_drop" and q >= onset:
        offset = -1.6
        symptoms["no_mutual_respect"] = 2
    elif pattern == "persistent_symptom" and q >= onset:
        symptoms["chasing_rainbows"] = 2.6
        offset = -0.3
    elif pattern == "one_dip" and q == onset:
        # About 2.5 times the quarter-to-quarter noise of the mean rating: a dip. One quarter,
        # however deep, is never more than a watch (docs/TRENDS.md).
        offset = -0.5
        symptoms["little_interaction"] = 2
    elif pattern == "improving":
        offset = -0.8 + 0.18 * q
    elif pattern == "cut_bait" and q >= HISTORY_QUARTERS - 2:
        offset = -1.0
        symptoms["no_mutual_respect"] = 3
    return offset, symptoms


def _answers(
    rng: random.Random,
    items: dict,
    base: float,
    offset: float,
    symptoms: dict[str, float],
) -> dict:
    answers = {}
    for address in items:
        rubric, _, key = address.partition(".")
        if rubric == "symptoms":
            mean = symptoms.get(key, 0.25)
            answers[address] = max(0, min(3, round(rng.gauss(mean, 0.35))))
        else:
            answers[address] = max(1, min(5, round(rng.gauss(base + offset, 0.45))))
    return answers


@transaction.atomic
def demo_seed(*, today: dt.date | None = None) -> dict:
    """Create (or complete) the demo portfolio. Safe to run any number of times."""
    User = get_user_model()
    users = {}
    password_hash = None  # hashing is deliberately slow; do it once for all demo users
    for username, first, last, role in DEMO_USERS:
        email = f"{username}@demo.partnerhealth.test"
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": email, "first_name": first, "last_name": last},
        )
        if created:
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user.password = password_hash
            user.is_staff = role == Role.ADMIN
            user.is_superuser = role == Role.ADMIN
            user.save()
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        users[username] = user

    now_quarter = current_quarter(today=today or timezone.localdate())
    history = now_quarter.previous().window(HISTORY_QUARTERS)
    periods = periods_get_or_create(quarters=[*history, now_quarter])
    version = rubric_version_current()
    items = rubric_item_index(version_id=version.id)

    rng = random.Random(42)
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["partner", "period", "rater", "item", "score"])
    partners = {}
    flags = []
    for index, spec in enumerate(demo_plan()):
        partner, _ = Partner.objects.get_or_create(
            name=spec.name,
            defaults={
                "kind": spec.kind,
                "segment": spec.segment,
                "annual_revenue": spec.revenue,
                "payment_terms_days": 30 if index % 2 else 45,
                "executive_sponsor": users["lena"],
            },
        )
        partner_owners_add(partner=partner, owners=[users[o] for o in spec.owners])
        partners[spec.name] = partner
        base = rng.uniform(3.6, 4.5)
        onset = rng.randint(4, 6)
        for q_index, quarter in enumerate(history):
            offset, symptoms = _level(spec.pattern, q_index, onset)
            for owner in spec.owners:
                for address, value in _answers(rng, items, base, offset, symptoms).items():
                    writer.writerow([spec.name, quarter.code, users[owner].email, address, value])
        if spec.pattern == "cut_bait":
            flags.append(partner)
        _seed_engagements(rng, partner, spec, history)
        _seed_interactions(rng, partner, spec, history, users[spec.owners[0]])

    existing = set(
        Checkup.objects.filter(partner__in=partners.values()).values_list(
            "partner__name", "period__code", "rater__email"
        )
    )
    rows.seek(0)
    reader = csv.reader(rows)
    pending = [next(reader)] + [r for r in reader if (r[0], r[1], r[2]) not in existing]
    imported = 0
    if len(pending) > 1:
        text = io.StringIO()
        csv.writer(text).writerows(pending)
        text.seek(0)
        imported = checkups_import(lines=text).checkups

    # The cut-bait case (001): late payment and abusive behaviour last quarter.
    last = periods[history[-1].code]
    Checkup.objects.filter(partner__in=flags, period=last).update(days_to_pay=127, abusive_behaviour=True)
    snapshots_recompute(pairs={(p.id, last.id) for p in flags})
    _seed_action_items(partners, history[-1], periods)

    # Open this quarter's check-ups for every owner: "not started" until saved.
    current = period_get_or_create(quarter=now_quarter)
    for partner in partners.values():
        for owner in partner.owners.all():
            Checkup.objects.get_or_create(
                partner=partner,
                period=current,
                rater=owner,
                defaults={"rubric_version": version},
            )
    return {"partners": len(partners), "checkups_imported": imported, "users": users}


def _seed_engagements(rng, partner, spec, history):
    if partner.engagements.exists():
        return
    statuses = ["won", "completed", "active", "lost", "proposed"]
    if spec.pattern == "persistent_symptom":
        # Chasing rainbows (002): proposal after proposal, nothing landed.
        statuses = ["proposed", "lost", "lost", "proposed", "lost"]
    for n in range(rng.randint(3, 6)):
        started = history[rng.randrange(len(history))].starts_on + dt.timedelta(days=rng.randint(0, 60))
        status = statuses[n % len(statuses)]
        Engagement.objects.create(
            partner=partner,
            client=f"{rng.choice(['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne'])} "
            f"{rng.choice(['Retail', 'Bank', 'Health', 'Energy'])}",
            title=rng.choice(
                [
                    "Service desk outsourcing",
                    "Data centre move",
                    "E-commerce replatform",
                    "Field break-fix",
                    "Hardware procurement",
                    "Analytics rollout",
                ]
            ),
            status=status,
            value=rng.randint(20, 400) * 1000,
            started_on=started,
            ended_on=started + dt.timedelta(days=90) if status in {"completed", "lost"} else None,
        )


def _seed_interactions(rng, partner, spec, history, owner):
    if partner.interactions.exists():
        return
    per_quarter = 1 if spec.pattern in {"gradual_decline", "persistent_symptom"} else 3
    kinds = [k.value for k in Interaction.Kind]
    entries = []
    for quarter in history:
        for _ in range(per_quarter):
            kind = rng.choice(kinds)
            entries.append(
                Interaction(
                    partner=partner,
                    occurred_on=quarter.starts_on + dt.timedelta(days=rng.randint(0, 85)),
                    kind=kind,
                    face_to_face=kind in {"meeting", "qbr", "workshop"} and rng.random() < 0.7,
                    summary=rng.choice(
                        [
                            "Pipeline review",
                            "Escalation follow-up",
                            "Quarterly business review",
                            "Joint account planning",
                            "Sales training on new release",
                        ]
                    ),
                    created_by=owner,
                )
            )
    Interaction.objects.bulk_create(entries)


def _seed_action_items(partners, quarter: Quarter, periods):
    period = periods[quarter.code]
    # An in-person session should move the "meeting face to face" trait (002): linked, so the
    # partner page shows whether it did.
    face_to_face = RubricItem.objects.filter(
        rubric__version__is_current=True, rubric__key="traits", key="face_to_face"
    ).first()
    for index, partner in enumerate(partners.values()):
        if index % 3 or partner.action_items.exists():
            continue
        checkup = partner.checkups.filter(period=period).select_related("rater").first()
        owner = checkup.rater if checkup else partner.owners.order_by("id").first()
        if owner is None:
            continue
        action = ActionItem.objects.create(
            partner=partner,
            checkup=checkup,
            period=period,
            description="Hold an in-person account planning session with their leadership",
            owner=owner,
            due_on=quarter.next().ends_on,
            baseline_period=period,
            created_by=owner,
        )
        if face_to_face is not None:
            action.items.add(face_to_face)
