"""Query strings of the list endpoints, validated: a value the schema forbids is a 400 that says why,
never silently ignored (a client filtering on a typo would read the whole portfolio as the answer)."""

from __future__ import annotations

from rest_framework import serializers

from api.fields import PeriodField
from assessments.models import Case, Engagement, Interaction, Partner
from assessments.scoring import Band
from assessments.selectors.partner_list import UNSCORED
from assessments.vocabulary import Severity

BOOLEAN = ["true", "false"]


def validated(serializer_class, params) -> dict:
    known = set(serializer_class().fields) | {"cursor", "page_size"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise serializers.ValidationError({key: ["Not a filter of this list."] for key in unknown})
    serializer = serializer_class(
        data={key: params.get(key) for key in params if key in known - {"cursor", "page_size"}}
    )
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PartnerFilter(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=100, help_text="Part of the partner's name.")
    kind = serializers.ChoiceField(required=False, choices=Partner.Kind.values)
    segment = serializers.ChoiceField(required=False, choices=Partner.Segment.values)
    band = serializers.ChoiceField(
        required=False,
        choices=[*(b.value for b in Band), UNSCORED],
        help_text="The band of the partner's latest snapshot; 'none': never scored.",
    )
    owner = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1, help_text="An owner's user id.")
    external_id = serializers.CharField(required=False, max_length=100, help_text="The CRM's id for the partner.")


class SnapshotFilter(serializers.Serializer):
    period = PeriodField(required=False)
    partner = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    band = serializers.ChoiceField(required=False, choices=[b.value for b in Band])


class CaseFilter(serializers.Serializer):
    state = serializers.ChoiceField(required=False, choices=Case.State.values, help_text="The state as people see it.")
    severity = serializers.ChoiceField(required=False, choices=[s.value for s in Severity])
    partner = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class CheckupFilter(serializers.Serializer):
    period = PeriodField(required=False)
    partner = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    status = serializers.ChoiceField(required=False, choices=["draft", "submitted"])


class ActionItemFilter(serializers.Serializer):
    partner = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    owner = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    done = serializers.ChoiceField(required=False, choices=BOOLEAN)


class InteractionFilter(serializers.Serializer):
    partner = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    kind = serializers.ChoiceField(required=False, choices=Interaction.Kind.values)
    since = serializers.DateField(required=False, help_text="On or after this date.")


class EngagementFilter(serializers.Serializer):
    partner = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    status = serializers.ChoiceField(required=False, choices=Engagement.Status.values)
    external_id = serializers.CharField(required=False, max_length=100)
