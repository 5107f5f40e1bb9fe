"""The API's reads: each list is scoped by ``selectors.access`` (another manager's rows are absent,
their ids a 404), validated by its filter serializer, paged by cursor and tagged with an ETag."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from api import filters as f
from api import serializers as s
from api.etag import ETagMixin
from assessments.models import (
    ActionItem,
    Answer,
    CaseEvent,
    Engagement,
    Interaction,
    Partner,
    PartnerSnapshot,
    Period,
)
from assessments.scoring import Scale
from assessments.selectors.access import checkups_visible_to, is_leadership, partners_visible_to
from assessments.selectors.cases import cases_visible_to, in_state
from assessments.selectors.partner_list import (
    PartnerListFilters,
    latest_health_of,
    partner_list,
    partners_filtered,
    partners_in_band,
    scored_periods,
)
from assessments.selectors.rubrics import rubric_items, rubric_version_current

NOT_FOUND = OpenApiResponse(s.DetailSerializer, description="Not found, or not yours to see.")
BAD_QUERY = OpenApiResponse(s.ErrorsSerializer, description="A filter the list does not know, or a bad value.")
LIST_ERRORS = {400: BAD_QUERY, 404: OpenApiResponse(s.DetailSerializer, description="Invalid cursor.")}


def _visible_partner_ids(user):
    return partners_visible_to(user).values("pk")


def owners_by_partner(partner_ids: list[int]) -> dict[int, list[dict]]:
    """Each partner's owners as plain values, in one query (no user rows built)."""
    owners: dict[int, list[dict]] = {}
    through = Partner.owners.through.objects.filter(partner_id__in=partner_ids)
    rows = through.order_by("user__first_name", "user__last_name", "user__username").values_list(
        "partner_id", "user_id", "user__username", "user__first_name", "user__last_name"
    )
    for partner_id, *user in rows:
        owners.setdefault(partner_id, []).append(s.person(*user))
    return owners


class PartnerQuerysetMixin:
    def partners(self, filters: PartnerListFilters):
        self.periods = scored_periods()
        return partner_list(user=self.request.user, filters=filters, periods=self.periods)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["periods"] = getattr(self, "periods", {})
        return context


@extend_schema(tags=["partners"])
@extend_schema_view(
    get=extend_schema(parameters=[f.PartnerFilter], responses={200: s.PartnerSerializer(many=True), **LIST_ERRORS})
)
class PartnerList(ETagMixin, PartnerQuerysetMixin, generics.ListAPIView):
    """Active partners you may see, with the health of each one's latest snapshot."""

    serializer_class = s.PartnerSerializer

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        ids = [p.pk for p in page]
        # The page's partners are read plainly and their latest health in one small query
        # (the annotated list of the partners page costs PostgreSQL ~5 ms just to plan).
        latest = latest_health_of(partner_ids=ids, periods=self.periods)
        for partner in page:
            health, band, delta, period_id = latest.get(partner.pk, (None, None, None, None))
            partner.latest_health, partner.latest_band, partner.latest_delta = health, band, delta
            partner.latest_period_id = period_id
        context = {**self.get_serializer_context(), "owners": owners_by_partner(ids)}
        return self.get_paginated_response(self.serializer_class(page, many=True, context=context).data)

    def get_queryset(self):
        data = f.validated(f.PartnerFilter, self.request.query_params)
        self.periods = scored_periods()
        filters = PartnerListFilters(
            q=data.get("q", "").strip(),
            kind=data.get("kind", ""),
            segment=data.get("segment", ""),
            band=data.get("band", ""),
            owner=data.get("owner"),
        )
        if filters.band:
            partners = partners_in_band(user=self.request.user, filters=filters, periods=self.periods)
        else:
            partners = partners_filtered(user=self.request.user, filters=filters)
        if "external_id" in data:
            partners = partners.filter(external_id=data["external_id"])
        return partners


@extend_schema(tags=["partners"], responses={200: s.PartnerSerializer, 404: NOT_FOUND})
class PartnerDetail(ETagMixin, PartnerQuerysetMixin, generics.RetrieveAPIView):
    serializer_class = s.PartnerSerializer

    def get_queryset(self):
        return self.partners(PartnerListFilters())


@extend_schema(tags=["snapshots"])
@extend_schema_view(
    get=extend_schema(parameters=[f.SnapshotFilter], responses={200: s.SnapshotSerializer(many=True), **LIST_ERRORS})
)
class SnapshotList(ETagMixin, generics.ListAPIView):
    """Each partner's scored quarter: health, band, per-rubric scores and item means."""

    serializer_class = s.SnapshotSerializer

    def get_queryset(self):
        data = f.validated(f.SnapshotFilter, self.request.query_params)
        # The per-item spread and contributions are not part of the representation: left unread.
        snapshots = PartnerSnapshot.objects.select_related("period").defer("item_spread", "contributions")
        if not is_leadership(self.request.user):
            snapshots = snapshots.filter(partner_id__in=_visible_partner_ids(self.request.user))
        if "period" in data:
            # By id, so the quarter's snapshots are walked in the cursor's order (snapshot_period_id_idx).
            period_id = Period.objects.filter(code=data["period"]).values_list("id", flat=True).first()
            snapshots = snapshots.filter(period_id=period_id)
        if "partner" in data:
            snapshots = snapshots.filter(partner_id=data["partner"])
        if "band" in data:
            snapshots = snapshots.filter(band=data["band"])
        return snapshots


def cases_for(user):
    return cases_visible_to(user).select_related("opened_period", "last_finding_period")


@extend_schema(tags=["cases"])
@extend_schema_view(
    get=extend_schema(parameters=[f.CaseFilter], responses={200: s.CaseSerializer(many=True), **LIST_ERRORS})
)
class CaseList(ETagMixin, generics.ListAPIView):
    """Risk cases of the partners you may see."""

    serializer_class = s.CaseSerializer

    def get_queryset(self):
        data = f.validated(f.CaseFilter, self.request.query_params)
        cases = cases_for(self.request.user)
        if "state" in data:
            cases = cases.filter(in_state(data["state"], timezone.localdate()))
        if "severity" in data:
            cases = cases.filter(severity=data["severity"])
        if "partner" in data:
            cases = cases.filter(partner_id=data["partner"])
        return cases


@extend_schema(tags=["cases"], responses={200: s.CaseDetailSerializer, 404: NOT_FOUND})
class CaseDetail(ETagMixin, generics.RetrieveAPIView):
    """One case with its timeline: every transition and finding, oldest first."""

    serializer_class = s.CaseDetailSerializer

    def get_queryset(self):
        return cases_for(self.request.user).prefetch_related(
            Prefetch("events", queryset=CaseEvent.objects.order_by("at", "id"))
        )


def my_checkups_for(user):
    """The caller's own check-ups among those the UI lets them see (``checkups_visible_to``)."""
    return checkups_visible_to(user).filter(rater=user).select_related("period", "rubric_version")


def answers_by_checkup(checkups) -> dict[int, dict[str, dict]]:
    """A page's answers, keyed ``rubric.item`` in the rubric's order: one query of plain values, the
    addresses from each rubric version's items (cached per process once a version is in use)."""
    addresses: dict[int, str] = {}
    order: dict[int, int] = {}
    for version_id in {checkup.rubric_version_id for checkup in checkups}:
        for position, item in enumerate(rubric_items(version_id=version_id)):
            addresses[item.pk], order[item.pk] = item.address, position
    rows = Answer.objects.filter(checkup_id__in=[c.pk for c in checkups]).values_list(
        "checkup_id", "item_id", "value", "comment"
    )
    answers: dict[int, dict[str, dict]] = {checkup.pk: {} for checkup in checkups}
    for checkup_id, item_id, value, comment in sorted(rows.order_by(), key=lambda r: (r[0], order[r[1]])):
        answers[checkup_id][addresses[item_id]] = {"value": value, "comment": comment}
    return answers


@extend_schema(tags=["checkups"])
@extend_schema_view(
    get=extend_schema(parameters=[f.CheckupFilter], responses={200: s.CheckupSerializer(many=True), **LIST_ERRORS})
)
class CheckupList(ETagMixin, generics.ListAPIView):
    """Your own check-ups (as their rater), drafts and submitted, with their answers."""

    serializer_class = s.CheckupSerializer

    def list(self, request, *args, **kwargs):
        # A page's answers in one query of plain values (a check-up has two dozen; model rows
        # for fifty check-ups' answers cost more than the SQL).
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "answers": answers_by_checkup(page)}
        return self.get_paginated_response(self.serializer_class(page, many=True, context=context).data)

    def get_queryset(self):
        data = f.validated(f.CheckupFilter, self.request.query_params)
        checkups = my_checkups_for(self.request.user)
        if "period" in data:
            checkups = checkups.filter(period__code=data["period"])
        if "partner" in data:
            checkups = checkups.filter(partner_id=data["partner"])
        if "status" in data:
            checkups = checkups.filter(status=data["status"])
        return checkups


@extend_schema(tags=["checkups"], responses={200: s.CheckupSerializer, 404: NOT_FOUND})
class CheckupDetail(ETagMixin, generics.RetrieveAPIView):
    serializer_class = s.CheckupSerializer

    def get_queryset(self):
        return my_checkups_for(self.request.user)


@extend_schema(tags=["action items"])
@extend_schema_view(
    get=extend_schema(
        parameters=[f.ActionItemFilter], responses={200: s.ActionItemSerializer(many=True), **LIST_ERRORS}
    )
)
class ActionItemList(ETagMixin, generics.ListAPIView):
    """Action items of the partners you may see."""

    serializer_class = s.ActionItemSerializer

    def get_queryset(self):
        data = f.validated(f.ActionItemFilter, self.request.query_params)
        actions = ActionItem.objects.select_related("period").prefetch_related("items__rubric")
        if not is_leadership(self.request.user):
            actions = actions.filter(partner_id__in=_visible_partner_ids(self.request.user))
        if "partner" in data:
            actions = actions.filter(partner_id=data["partner"])
        if "owner" in data:
            actions = actions.filter(owner_id=data["owner"])
        if "done" in data:
            actions = actions.filter(done_at__isnull=data["done"] == "false")
        return actions


def interactions_for(user, data):
    interactions = Interaction.objects.all()
    if not is_leadership(user):
        interactions = interactions.filter(partner_id__in=_visible_partner_ids(user))
    if "partner" in data:
        interactions = interactions.filter(partner_id=data["partner"])
    if "kind" in data:
        interactions = interactions.filter(kind=data["kind"])
    if "since" in data:
        interactions = interactions.filter(occurred_on__gte=data["since"])
    return interactions


def engagements_for(user, data):
    engagements = Engagement.objects.all()
    if not is_leadership(user):
        engagements = engagements.filter(partner_id__in=_visible_partner_ids(user))
    if "partner" in data:
        engagements = engagements.filter(partner_id=data["partner"])
    if "status" in data:
        engagements = engagements.filter(status=data["status"])
    if "external_id" in data:
        engagements = engagements.filter(external_id=data["external_id"])
    return engagements


@extend_schema(tags=["engagements"])
@extend_schema_view(
    get=extend_schema(
        parameters=[f.EngagementFilter], responses={200: s.EngagementSerializer(many=True), **LIST_ERRORS}
    )
)
class EngagementList(ETagMixin, generics.ListAPIView):
    """Engagements of the partners you may see."""

    serializer_class = s.EngagementSerializer

    def get_queryset(self):
        return engagements_for(self.request.user, f.validated(f.EngagementFilter, self.request.query_params))


@extend_schema(tags=["checkups"], responses={200: s.RubricSerializer})
class CurrentRubric(ETagMixin, APIView):
    """The items a check-up submitted now must answer, keyed ``rubric.item``, with their scales."""

    def get(self, request):
        version = rubric_version_current()
        items = []
        for item in rubric_items(version_id=version.pk):
            low, high = Scale(item.rubric.scale).bounds
            items.append(
                {
                    "address": item.address,
                    "title": item.title,
                    "question": item.question,
                    "scale": item.rubric.scale,
                    "low": low,
                    "high": high,
                }
            )
        return Response({"version": version.number, "items": items})
