from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Cursor pages in id order: stable under inserts, and a page costs the same at any depth."""

    ordering = "id"
    page_size_query_param = "page_size"
    page_size_query_description = "Items per page (1 to the API_PAGE_SIZE_MAX setting)."

    def __init__(self):
        # Read per request, so a test's settings override applies.
        self.page_size = settings.API_PAGE_SIZE
        self.max_page_size = settings.API_PAGE_SIZE_MAX

    def get_page_size(self, request):
        # An invalid page_size is refused with the reason, never silently replaced by the default.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return settings.API_PAGE_SIZE
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": settings.API_PAGE_SIZE_MAX}
        return parameters
