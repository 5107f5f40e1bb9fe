from django.contrib import admin, messages

from assessments import models
from assessments.selectors.rubrics import rubric_version_is_used
from assessments.services.rubrics import rubric_version_publish

FROZEN_HELP = (
    "This version is used by check-ups, so it can no longer change (their scores depend on it). "
    "To change items or weights, publish a new version from it (the action on the versions list) and edit that."
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


class RubricItemInline(FrozenWhenUsed, admin.TabularInline):
    model = models.RubricItem
    extra = 0


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
class RubricVersionAdmin(FrozenNotice, FrozenWhenUsed, admin.ModelAdmin):
    list_display = ["number", "is_current", "published_at"]
    list_filter = ["is_current"]
    search_fields = ["notes"]
    inlines = [RubricInline]
    actions = ["publish_copy"]

    @admin.action(description="Publish a new current version copied from the selected one", permissions=["add"])
    def publish_copy(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to copy.", messages.ERROR)
            return
        based_on = queryset.get()
        version = rubric_version_publish(based_on=based_on, notes=f"Copied from v{based_on.number}.")
        self.message_user(
            request,
            f"Published v{version.number} as the current version, copied from v{based_on.number}. "
            "Edit its weights or wording now: once a check-up uses it, it is frozen too.",
            messages.SUCCESS,
        )


@admin.register(models.Rubric)
class RubricAdmin(FrozenNotice, FrozenWhenUsed, admin.ModelAdmin):
    list_display = ["key", "title", "version", "scale", "weight"]
    list_filter = ["version", "scale"]
    search_fields = ["key", "title"]
    inlines = [RubricItemInline]


@admin.register(models.RubricItem)
class RubricItemAdmin(FrozenNotice, FrozenWhenUsed, admin.ModelAdmin):
    list_display = ["title", "key", "rubric", "weight", "position"]
    list_filter = ["rubric__version", "rubric__key"]
    search_fields = ["key", "title", "question"]


@admin.register(models.Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["code", "starts_on", "ends_on", "due_on"]
    list_filter = ["year"]
    search_fields = ["code"]


class EngagementInline(admin.TabularInline):
    model = models.Engagement
    extra = 0


@admin.register(models.Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "segment", "annual_revenue", "payment_terms_days", "cadence", "is_active"]
    list_filter = ["kind", "segment", "cadence", "is_active", "owners"]
    search_fields = ["name", "owners__email", "owners__last_name"]
    filter_horizontal = ["owners"]
    autocomplete_fields = ["executive_sponsor"]
    inlines = [EngagementInline]


@admin.register(models.Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["title", "partner", "client", "status", "value", "started_on", "ended_on"]
    list_filter = ["status", "partner__kind"]
    search_fields = ["title", "client", "partner__name"]
    autocomplete_fields = ["partner"]


@admin.register(models.Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["partner", "occurred_on", "kind", "face_to_face", "created_by"]
    list_filter = ["kind", "face_to_face"]
    search_fields = ["partner__name", "summary"]
    autocomplete_fields = ["partner"]
    date_hierarchy = "occurred_on"


class AnswerInline(admin.TabularInline):
    model = models.Answer
    extra = 0
    raw_id_fields = ["item"]


@admin.register(models.Checkup)
class CheckupAdmin(admin.ModelAdmin):
    list_display = ["partner", "period", "rater", "status", "submitted_at", "revision", "evaluated_at"]
    list_filter = ["status", "period", "rubric_version", "info_withheld", "abusive_behaviour"]
    search_fields = ["partner__name", "rater__email", "rater__username"]
    raw_id_fields = ["partner", "rater"]
    inlines = [AnswerInline]


@admin.register(models.Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["checkup", "item", "value"]
    list_filter = ["scale", "item__rubric__key"]
    search_fields = ["checkup__partner__name", "item__key", "comment"]
    raw_id_fields = ["checkup", "item"]


@admin.register(models.CheckupRevision)
class CheckupRevisionAdmin(admin.ModelAdmin):
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
class PartnerSnapshotAdmin(admin.ModelAdmin):
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
