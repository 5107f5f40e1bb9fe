"""The demo's partner side: contacts, four quarters of mirror surveys, and this quarter's invitations.

Called by ``services.demo.demo_seed`` once its partners and history exist. The strategic partners'
contacts rated us in each of the last four quarters; one partner (``FALLING``'s pick: the first
steady partner of ana's) rates us lower every quarter, with the symptom "little to no interaction"
growing, while our own view of it stays steady. This quarter, some contacts are invited, one has
opened the link, one has saved part of an answer, one has answered and one opted out, so the owners'
progress page has every state. Idempotent: a partner that already has contacts is left alone.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from assessments.models import Contact, Partner, Period, SurveyInvitation, SurveyResponse
from assessments.periods import Quarter
from assessments.selectors.rubrics import rubric_item_index, rubric_version_partner_current
from assessments.services.mirror import invitation_new
from assessments.services.snapshots import partner_views_recompute

SURVEYED_QUARTERS = 4
# The partner whose view of us falls: traits (1-5) per surveyed quarter, oldest first, and the
# "little to no interaction" symptom (0-3) beside them.
FALLING_TRAITS = [4.4, 3.8, 3.0, 2.3]
FALLING_INTERACTION = [0, 1, 2, 3]


def falling_partner(plan) -> str:
    """The demo partner whose view of us falls: the first steady partner ana owns."""
    return next(spec.name for spec in plan if spec.pattern == "stable" and spec.owners[0] == "ana")


def _answers(rng: random.Random, items: dict, traits: float, interaction: int | None) -> dict[str, int]:
    answers = {}
    for address, item in items.items():
        if item.rubric.scale == "rating":
            answers[address] = max(1, min(5, round(traits + rng.uniform(-0.6, 0.6))))
        else:
            answers[address] = rng.choice([0, 0, 0, 1])
    if interaction is not None:
        answers["symptoms.little_interaction"] = interaction
    return answers


def demo_mirror_seed(
    *, plan, partners: dict[str, Partner], history: list[Quarter], periods: dict[str, Period], now_quarter: Quarter
) -> dict:
    """Contacts and mirror surveys for the strategic partners and the falling one; see the module."""
    rng = random.Random(15)
    version = rubric_version_partner_current()
    if version is None:
        return {"contacts": 0, "responses": 0}
    items = rubric_item_index(version_id=version.pk)
    falling = falling_partner(plan)
    chosen = [spec for spec in plan if spec.segment == Partner.Segment.STRATEGIC or spec.name == falling]
    surveyed = history[-SURVEYED_QUARTERS:]
    contacts_made = responses = 0
    pairs = set()
    for spec in chosen:
        partner = partners[spec.name]
        if Contact.objects.filter(partner=partner).exists():
            continue
        owner = partner.owners.order_by("username").first()
        slug = "".join(ch for ch in spec.name.lower() if ch.isalnum())
        contacts = [
            Contact.objects.create(
                partner=partner,
                name=name,
                email=f"{first.lower()}@{slug}.example",
                role=role,
                works_at=works_at,
                created_by=owner,
            )
            for name, first, role, works_at in (
                ("Dana Reyes", "dana", "Alliance manager", Contact.WorksAt.PARTNER),
                ("Sam Ortiz", "sam", "Delivery lead", Contact.WorksAt.PARTNER),
                ("Kim Novak", "kim", "Head of IT at a shared client", Contact.WorksAt.SHARED_CLIENT),
            )
        ]
        contacts_made += len(contacts)
        for index, quarter in enumerate(surveyed):
            period = periods[quarter.code]
            sent = timezone.make_aware(dt.datetime.combine(quarter.starts_on + dt.timedelta(days=40), dt.time(9)))
            for contact in contacts[:2]:
                invitation = invitation_new(contact=contact, period=period, user=owner, now=sent)
                answered = sent + dt.timedelta(days=rng.randint(1, 9))
                if spec.name == falling:
                    answers = _answers(rng, items, FALLING_TRAITS[index], FALLING_INTERACTION[index])
                else:
                    answers = _answers(rng, items, rng.uniform(3.6, 4.4), None)
                SurveyResponse.objects.create(
                    invitation=invitation,
                    rubric_version=version,
                    status=SurveyResponse.Status.SUBMITTED,
                    answers=answers,
                    free_text="Meet us in person more often." if spec.name == falling else "",
                    last_saved_at=answered,
                    submitted_at=answered,
                )
                SurveyInvitation.objects.filter(pk=invitation.pk).update(opened_at=answered, responded_at=answered)
                responses += 1
            pairs.add((partner.pk, period.pk))
        _this_quarter(contacts, periods[now_quarter.code], owner, version)
    partner_views_recompute(pairs=pairs)
    return {"contacts": contacts_made, "responses": responses}


def _this_quarter(contacts, period, owner, version) -> None:
    """This quarter: the first contact opened the link, the second saved part of an answer, the
    third opted out. (No e-mail is queued: the demo's addresses are made up.)"""
    now = timezone.now()
    first, second, third = contacts
    opened = invitation_new(contact=first, period=period, user=owner, now=now - dt.timedelta(days=6))
    SurveyInvitation.objects.filter(pk=opened.pk).update(opened_at=now - dt.timedelta(days=5))
    started = invitation_new(contact=second, period=period, user=owner, now=now - dt.timedelta(days=6))
    SurveyResponse.objects.create(
        invitation=started,
        rubric_version=version,
        answers={"traits.caring": 3, "traits.homework": 4},
        last_saved_at=now - dt.timedelta(days=4),
    )
    SurveyInvitation.objects.filter(pk=started.pk).update(opened_at=now - dt.timedelta(days=4))
    Contact.objects.filter(pk=third.pk).update(opted_out_at=now - dt.timedelta(days=20))
