"""The API's writes. Each goes through the service the UI uses, with the UI's validation, and
answers the way the UI would refuse: ``{"errors": {...}}`` (400), a 404 for what is not yours,
a 409 when the object's state forbids the change (a submitted check-up, a resolved case)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api import filters as f
from api import serializers as s
from api.checkup_form import checkup_form_errors
from api.etag import ETagMixin
from api.views.reads import (
    LIST_ERRORS,
    NOT_FOUND,
    CaseDetail,
    CheckupList,
    PartnerDetail,
    cases_for,
    engagements_for,
    interactions_for,
    my_checkups_for,
)
from assessments.models import Case, Partner
from assessments.selectors.access import partners_crm_writable_by
from assessments.selectors.checkups import checkup_for_editing
from assessments.services.case_triage import MAX_SNOOZE_DAYS, case_acknowledge, case_resolve, case_snooze
from assessments.services.cases import CaseActionError
from assessments.services.checkups import (
    CheckupError,
    CheckupInvalid,
    CheckupReadOnly,
    checkup_open,
    checkup_save_draft,
    checkup_submit,
    interaction_create,
)
from assessments.services.crm import CrmError, CrmNotFound, EngagementInput, engagement_upsert, partner_revenue_set

BAD_INPUT = OpenApiResponse(s.ErrorsSerializer, description="Refused input; nothing was changed.")
READ_ONLY = OpenApiResponse(s.DetailSerializer, description="A read-only token, or not allowed to write.")
CONFLICT = OpenApiResponse(s.DetailSerializer, description="The object's state forbids this change.")


def _conflict(message: str) -> Response:
    return Response({"detail": message}, status=status.HTTP_409_CONFLICT)


def _input(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- check-ups -------------------------------------------------------------------------


class CheckupListCreate(CheckupList):
    """Your own check-ups; POST submits (or saves as a draft) this quarter's check-up of a partner you own."""

    @extend_schema(
        request=s.CheckupSubmitSerializer,
        responses={
            201: s.CheckupSerializer,
            200: s.CheckupSerializer,
            400: BAD_INPUT,
            403: READ_ONLY,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request):
        data = _input(s.CheckupSubmitSerializer, request)
        try:
            checkup = checkup_open(user=request.user, partner_id=data["partner"])
        except Partner.DoesNotExist:
            raise NotFound("No such partner among those you own.") from None
        editing = checkup_for_editing(user=request.user, checkup_id=checkup.pk)
        if editing.checkup.is_submitted:
            return _conflict("This check-up has already been submitted; amend it in the app to change an answer.")
        form, errors = checkup_form_errors(editing, data)
        if errors:
            raise ValidationError(errors)
        service = checkup_save_draft if data["draft"] else checkup_submit
        try:
            service(user=request.user, checkup_id=checkup.pk, data=form.checkup_input())
        except CheckupReadOnly as error:
            return _conflict(str(error))
        except CheckupError as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from None
        saved = my_checkups_for(request.user).get(pk=checkup.pk)
        return Response(
            s.CheckupSerializer(saved).data,
            status=status.HTTP_200_OK if data["draft"] else status.HTTP_201_CREATED,
        )


# --- interactions ----------------------------------------------------------------------


@extend_schema(tags=["interactions"])
@extend_schema_view(
    get=extend_schema(
        parameters=[f.InteractionFilter], responses={200: s.InteractionSerializer(many=True), **LIST_ERRORS}
    )
)
class InteractionListCreate(ETagMixin, generics.ListAPIView):
    """Interactions with the partners you may see; POST logs one with a partner you own."""

    serializer_class = s.InteractionSerializer

    def get_queryset(self):
        return interactions_for(self.request.user, f.validated(f.InteractionFilter, self.request.query_params))

    @extend_schema(
        request=s.InteractionCreateSerializer,
        responses={201: s.InteractionSerializer, 400: BAD_INPUT, 403: READ_ONLY, 404: NOT_FOUND},
    )
    def post(self, request):
        data = _input(s.InteractionCreateSerializer, request)
        # The form's own rule and message (forms.interactions.InteractionForm.clean_occurred_on).
        if data["occurred_on"] > timezone.localdate():
            raise ValidationError(
                {"occurred_on": ["Log an interaction once it has happened: this date is in the future."]}
            )
        try:
            interaction = interaction_create(
                user=request.user,
                partner_id=data["partner"],
                occurred_on=data["occurred_on"],
                kind=data["kind"],
                face_to_face=data["face_to_face"],
                summary=data["summary"],
            )
        except Partner.DoesNotExist:
            raise NotFound("No such partner among those you own.") from None
        except CheckupInvalid as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from None
        return Response(s.InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)


# --- CRM sync ----------------------------------------------------------------------------


@extend_schema(tags=["engagements"])
class EngagementByExternalId(ETagMixin, APIView):
    """The engagement the CRM calls ``external_id``: PUT creates it (201) or updates it (200), so a retried
    sync writes it once."""

    @extend_schema(responses={200: s.EngagementSerializer, 404: NOT_FOUND})
    def get(self, request, external_id: str):
        engagement = engagements_for(request.user, {"external_id": external_id}).first()
        if engagement is None:
            raise NotFound("No such engagement among those you can see.")
        return Response(s.EngagementSerializer(engagement).data)

    @extend_schema(
        request=s.EngagementUpsertSerializer,
        responses={
            200: s.EngagementSerializer,
            201: s.EngagementSerializer,
            400: BAD_INPUT,
            403: READ_ONLY,
            404: NOT_FOUND,
        },
    )
    def put(self, request, external_id: str):
        data = _input(s.EngagementUpsertSerializer, request)
        try:
            engagement, created = engagement_upsert(
                user=request.user,
                external_id=external_id,
                data=EngagementInput(
                    partner_id=data["partner"],
                    client=data["client"],
                    title=data["title"],
                    status=data["status"],
                    value=data["value"],
                    started_on=data["started_on"],
                    ended_on=data["ended_on"],
                ),
            )
        except CrmNotFound as error:
            raise NotFound(str(error)) from None
        except CrmError as error:
            raise ValidationError(error.errors) from None
        return Response(
            s.EngagementSerializer(engagement).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


@extend_schema(
    tags=["partners"],
    request=s.RevenueSerializer,
    responses={200: s.PartnerSerializer, 400: BAD_INPUT, 403: READ_ONLY, 404: NOT_FOUND},
)
class PartnerRevenue(APIView):
    """Set a partner's annual joint revenue from the CRM (and, optionally, the CRM's id for it)."""

    def put(self, request, pk: int):
        # Out of reach is a 404 before the body is read: the answer says nothing about another's partner.
        if not partners_crm_writable_by(request.user).filter(pk=pk).exists():
            raise NotFound("No such partner among those whose revenue you can write.")
        data = _input(s.RevenueSerializer, request)
        try:
            partner_revenue_set(
                user=request.user,
                partner_id=pk,
                annual_revenue=data["annual_revenue"],
                external_id=data.get("external_id"),
            )
        except CrmNotFound as error:
            raise NotFound(str(error)) from None
        except CrmError as error:
            raise ValidationError(error.errors) from None
        view = PartnerDetail(request=request, kwargs={"pk": pk}, format_kwarg=None)
        return Response(view.get_serializer(view.get_object()).data)


# --- cases -------------------------------------------------------------------------------


def _case_or_404(request, pk: int) -> Case:
    case = cases_for(request.user).filter(pk=pk).first()
    if case is None:
        raise NotFound("No such case among those you can see.")
    return case


def _case_response(request, pk: int) -> Response:
    view = CaseDetail(request=request, kwargs={"pk": pk}, format_kwarg=None)
    return Response(s.CaseDetailSerializer(view.get_object()).data)


CASE_RESPONSES = {200: s.CaseDetailSerializer, 400: BAD_INPUT, 403: READ_ONLY, 404: NOT_FOUND, 409: CONFLICT}


@extend_schema(tags=["cases"], request=s.CaseNoteSerializer, responses=CASE_RESPONSES)
class CaseAcknowledge(APIView):
    """You have seen the case and own the next step (a snooze ends with it)."""

    def post(self, request, pk: int):
        _case_or_404(request, pk)
        data = _input(s.CaseNoteSerializer, request)
        try:
            case_acknowledge(case_id=pk, user=request.user, note=data["note"])
        except CaseActionError as error:
            return _conflict(str(error))
        return _case_response(request, pk)


@extend_schema(tags=["cases"], request=s.CaseSnoozeSerializer, responses=CASE_RESPONSES)
class CaseSnooze(APIView):
    """Put the case aside until a date, for a stated reason; the day after, it is back in its earlier state."""

    def post(self, request, pk: int):
        _case_or_404(request, pk)
        data = _input(s.CaseSnoozeSerializer, request)
        today = timezone.localdate()
        # The form's rules and messages (forms.cases._clean_until), said about the field.
        if data["until"] <= today:
            raise ValidationError({"until": ["Choose a date after today."]})
        if data["until"] > today + dt.timedelta(days=MAX_SNOOZE_DAYS):
            raise ValidationError(
                {"until": [f"Snooze for at most {MAX_SNOOZE_DAYS} days; resolve the case if it needs nothing."]}
            )
        if not data["note"].strip():
            raise ValidationError({"note": ["Say why this case can wait."]})
        try:
            case_snooze(case_id=pk, user=request.user, until=data["until"], note=data["note"], today=today)
        except CaseActionError as error:
            return _conflict(str(error))
        return _case_response(request, pk)


@extend_schema(tags=["cases"], request=s.CaseResolveSerializer, responses=CASE_RESPONSES)
class CaseResolve(APIView):
    """Close the case by hand, with a reason; its owners are told by e-mail."""

    def post(self, request, pk: int):
        _case_or_404(request, pk)
        data = _input(s.CaseResolveSerializer, request)
        try:
            case_resolve(case_id=pk, user=request.user, resolution=data["resolution"], note=data["note"])
        except CaseActionError as error:
            return _conflict(str(error))
        return _case_response(request, pk)
