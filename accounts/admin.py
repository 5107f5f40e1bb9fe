from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import UserSession
from accounts.rights import groups_beyond_rights, user_may_manage
from assessments.roles import Role

User = get_user_model()

# Only a superuser sees or sets these: they hand out rights the editor may not hold.
SUPERUSER_ONLY_FIELDS = {"is_superuser", "user_permissions"}
BEYOND_OWN_ROLES = "You can only give or take away roles whose rights you hold yourself: {names}."


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "ip_address"]
    search_fields = ["user__username", "user__email", "ip_address"]
    raw_id_fields = ["user"]


def role_name(group: Group) -> str:
    """A role in words ("Account manager"); any other group by its name."""
    return Role(group.name).label if group.name in Role.values else group.name


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return role_name(obj)


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    """Django's user admin, kept within the editor's own rights.

    A non-superuser (the "admin" role) never sees ``is_superuser`` or individual permissions,
    gives or takes away only roles whose rights they hold, and cannot change, delete or set the
    password of a superuser or of anyone with rights beyond their own. Its "History" page is the
    user's audit trail (docs/AUDIT.md).
    """

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or user_may_manage(editor=request.user, target=obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or user_may_manage(editor=request.user, target=obj))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in SUPERUSER_ONLY_FIELDS]})
            for name, options in fieldsets
        ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["form_class"] = RoleChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if request.user.is_superuser or "groups" not in form.base_fields:
            return form
        editor, before = request.user, list(obj.groups.all()) if obj is not None else []

        class WithinOwnRoles(form):
            def clean_groups(self):
                after = self.cleaned_data["groups"]
                beyond = groups_beyond_rights(editor=editor, before=before, after=after)
                if beyond:
                    names = ", ".join(sorted(role_name(g) for g in beyond))
                    raise ValidationError(BEYOND_OWN_ROLES.format(names=names))
                return after

        return WithinOwnRoles

    def save_model(self, request, obj, form, change):
        # The form has no such field for them; refuse a forged one all the same.
        if not request.user.is_superuser and obj.is_superuser:
            raise PermissionDenied
        super().save_model(request, obj, form, change)
