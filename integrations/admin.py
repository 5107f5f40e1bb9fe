from django.contrib import admin

from integrations.forms import EndpointAdminForm
from integrations.models import Attempt, Delivery, Endpoint, EndpointMail
from integrations.services import endpoint_update


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "status_code", "duration_ms", "ok", "error"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointAdminForm
    list_display = ["name", "kind", "url", "enabled", "consecutive_failures", "owner", "created_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "url"]
    # The secret is shown once, on the integrations page; here it is neither shown nor typed.
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason", "created_at"]

    def save_model(self, request, obj, form, change):
        from integrations.models import new_secret

        if not change:
            obj.owner = obj.owner or request.user
            if obj.kind == Endpoint.Kind.WEBHOOK and not obj.secret:
                obj.secret = new_secret()
            super().save_model(request, obj, form, change)
            return
        enabled = obj.enabled
        obj.enabled = Endpoint.objects.values_list("enabled", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        # Through the service, so switching it back on resumes what waited.
        endpoint_update(endpoint=obj, name=obj.name, url=obj.url, events=obj.events, enabled=enabled)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "event_id", "endpoint", "status", "attempts", "occurred_at", "sent_at"]
    list_filter = ["status", "event", "endpoint"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False


@admin.register(EndpointMail)
class EndpointMailAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "recipient", "status", "attempts", "sent_at"]
    readonly_fields = ["endpoint", "recipient", "status", "attempts", "next_attempt_at", "last_error", "sent_at"]
