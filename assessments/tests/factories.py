from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from assessments import models
from assessments.periods import Quarter
from assessments.roles import Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=Role(extracted).value)[0])


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Period
        django_get_or_create = ["code"]

    class Params:
        quarter_value = Quarter(2026, 3)

    code = factory.LazyAttribute(lambda p: p.quarter_value.code)
    year = factory.LazyAttribute(lambda p: p.quarter_value.year)
    quarter = factory.LazyAttribute(lambda p: p.quarter_value.quarter)
    starts_on = factory.LazyAttribute(lambda p: p.quarter_value.starts_on)
    ends_on = factory.LazyAttribute(lambda p: p.quarter_value.ends_on)
    due_on = factory.LazyAttribute(lambda p: models.Period.fields_for(p.quarter_value)["due_on"])

    @classmethod
    def of(cls, code: str) -> models.Period:
        return cls(quarter_value=Quarter.parse(code))


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Partner
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Partner {n:03d}")
    kind = models.Partner.Kind.ALLIANCE
    segment = models.Partner.Segment.REGULAR
    annual_revenue = 100_000
    payment_terms_days = 30

    @factory.post_generation
    def owners(self, create, extracted, **kwargs):
        if create and extracted:
            self.owners.add(*extracted)


class EngagementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Engagement

    partner = factory.SubFactory(PartnerFactory)
    client = "Globex Retail"
    title = "Service desk outsourcing"
    status = models.Engagement.Status.WON
    value = 50_000


class CheckupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Checkup

    partner = factory.SubFactory(PartnerFactory)
    period = factory.SubFactory(PeriodFactory)
    rater = factory.SubFactory(UserFactory)
    rubric_version = factory.LazyFunction(lambda: models.RubricVersion.objects.get(is_current=True))


def answers_for(items: dict, *, rating: int = 4, intensity: int = 0, **overrides: int) -> dict[str, int]:
    """A full set of answers keyed by address; overrides use __ for the dot."""
    values = {address: (intensity if item.rubric.scale == "intensity" else rating) for address, item in items.items()}
    for key, value in overrides.items():
        values[key.replace("__", ".")] = value
    return values


def submitted_checkup(*, items: dict, answers: dict[str, int], **kwargs) -> models.Checkup:
    """A submitted check-up with the given answers (no snapshot recompute)."""
    checkup = CheckupFactory(status=models.Checkup.Status.SUBMITTED, submitted_at=timezone.now(), **kwargs)
    models.Answer.objects.bulk_create(
        models.Answer(checkup=checkup, item=items[a], scale=items[a].rubric.scale, value=v)
        for a, v in answers.items()
    )
    return checkup


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ActionItem
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    period = factory.SubFactory(PeriodFactory)
    description = factory.Sequence(lambda n: f"Agree a joint account plan #{n}")
    # The partner's first owner, or a new user when it has none.
    owner = factory.LazyAttribute(lambda a: a.partner.owners.order_by("id").first() or UserFactory())
    due_on = factory.LazyAttribute(lambda a: a.period.ends_on)
    baseline_period = factory.SelfAttribute("period")

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        if create and extracted:
            self.items.add(*extracted)


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Interaction

    partner = factory.SubFactory(PartnerFactory)
    occurred_on = factory.LazyAttribute(lambda i: Quarter(2026, 3).starts_on)
    kind = models.Interaction.Kind.MEETING
    face_to_face = True
    summary = "Quarterly business review"


def checkup_form_data(answers: dict[str, int], *, action: str = "draft", **fields) -> dict[str, str]:
    """POST data for the check-up form: answers keyed by address, other fields by form name."""
    data = {f"answer__{address.replace('.', '__')}": str(value) for address, value in answers.items()}
    data.update({key: str(value) for key, value in fields.items()})
    if action:
        data["action"] = action
    return data


class CaseFactory(factory.django.DjangoModelFactory):
    """A case with one warning finding for its opening quarter (decline detection not involved)."""

    class Meta:
        model = models.Case
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    severity = "warning"
    opened_period = factory.SubFactory(PeriodFactory)
    episode_period = factory.SelfAttribute("opened_period")
    last_finding_period = factory.SelfAttribute("opened_period")

    @factory.post_generation
    def finding(self, create, extracted, **kwargs):
        if create:
            models.Alert.objects.create(
                partner=self.partner,
                period=self.opened_period,
                rule=extracted or "health_decline",
                severity=self.severity,
                explanation="Overall health fell from 75 to 50 over 2 quarters.",
                case=self,
            )
