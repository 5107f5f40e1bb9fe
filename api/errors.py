"""Every refusal in one shape: ``{"errors": {field: [message, ...]}}`` for bad input (every 400),
``{"detail": message}`` for everything else (authentication, permission, not found, throttling).

Field names are the request's own (``answers.traits.honesty``, ``action_items.0.due_on``);
``non_field_errors`` holds what belongs to no one field.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _flatten(exc.detail)}
    elif response is not None and isinstance(exc, exceptions.ParseError):
        # A body that is not JSON is bad input like any other: the same shape.
        response.data = {"errors": {"non_field_errors": [str(exc.detail)]}}
    return response
