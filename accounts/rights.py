"""Who may manage whom: nobody hands out, or takes over, rights they do not hold themselves.

The "admin" role may change users (it grants ``auth.change_user``), which on its own would let
it tick ``is_superuser`` or reset a superuser's password. These rules keep it within its own
rights; the user admin (accounts/admin.py) applies them.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import Q

ALL_RIGHTS = frozenset({"*"})


def user_rights(user) -> frozenset[str]:
    """Every permission the account carries, from its groups and its own grants, active or not.

    Read from the tables, not the auth backend, so a deactivated account still counts with the
    rights it would regain on reactivation.
    """
    if user.is_superuser:
        return ALL_RIGHTS
    if user.pk is None:
        return frozenset()
    rows = (
        Permission.objects.filter(Q(user=user) | Q(group__user=user))
        .values_list("content_type__app_label", "codename")
        .distinct()
    )
    return frozenset(f"{app}.{codename}" for app, codename in rows)


def user_may_manage(*, editor, target) -> bool:
    """A superuser manages anyone; anyone else only accounts whose rights are within their own."""
    if editor.is_superuser:
        return True
    if target.is_superuser:
        return False
    return user_rights(target) <= user_rights(editor)


def group_rights(group) -> frozenset[str]:
    rows = group.permissions.values_list("content_type__app_label", "codename")
    return frozenset(f"{app}.{codename}" for app, codename in rows)


def groups_beyond_rights(*, editor, before, after) -> set:
    """The groups added or removed whose rights the editor does not hold (none for a superuser).

    A role is within the editor's rights when each of its permissions is one of theirs: the
    "admin" role may hand out the account-manager and leadership roles (it holds every permission
    they carry) and its own, never a group that carries more.
    """
    if editor.is_superuser:
        return set()
    own = user_rights(editor)
    return {group for group in set(before) ^ set(after) if not group_rights(group) <= own}
