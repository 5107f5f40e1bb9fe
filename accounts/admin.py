from django.contrib import admin

from accounts.models import UserSession


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "ip_address"]
    search_fields = ["user__username", "user__email", "ip_address"]
    raw_id_fields = ["user"]
