"""The three roles, as Django groups with model permissions.

Object-level scoping (which partners a manager may see) lives in
``assessments.selectors.access``; the groups here grant what a role may do.
"""

from __future__ import annotations

from django.db.models import TextChoices


class Role(TextChoices):
    ACCOUNT_MANAGER = "account_manager", "Account manager"
    LEADERSHIP = "leadership", "Leadership"
    ADMIN = "admin", "Admin"


# codename prefixes per model, by role
ROLE_PERMISSIONS: dict[Role, dict[str, tuple[str, ...]]] = {
    Role.ACCOUNT_MANAGER: {
        "checkup": ("view", "add", "change"),
        "answer": ("view", "add", "change"),
        "actionitem": ("view", "add", "change"),
        "interaction": ("view", "add"),
        "partner": ("view",),
        "engagement": ("view",),
        "partnersnapshot": ("view",),
        "alert": ("view",),
        "case": ("view", "change"),
    },
    Role.LEADERSHIP: {
        "partner": ("view",),
        "engagement": ("view",),
        "checkup": ("view",),
        "answer": ("view",),
        "actionitem": ("view",),
        "interaction": ("view",),
        "partnersnapshot": ("view",),
        "alert": ("view", "change"),
        "case": ("view", "change"),
    },
    Role.ADMIN: dict.fromkeys(
        (
            "partner",
            "engagement",
            "interaction",
            "period",
            "rubricversion",
            "rubric",
            "rubricitem",
            "checkup",
            "answer",
            "actionitem",
            "partnersnapshot",
            "alert",
            "alertdelivery",
            "reminder",
            "actionitemreminder",
            "case",
            "caseevent",
            "casedelivery",
        ),
        ("view", "add", "change", "delete"),
    ),
}


def ensure_role_groups(**kwargs) -> None:
    """Create the role groups and grant their permissions (runs after migrate)."""
    from django.contrib.auth.models import Group, Permission

    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
        perms = Permission.objects.filter(content_type__app_label="assessments", codename__in=codenames)
        if role is Role.ADMIN:
            perms = perms | Permission.objects.filter(
                content_type__app_label="auth", codename__in=["view_user", "add_user", "change_user"]
            )
        group.permissions.set(perms)
