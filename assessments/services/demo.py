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
from assessments.scoring import BIG_MOVE
from assessments.selectors.rubrics import rubric_item_index, rubric_version_current
from assessments.services.demo_mirror import demo_mirror_seed
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
    # One partner per evidence cross-check (docs/EVIDENCE.md): last quarter's answers contradict the
    # interactions, engagements or red flags on record.
    ("contact_gap", 1),
    ("quiet_quarter", 1),
    ("rainbows_denied", 1),
    ("withholding", 1),
    ("payment_dispute", 1),
    # Stale scores (docs/DASHBOARD.md): nobody has scored these for more than STALE_AFTER_QUARTERS quarters.
    ("stale", 2),
    # Rater calibration (docs/CALIBRATION.md): all three account managers score these, Ben
    # generously and Chloe harshly, so the raters page has leniencies to show.
    ("co_rated", 3),
]
# The last quarter (index into the history, 0 = oldest) each stale partner was scored in, in plan order.
STALE_LAST_SCORED = (HISTORY_QUARTERS - 4, HISTORY_QUARTERS - 3)
# Rating steps each rater adds to their answers on the co-rated partners.
RATER_BIAS = {"ben": 0.7, "chloe": -0.7}

# Last quarter's answers of the cross-check partners: what the evidence will contradict.
EVIDENCE_ANSWERS = {
    "contact_gap": {"characteristics.trust": 5, "traits.face_to_face": 4},
    "quiet_quarter": {"symptoms.little_interaction": 0},
    "rainbows_denied": {"symptoms.chasing_rainbows": 0},
    "withholding": {"traits.honesty": 5},
}


# Demo partners (by plan index, all stable) whose owners could not judge some items in the last two
# quarters of history and answered "not applicable / don't know" (docs/SCORING.md). The latest
# check-up of NOT_SCORED covers too little to be scored: it is recorded, and the pages say why.
NOT_APPLICABLE = {
    1: ("characteristics.leadership_access", "traits.homework"),
    2: ("symptoms.one_sided_pencil", "symptoms.misrepresented_solution", "characteristics.service_team"),
}
NOT_SCORED = 3
NOT_SCORED_ITEMS = (
    "characteristics.flexibility",
    "characteristics.trust",
    "characteristics.leadership_access",
    "traits.homework",
    "traits.attention",
    "traits.proactivity",
    "traits.face_to_face",
    "symptoms.chasing_rainbows",
)
# Why an answer moved 2 points or more since the rater's previous quarter (a comment is required).
BIG_MOVE_COMMENTS = (
    "Escalation on the joint account this quarter",
    "New account lead on their side",
    "Delivery slipped twice in a row",
    "Their COO stepped in and it changed quickly",
)


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
        if (segment == Partner.Segment.STRATEGIC and index % 2 == 0) or pattern == "payment_dispute":
            # Two raters; the payment dispute needs them to disagree.
            owners += (DEMO_USERS[(index + 1) % 3][0],)
        if pattern == "co_rated":
            owners = ("ana", "ben", "chloe")
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


def _not_applicable(index: int, q_index: int) -> tuple[str, ...]:
    """The items a demo partner's owners answer "not applicable" in history quarter ``q_index``."""
    if q_index < HISTORY_QUARTERS - 2:
        return ()
    if index == NOT_SCORED and q_index == HISTORY_QUARTERS - 1:
        return NOT_SCORED_ITEMS
    return NOT_APPLICABLE.get(index, ())


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
    writer.writerow(["partner", "period", "rater", "item", "score", "comment"])
    said: dict[tuple[str, str, str], int] = {}
    partners = {}
    flags = []
    evidence_flags = []
    stale_seen = 0
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
        last_scored = HISTORY_QUARTERS - 1
        if spec.pattern == "stale":
            last_scored = STALE_LAST_SCORED[stale_seen % len(STALE_LAST_SCORED)]
            stale_seen += 1
        for q_index, quarter in enumerate(history[: last_scored + 1]):
            offset, symptoms = _level(spec.pattern, q_index, onset)
            unknown = _not_applicable(index, q_index)
            for owner in spec.owners:
                bias = RATER_BIAS.get(owner, 0.0) if spec.pattern == "co_rated" else 0.0
                answers = _answers(rng, items, base, offset + bias, symptoms)
                if q_index == HISTORY_QUARTERS - 1:
                    answers.update(EVIDENCE_ANSWERS.get(spec.pattern, {}))
                for address, value in answers.items():
                    shown = "na" if address in unknown else value
                    before = said.get((spec.name, owner, address))
                    moved = shown != "na" and before is not None and abs(value - before) >= BIG_MOVE
                    if shown != "na":
                        said[(spec.name, owner, address)] = value
                    comment = BIG_MOVE_COMMENTS[(index + q_index) % len(BIG_MOVE_COMMENTS)] if moved else ""
                    writer.writerow([spec.name, quarter.code, users[owner].email, address, shown, comment])
        if spec.pattern == "cut_bait":
            flags.append(partner)
        elif spec.pattern in {"withholding", "payment_dispute"}:
            evidence_flags.append((spec.pattern, partner))
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
    _seed_evidence_flags(evidence_flags, last)
    snapshots_recompute(pairs={(p.id, last.id) for p in flags + [p for _, p in evidence_flags]})
    _seed_action_items(partners, history[-1], periods)
    demo_mirror_seed(plan=demo_plan(), partners=partners, history=history, periods=periods, now_quarter=now_quarter)

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


def _seed_evidence_flags(evidence_flags, last) -> None:
    """Red flags that contradict last quarter's answers: information withheld beside an honesty of 5
    (001), and two raters who disagree about payment (001), one on time and one 20 days beyond terms (a watch,
    so no risk case; the withheld information is a warning and opens one)."""
    for pattern, partner in evidence_flags:
        checkups = list(Checkup.objects.filter(partner=partner, period=last).order_by("rater__username"))
        if pattern == "withholding":
            Checkup.objects.filter(pk__in=[c.pk for c in checkups]).update(info_withheld=True)
        elif len(checkups) >= 2:
            terms = partner.payment_terms_days
            Checkup.objects.filter(pk=checkups[0].pk).update(days_to_pay=terms - 5)
            Checkup.objects.filter(pk=checkups[1].pk).update(days_to_pay=terms + 20)


def _seed_engagements(rng, partner, spec, history):
    if partner.engagements.exists():
        return
    statuses = ["won", "completed", "active", "lost", "proposed"]
    if spec.pattern in {"persistent_symptom", "rainbows_denied"}:
        # Chasing rainbows (002): proposal after proposal, nothing landed.
        statuses = ["proposed", "lost", "lost", "proposed", "lost"]
    count = 5 if spec.pattern == "rainbows_denied" else None
    for n in range(count or rng.randint(3, 6)):
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
    # Nothing logged for the last three quarters (contact gap) or the last one (quiet quarter).
    silent = {"contact_gap": 3, "quiet_quarter": 1}.get(spec.pattern, 0)
    kinds = [k.value for k in Interaction.Kind]
    entries = []
    for q_index, quarter in enumerate(history):
        for _ in range(per_quarter if q_index < len(history) - silent else 0):
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
