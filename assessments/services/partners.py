"""Writes of a partner's ownership and its archiving.

A partner's owners are account managers: they are the ones who fill in its check-ups. A partner
with history is never deleted (its check-ups, snapshots, alerts and interactions are protected);
it is archived, which takes it out of lists, the dashboard and reminders and keeps its history.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from assessments.display import person_name
from assessments.infra.rollups import rollups_invalidate
from assessments.models import Partner
from assessments.selectors.access import users_not_account_managers


class PartnerOwnerInvalid(ValueError):
    """An owner who is not an account manager; nothing was changed."""


def partner_owners_check(*, owners: Iterable) -> None:
    """Refuse owners who are not active account managers, naming them."""
    outsiders = users_not_account_managers(owners)
    if outsiders:
        names = ", ".join(sorted(person_name(user) for user in outsiders))
        verb = "is not one" if len(outsiders) == 1 else "are not"
        raise PartnerOwnerInvalid(f"Only account managers can own a partner: {names} {verb}.")


@transaction.atomic
def partner_owners_add(*, partner: Partner, owners: Iterable) -> None:
    """Add owners to a partner (those it has already stay); every one must be an account manager."""
    owners = list(owners)
    partner_owners_check(owners=owners)
    partner.owners.add(*owners)


@transaction.atomic
def partners_archive(*, partner_ids: Iterable[int]) -> int:
    """Archive the partners (one audited save each); returns how many were active before."""
    archived = 0
    for partner in Partner.objects.select_for_update().filter(pk__in=list(partner_ids), is_active=True):
        partner.is_active = False
        partner.save(update_fields=["is_active"])
        archived += 1
    if archived:
        rollups_invalidate()
    return archived
