"""Role checks for templates, answered from the per-request role cache (no permission queries)."""

from django import template

from assessments.selectors import access

register = template.Library()


@register.filter
def is_account_manager(user) -> bool:
    return access.is_account_manager(user)


@register.filter
def is_leadership(user) -> bool:
    return access.is_leadership(user)
