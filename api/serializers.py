"""What the API reads and writes. Keys, not labels: bands, kinds and states as their keys,
quarters as ``YYYY-Qn``, rubric items as ``rubric.item`` (the CSV formats' spelling)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import (
    PERIOD_PATTERN,
    StrictBooleanField,
    StrictCharField,
    StrictDateField,
    StrictDecimalField,
    StrictIntegerField,
)
from api.models import ApiToken
from assessments.models import (
    ActionItem,
    Case,
    CaseEvent,
    Checkup,
    Engagement,
    Interaction,
    Partner,
    PartnerSnapshot,
)
from assessments.scoring import Band
from assessments.services.case_triage import MAX_SNOOZE_DAYS
from assessments.services.checkups import MAX_ACTION_ITEMS

BANDS = [band.value for band in Band]
NOTE_MAX = 2000


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return f"{user.first_name} {user.last_name}".strip() or user.get_username()


class LatestHealthSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="YYYY-Qn")
    health = serializers.FloatField()
    band = serializers.ChoiceField(choices=BANDS)
    health_delta = serializers.FloatField(allow_null=True)


def person(user_id: int, username: str, first: str, last: str) -> dict:
    return {"id": user_id, "username": username, "name": f"{first} {last}".strip() or username}


class PartnerSerializer(serializers.ModelSerializer):
    owners = serializers.SerializerMethodField()
    annual_revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.SerializerMethodField()
    latest = serializers.SerializerMethodField()

    class Meta:
        model = Partner
        fields = [
            "id",
            "name",
            "external_id",
            "kind",
            "segment",
            "cadence",
            "is_active",
            "annual_revenue",
            "currency",
            "payment_terms_days",
            "owners",
            "latest",
        ]

    @extend_schema_field(PersonSerializer(many=True))
    def get_owners(self, partner) -> list[dict]:
        if "owners" in self.context:
            return self.context["owners"].get(partner.pk, [])
        users = partner.owners.order_by("first_name", "last_name", "username")
        return [person(u.pk, u.username, u.first_name, u.last_name) for u in users]

    def get_currency(self, partner) -> str:
        return settings.CURRENCY

    @extend_schema_field(LatestHealthSerializer(allow_null=True))
    def get_latest(self, partner):
        band = getattr(partner, "latest_band", None)
        if band is None:
            return None
        periods = self.context.get("periods", {})
        return {
            "period": periods.get(partner.latest_period_id),
            "health": partner.latest_health,
            "band": band,
            "health_delta": partner.latest_delta,
        }


class PartnerViewSerializer(serializers.Serializer):
    """The partner's view of us that quarter: their contacts' mirror surveys, scored by the same engine."""

    health = serializers.FloatField(help_text="0-100")
    band = serializers.CharField(help_text="healthy, watch, at_risk or critical")
    rubric_scores = serializers.DictField(child=serializers.FloatField(), help_text="rubric key -> 0-100")
    item_means = serializers.DictField(child=serializers.FloatField(), help_text="rubric.item -> mean answer")
    responses = serializers.IntegerField(help_text="submitted survey responses behind it")


class SnapshotSerializer(serializers.ModelSerializer):
    partner = serializers.IntegerField(source="partner_id")
    period = serializers.CharField(source="period.code", help_text="YYYY-Qn")
    rubric_scores = serializers.DictField(
        child=serializers.FloatField(),
        help_text="rubric key -> 0-100; a rubric with too few answers (not applicable) is absent, never 0",
    )
    item_means = serializers.DictField(child=serializers.FloatField(), help_text="rubric.item -> mean answer")
    red_flags = serializers.DictField(child=serializers.JSONField())
    coverage = serializers.FloatField(
        help_text="Share (0-1) of the check-up's weight answered rather than 'not applicable' (docs/SCORING.md)"
    )
    rubric_coverage = serializers.DictField(
        child=serializers.FloatField(), help_text="rubric key -> share (0-1) of its weight answered"
    )
    partner_view = PartnerViewSerializer(
        allow_null=True, help_text="The partner's view of us that quarter; null until one of its contacts answered"
    )

    class Meta:
        model = PartnerSnapshot
        fields = [
            "id",
            "partner",
            "period",
            "health",
            "band",
            "health_delta",
            "rubric_scores",
            "item_means",
            "red_flags",
            "rater_count",
            "disagreement",
            "coverage",
            "rubric_coverage",
            "partner_view",
            "computed_at",
        ]


class CaseEventSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", allow_null=True)
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    finding = serializers.IntegerField(source="alert_id", allow_null=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "kind",
            "at",
            "from_state",
            "to_state",
            "user",
            "note",
            "finding",
            "severity",
            "snoozed_until",
            "assignee",
            "resolution",
        ]


class CaseSerializer(serializers.ModelSerializer):
    partner = serializers.IntegerField(source="partner_id")
    state = serializers.SerializerMethodField(help_text="The state as people see it (a lapsed snooze is over).")
    opened_period = serializers.CharField(source="opened_period.code")
    last_finding_period = serializers.CharField(source="last_finding_period.code")
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "partner",
            "state",
            "severity",
            "episode",
            "opened_period",
            "opened_at",
            "last_finding_period",
            "assignee",
            "snoozed_until",
            "resolution",
            "resolved_at",
            "changed_at",
        ]

    def get_state(self, case) -> str:
        return case.current_state()


class CaseDetailSerializer(CaseSerializer):
    timeline = CaseEventSerializer(source="events", many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "timeline"]


class ActionItemSerializer(serializers.ModelSerializer):
    partner = serializers.IntegerField(source="partner_id")
    period = serializers.CharField(source="period.code")
    owner = serializers.IntegerField(source="owner_id")
    checkup = serializers.IntegerField(source="checkup_id", allow_null=True)
    case = serializers.IntegerField(source="case_id", allow_null=True)
    items = serializers.SerializerMethodField(help_text="The rubric items it is meant to improve, rubric.item.")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "partner",
            "period",
            "description",
            "owner",
            "due_on",
            "done_at",
            "checkup",
            "case",
            "items",
            "note",
            "created_at",
        ]

    def get_items(self, action) -> list[str]:
        return [item.address for item in action.items.all()]


class InteractionSerializer(serializers.ModelSerializer):
    partner = serializers.IntegerField(source="partner_id")
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)

    class Meta:
        model = Interaction
        fields = ["id", "partner", "occurred_on", "kind", "face_to_face", "summary", "created_by", "created_at"]


class EngagementSerializer(serializers.ModelSerializer):
    partner = serializers.IntegerField(source="partner_id")
    value = serializers.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        model = Engagement
        fields = [
            "id",
            "external_id",
            "partner",
            "client",
            "title",
            "status",
            "value",
            "started_on",
            "ended_on",
            "updated_at",
        ]


class AnswerSerializer(serializers.Serializer):
    value = serializers.IntegerField(allow_null=True, help_text="null: not applicable / don't know")
    comment = serializers.CharField()


class CheckupSerializer(serializers.ModelSerializer):
    partner = serializers.IntegerField(source="partner_id")
    period = serializers.CharField(source="period.code")
    rubric_version = serializers.IntegerField(source="rubric_version.number")
    answers = serializers.SerializerMethodField(help_text="rubric.item -> {value, comment}")

    class Meta:
        model = Checkup
        fields = [
            "id",
            "partner",
            "period",
            "rubric_version",
            "status",
            "revision",
            "submitted_at",
            "last_saved_at",
            "days_to_pay",
            "info_withheld",
            "abusive_behaviour",
            "notes",
            "answers",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer", "nullable": True, "description": "null: not applicable / don't know"},
                    "comment": {"type": "string"},
                },
                "required": ["value", "comment"],
            },
        }
    )
    def get_answers(self, checkup) -> dict:
        if "answers" in self.context:
            return self.context["answers"].get(checkup.pk, {})
        answers = checkup.answers.select_related("item__rubric").order_by("item__rubric__position", "item__position")
        return {answer.item.address: {"value": answer.value, "comment": answer.comment} for answer in answers}


class RubricItemSerializer(serializers.Serializer):
    address = serializers.CharField(help_text="rubric.item: the key of its answer in a check-up")
    title = serializers.CharField()
    question = serializers.CharField()
    scale = serializers.ChoiceField(choices=["rating", "intensity"])
    low = serializers.IntegerField(help_text="The lowest answer (1 for a rating, 0 for an intensity).")
    high = serializers.IntegerField(help_text="The highest answer (5 for a rating, 3 for an intensity).")


class RubricSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    items = RubricItemSerializer(many=True)


# --- writes ----------------------------------------------------------------------------


class ActionItemInputSerializer(serializers.Serializer):
    description = StrictCharField(max_length=300)
    owner = StrictIntegerField(min_value=1, help_text="A user id: an owner of the partner or a leadership user.")
    due_on = StrictDateField()


class CheckupSubmitSerializer(serializers.Serializer):
    partner = StrictIntegerField(min_value=1, help_text="A partner you own; the check-up is this quarter's.")
    answers = serializers.DictField(
        child=StrictIntegerField(allow_null=True),
        help_text="rubric.item -> answer (1-5 for a rating, 0-3 for an intensity; null: not applicable / don't know)",
    )
    comments = serializers.DictField(child=StrictCharField(allow_blank=True, max_length=1000), required=False)
    days_to_pay = StrictIntegerField(min_value=0, max_value=3650, required=False, allow_null=True)
    info_withheld = StrictBooleanField(required=False, default=False)
    abusive_behaviour = StrictBooleanField(required=False, default=False)
    notes = StrictCharField(required=False, allow_blank=True, max_length=5000, default="")
    action_items = serializers.ListField(child=ActionItemInputSerializer(), required=False, max_length=MAX_ACTION_ITEMS)
    draft = StrictBooleanField(
        required=False, default=False, help_text="true: save a draft (nothing scored); false: submit (every item)."
    )


class InteractionCreateSerializer(serializers.Serializer):
    partner = StrictIntegerField(min_value=1)
    # The partner page's messages (forms.interactions.InteractionForm).
    occurred_on = StrictDateField(error_messages={"required": "Give the date it happened."})
    kind = serializers.ChoiceField(
        choices=Interaction.Kind.values,
        error_messages={
            "required": "Choose the kind of interaction.",
            "invalid_choice": "Choose a kind from the list.",
        },
    )
    face_to_face = StrictBooleanField(required=False, default=False)
    summary = StrictCharField(required=False, allow_blank=True, max_length=500, default="")


class EngagementUpsertSerializer(serializers.Serializer):
    partner = StrictIntegerField(min_value=1)
    client = StrictCharField(max_length=200)
    title = StrictCharField(max_length=200)
    status = serializers.ChoiceField(choices=Engagement.Status.values, required=False, default="proposed")
    value = StrictDecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, default="0")
    started_on = StrictDateField(required=False, allow_null=True, default=None)
    ended_on = StrictDateField(required=False, allow_null=True, default=None)


class RevenueSerializer(serializers.Serializer):
    annual_revenue = StrictDecimalField(max_digits=14, decimal_places=2, min_value=0)
    external_id = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=100)


class CaseNoteSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=NOTE_MAX, default="")


class CaseSnoozeSerializer(serializers.Serializer):
    # The case page's messages (forms.cases.CaseSnoozeForm).
    until = StrictDateField(
        help_text=f"A date after today, at most {MAX_SNOOZE_DAYS} days ahead.",
        error_messages={"required": "Choose the date the case may wait until."},
    )
    note = StrictCharField(
        max_length=NOTE_MAX,
        help_text="Why the case can wait.",
        error_messages={"required": "Say why this case can wait.", "blank": "Say why this case can wait."},
    )


class CaseResolveSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(
        choices=Case.Resolution.values, error_messages={"required": "Choose why the case is resolved."}
    )
    note = StrictCharField(required=False, allow_blank=True, max_length=NOTE_MAX, default="")


class ErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="field -> messages; answers.<rubric.item>, action_items.<n>.<field>, non_field_errors",
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "scope", "created_at", "last_used_at"]


__all__ = ["PERIOD_PATTERN"]
