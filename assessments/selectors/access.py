"""Object-level scoping: the one place that decides which rows a user may see.

Every view reads partners, check-ups and the rest through these helpers, so
another manager's object is simply not in the queryset (a 404, never a leak).
"""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from assessments.models import ActionItem, Checkup, Partner
from assessments.roles import Role


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_ph_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached.add(Role.ADMIN.value)
        user._ph_roles = cached
    return cached


def is_leadership(user) -> bool:
    """Leadership and admins read every partner."""
    return bool(user_roles(user) & {Role.LEADERSHIP.value, Role.ADMIN.value})


def is_account_manager(user) -> bool:
    return Role.ACCOUNT_MANAGER.value in user_roles(user)


def partners_visible_to(user) -> QuerySet[Partner]:
    partners = Partner.objects.all()
    if is_leadership(user):
        return partners
    if not user.is_authenticated:
        return partners.none()
    return partners.filter(owners=user)


def partner_ids_owned_by(user) -> QuerySet:
    """The ids of the partners the user owns, from the ownership table alone, for ``..._id__in`` filters.

    ``partner__in=Partner.objects.filter(owners=user)`` joins the partners too, and PostgreSQL
    then reads all of them on every query (a 10,000-partner scan per inbox query in bench/cases.py).
    """
    return Partner.owners.through.objects.filter(user_id=user.pk).values("partner_id")


def partners_editable_by(user) -> QuerySet[Partner]:
    """Partners whose check-ups, action items and interaction log the user may write."""
    if not user.is_authenticated or not is_account_manager(user):
        return Partner.objects.none()
    return Partner.objects.filter(owners=user)


def partners_crm_writable_by(user) -> QuerySet[Partner]:
    """Partners whose engagements and revenue the user may write (the CRM sync of docs/API.md):
    leadership every partner, an account manager those she owns."""
    if is_leadership(user):
        return Partner.objects.all()
    return partners_editable_by(user)


def partner_editable_by(user, *, owner_ids) -> bool:
    """The rule of ``partners_editable_by`` for one partner whose owners are already loaded."""
    return user.is_authenticated and is_account_manager(user) and user.pk in owner_ids


def checkups_visible_to(user) -> QuerySet[Checkup]:
    assessments = Checkup.objects.all()
    if is_leadership(user):
        return assessments
    if not user.is_authenticated:
        return assessments.none()
    return assessments.filter(partner__owners=user)


def checkups_editable_by(user) -> QuerySet[Checkup]:
    """A check-up is written only by its own rater, and only while they own the partner."""
    if not user.is_authenticated:
        return Checkup.objects.none()
    return Checkup.objects.filter(rater=user, partner__in=partners_editable_by(user))


def action_items_editable_by(user) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(partner__in=partners_editable_by(user))


def users_not_account_managers(users) -> list:
    """Those of ``users`` who are not active account managers (one query)."""
    users = list(users)
    managers = set(
        get_user_model()
        .objects.filter(pk__in=[u.pk for u in users], is_active=True, groups__name=Role.ACCOUNT_MANAGER.value)
        .values_list("pk", flat=True)
    )
    return [user for user in users if user.pk not in managers]


def account_managers() -> QuerySet:
    """Active account managers: the people who may own a partner."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.ACCOUNT_MANAGER.value)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def leadership_users() -> list:
    """Active leadership users with an e-mail address, oldest account first."""
    User = get_user_model()
    return list(
        User.objects.filter(is_active=True, groups__name=Role.LEADERSHIP.value).exclude(email="").order_by("id")
    )


class ActionOwners(NamedTuple):
    """Who may own a partner's action items: its active owners, then other active leadership users."""

    owners: list
    leaders: list

    @property
    def users(self) -> list:
        return self.owners + self.leaders

    @property
    def ids(self) -> set[int]:
        return {user.pk for user in self.users}


def action_owners_for(*, partner_id: int, owners=None) -> ActionOwners:
    """``owners``: the partner's owners when already loaded (the partner page); else they are read."""
    User = get_user_model()
    if owners is None:
        owners = User.objects.filter(owned_partners=partner_id)
    owners = sorted((u for u in owners if u.is_active), key=lambda u: (u.first_name, u.last_name, u.username))
    leaders = User.objects.filter(is_active=True, groups__name=Role.LEADERSHIP.value).exclude(
        pk__in=[u.pk for u in owners]
    )
    return ActionOwners(owners, list(leaders.order_by("first_name", "last_name", "username").distinct()))


def action_items_completable_by(user) -> QuerySet[ActionItem]:
    """Action items the user may mark done or reopen: those they may edit, and their own on a partner they see."""
    if not user.is_authenticated:
        return ActionItem.objects.none()
    return ActionItem.objects.filter(
        Q(partner__in=partners_editable_by(user)) | Q(owner=user, partner__in=partners_visible_to(user))
    )
