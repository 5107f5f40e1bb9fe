"""Factories of the partner's side (contacts, invitations, responses), apart from factories.py."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from assessments import models
from assessments.tests.factories import PartnerFactory, PeriodFactory


def partner_version() -> models.RubricVersion:
    return models.RubricVersion.objects.get(audience="partner", number=1)


def partner_answers(*, rating: int = 4, intensity: int = 0, **overrides: int) -> dict[str, int]:
    """A full set of mirror-survey answers keyed by address; overrides use __ for the dot."""
    values = {
        f"{item.rubric.key}.{item.key}": (intensity if item.rubric.scale == "intensity" else rating)
        for item in models.RubricItem.objects.filter(rubric__version=partner_version()).select_related("rubric")
    }
    for key, value in overrides.items():
        values[key.replace("__", ".")] = value
    return values


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Contact

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Dana Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@partner.example")
    role = "Alliance manager"


class SurveyInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SurveyInvitation

    contact = factory.SubFactory(ContactFactory)
    period = factory.SubFactory(PeriodFactory)
    token_salt = factory.Sequence(lambda n: f"salt-{n}")
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=21))


def submitted_response(*, answers: dict[str, int], free_text: str = "", **kwargs) -> models.SurveyResponse:
    """A submitted mirror-survey response (no snapshot recompute)."""
    invitation = SurveyInvitationFactory(responded_at=timezone.now(), **kwargs)
    return models.SurveyResponse.objects.create(
        invitation=invitation,
        rubric_version=partner_version(),
        status=models.SurveyResponse.Status.SUBMITTED,
        answers=answers,
        free_text=free_text,
        submitted_at=timezone.now(),
    )
