from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, TextField
from django.shortcuts import redirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from assessments import models
from assessments.display import money, person_name
from assessments.selectors.access import account_managers
from assessments.selectors.history import partner_history_counts
from assessments.selectors.rubrics import rubric_version_is_used
from assessments.services.partners import PartnerOwnerInvalid, partner_owners_check, partners_archive
from assessments.services.rubrics import rubric_version_publish

admin.site.site_header = "Partner Health administration"
admin.site.site_title = "Partner Health admin"
admin.site.index_title = "Partners, check-ups, rubrics and people"

FROZEN_HELP = (
    "This version is used by check-ups, so it can no longer change (their scores depend on it). "
    "To change items or weights, publish a new version from it (the action on the versions list) and edit that."
)

SUBMITTED_HELP = (
    "This check-up was submitted, so it is read-only here: the quarter's score and its alerts rest on it. "
    "Its rater corrects it with “Amend” in the app, which keeps the answers it replaces as a revision "
    "and recomputes the score."
)

FROZEN_TARGET = (
    "{what} that check-ups use, so it can no longer gain or lose items or rubrics. "
    "Choose an unused version, or publish a new version and edit that."
)


def _version_id(obj) -> int | None:
    if isinstance(obj, models.RubricVersion):
        return obj.pk
    if isinstance(obj, models.Rubric):
        return obj.version_id
    if isinstance(obj, models.RubricItem):
        return obj.rubric.version_id
    return None


class FrozenWhenUsed:
    """Rubric versions, rubrics and items are read-only once a check-up uses their version."""

    def _frozen(self, obj) -> bool:
        version_id = _version_id(obj)
        return version_id is not None and rubric_version_is_used(version_id)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._frozen(obj)

    def has_add_permission(self, request, obj=None):
        # Inlines are asked with the parent object (None on the parent's add page); model admins without one.
        if isinstance(self, admin.options.InlineModelAdmin):
            return super().has_add_permission(request, obj) and not self._frozen(obj)
        return super().has_add_permission(request)


def _unused_versions():
    return models.RubricVersion.objects.filter(checkups__isnull=True, survey_responses__isnull=True)


class RubricItemInline(FrozenWhenUsed, admin.TabularInline):
    model = models.RubricItem
    extra = 0
    # The weight comes right after the title, so it shows without scrolling sideways; the long
    # texts follow in small boxes.
    fields = ["position", "key", "title", "weight", "question", "guidance_low", "guidance_high"]
    formfield_overrides = {TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})}}


class RubricInline(FrozenWhenUsed, admin.TabularInline):
    model = models.Rubric
    extra = 0
    show_change_link = True


class FrozenNotice:
    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and self._frozen(obj):
            messages.info(request, FROZEN_HELP)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(models.RubricVersion)
class RubricVersionAdmin(FrozenNotice, FrozenWhenUsed, SimpleHistoryAdmin):
    list_display = ["number", "audience", "is_current", "published_at"]
    list_filter = ["audience", "is_current"]
    search_fields = ["notes"]
    inlines = [RubricInline]
    actions = ["publish_copy"]

    @admin.action(description="Publish a new current version copied from the selected one", permissions=["add"])
    def publish_copy(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to copy.", messages.ERROR)
            return
        based_on = queryset.get()
        version = rubric_version_publish(based_on=based_on, notes=f"Copied from {based_on}.")
        in_use = "the current version" if version.is_current else "the mirror survey's version in use"
        self.message_user(
            request,
            f"Published {version} as {in_use}, copied from {based_on}. "
            "Edit its weights or wording now: once a check-up or survey response uses it, it is frozen too.",
            messages.SUCCESS,
        )


@admin.register(models.Rubric)
class RubricAdmin(FrozenNotice, FrozenWhenUsed, SimpleHistoryAdmin):
    list_display = ["key", "title", "version", "scale", "weight"]
    list_filter = ["version", "scale"]
    search_fields = ["key", "title"]
    inlines = [RubricItemInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A rubric may only be moved into (or added to) a version no check-up uses yet.
        if db_field.name == "version":
            kwargs["queryset"] = _unused_versions()
            kwargs["error_messages"] = {"invalid_choice": FROZEN_TARGET.format(what="That is a version")}
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(models.RubricItem)
class RubricItemAdmin(FrozenNotice, FrozenWhenUsed, SimpleHistoryAdmin):
    list_display = ["title", "weight", "rubric", "key", "position"]
    list_filter = ["rubric__version", "rubric__key"]
    search_fields = ["key", "title", "question"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # An item may only be moved into (or added to) a rubric of a version no check-up uses yet.
        if db_field.name == "rubric":
            kwargs["queryset"] = models.Rubric.objects.filter(version__in=_unused_versions()).select_related(
                "version"
            )
            kwargs["error_messages"] = {
                "invalid_choice": FROZEN_TARGET.format(what="That rubric belongs to a rubric version")
            }
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(models.Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["code", "starts_on", "ends_on", "due_on"]
    list_filter = ["year"]
    search_fields = ["code"]


class EngagementInline(admin.TabularInline):
    model = models.Engagement
    extra = 0


class OwnerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{person_name(obj)} ({obj.username})"


class PartnerAdminForm(forms.ModelForm):
    """Owners are chosen among account managers (any current owner stays listed, to be replaced)."""

    class Meta:
        model = models.Partner
        fields = [
            "name", "kind", "segment", "owners", "executive_sponsor", "annual_revenue", "payment_terms_days",
            "cadence", "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = list(self.instance.owners.values_list("pk", flat=True)) if self.instance.pk else []
        owners = self.fields["owners"]
        owners.queryset = (
            get_user_model()
            .objects.filter(Q(pk__in=account_managers().values("pk")) | Q(pk__in=current))
            .order_by("first_name", "last_name", "username")
        )
        owners.help_text = "Account managers who fill in this partner's check-ups."
        self.fields["annual_revenue"].help_text = f"In {settings.CURRENCY}, the one currency of the app."

    def clean_owners(self):
        owners = self.cleaned_data["owners"]
        try:
            partner_owners_check(owners=owners)
        except PartnerOwnerInvalid as error:
            raise ValidationError(str(error)) from None
        return owners


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


@admin.register(models.Partner)
class PartnerAdmin(SimpleHistoryAdmin):
    form = PartnerAdminForm
    list_display = ["name", "kind", "segment", "revenue", "payment_terms_days", "cadence", "is_active"]
    list_filter = ["kind", "segment", "cadence", "is_active", "owners"]
    search_fields = ["name", "owners__email", "owners__last_name"]
    filter_horizontal = ["owners"]
    autocomplete_fields = ["executive_sponsor"]
    inlines = [EngagementInline]
    actions = ["archive"]

    @admin.display(description="annual joint revenue", ordering="annual_revenue")
    def revenue(self, partner):
        return money(partner.annual_revenue, settings.CURRENCY)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "owners":
            kwargs["form_class"] = OwnerChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        # A partner with history is archived, never deleted; the bulk delete would only be refused.
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Archive the selected partners (their history stays)", permissions=["change"])
    def archive(self, request, queryset):
        count = partners_archive(partner_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            f"Archived {_plural(count, 'partner', 'partners')}: they leave the lists, the dashboard and the "
            "reminders, and keep their history.",
            messages.SUCCESS,
        )

    def delete_view(self, request, object_id, extra_context=None):
        partner = self.get_object(request, unquote(object_id))
        if partner is not None and self.has_delete_permission(request, partner):
            counts = partner_history_counts(partner_id=partner.pk)
            if counts:
                history = ", ".join(f"{n} {name}" for name, n in counts.items())
                self.message_user(
                    request,
                    f"{partner.name} has history ({history}), so it cannot be deleted. "
                    "Archive it instead: untick “Active” and save.",
                    messages.ERROR,
                )
                return redirect(reverse("admin:assessments_partner_change", args=[partner.pk]))
        return super().delete_view(request, object_id, extra_context)


@admin.register(models.Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["title", "partner", "client", "status", "amount", "started_on", "ended_on"]
    list_filter = ["status", "partner__kind"]
    search_fields = ["title", "client", "partner__name"]
    autocomplete_fields = ["partner"]

    @admin.display(description="value", ordering="value")
    def amount(self, engagement):
        return money(engagement.value, settings.CURRENCY)


@admin.register(models.Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["partner", "occurred_on", "kind", "face_to_face", "created_by"]
    list_filter = ["kind", "face_to_face"]
    search_fields = ["partner__name", "summary"]
    autocomplete_fields = ["partner"]
    date_hierarchy = "occurred_on"


class ReadOnlyAdmin:
    """Rows that record what happened (computed or kept for the record): looked at, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _submitted(obj) -> bool:
    return isinstance(obj, models.Checkup) and obj.is_submitted


class AnswerInline(admin.TabularInline):
    """A draft's answers; a submitted check-up's are read-only (asked with the check-up as ``obj``)."""

    model = models.Answer
    extra = 0
    raw_id_fields = ["item"]

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not _submitted(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _submitted(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _submitted(obj)


@admin.register(models.Checkup)
class CheckupAdmin(SimpleHistoryAdmin):
    list_display = ["partner", "period", "rater", "status", "submitted_at", "revision", "evaluated_at"]
    list_filter = ["status", "period", "rubric_version", "info_withheld", "abusive_behaviour"]
    search_fields = ["partner__name", "rater__email", "rater__username"]
    raw_id_fields = ["partner", "rater"]
    inlines = [AnswerInline]
    # Submission, amendment and evaluation set these through the check-up services, never by hand.
    readonly_fields = ["status", "submitted_at", "revision", "last_saved_at", "evaluated_at", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # The version is chosen when the check-up opens; its answers are items of that version.
        return [*self.readonly_fields, "rubric_version"] if obj is not None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _submitted(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _submitted(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if _submitted(obj):
            messages.info(request, SUBMITTED_HELP)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(models.Answer)
class AnswerAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Answers change with their check-up: a draft's in its page, a submitted one's by amendment."""

    list_display = ["checkup", "item", "value"]
    list_filter = ["scale", "item__rubric__key"]
    search_fields = ["checkup__partner__name", "item__key", "comment"]
    raw_id_fields = ["checkup", "item"]


@admin.register(models.CheckupRevision)
class CheckupRevisionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["checkup", "number", "submitted_at", "amended_by"]
    search_fields = ["checkup__partner__name"]
    raw_id_fields = ["checkup"]


@admin.register(models.ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["description", "partner", "owner", "due_on", "done_at"]
    list_filter = ["period"]
    search_fields = ["description", "owner__username", "owner__first_name", "owner__last_name", "partner__name"]
    raw_id_fields = ["partner", "checkup", "owner", "created_by", "done_by"]
    filter_horizontal = ["items"]


@admin.register(models.ActionItemReminder)
class ActionItemReminderAdmin(admin.ModelAdmin):
    list_display = ["action_item", "kind", "due_on", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["action_item__partner__name", "recipient__email"]
    raw_id_fields = ["action_item", "recipient"]


@admin.register(models.PartnerSnapshot)
class PartnerSnapshotAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Computed from submitted check-ups in the same transaction; recomputed, never edited."""

    list_display = ["partner", "period", "health", "band", "health_delta", "rater_count", "disagreement"]
    list_filter = ["band", "period"]
    search_fields = ["partner__name"]
    raw_id_fields = ["partner"]


class AlertDeliveryInline(admin.TabularInline):
    model = models.AlertDelivery
    extra = 0
    raw_id_fields = ["recipient"]


@admin.register(models.Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["partner", "period", "rule", "severity", "status", "created_at"]
    list_filter = ["severity", "status", "rule", "period"]
    search_fields = ["partner__name", "explanation"]
    raw_id_fields = ["partner"]
    inlines = [AlertDeliveryInline]


@admin.register(models.AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin):
    list_display = ["alert", "recipient", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["alert__partner__name", "recipient__email"]
    raw_id_fields = ["alert", "recipient"]


@admin.register(models.Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["checkup", "kind", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["checkup__partner__name", "recipient__email"]
    raw_id_fields = ["checkup", "recipient"]


class CaseEventInline(admin.TabularInline):
    model = models.CaseEvent
    extra = 0
    raw_id_fields = ["user", "alert", "assignee"]


@admin.register(models.Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["partner", "state", "severity", "opened_period", "episode", "assignee", "resolution", "changed_at"]
    list_filter = ["state", "severity", "resolution"]
    search_fields = ["partner__name"]
    raw_id_fields = ["partner", "assignee", "acknowledged_by", "resolved_by"]
    inlines = [CaseEventInline]


@admin.register(models.CaseDelivery)
class CaseDeliveryAdmin(admin.ModelAdmin):
    list_display = ["case", "kind", "episode", "recipient", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["case__partner__name", "recipient__email"]
    raw_id_fields = ["case", "recipient"]
