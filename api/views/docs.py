"""The API reference: Redoc, vendored (static/vendor/redoc), reading /api/schema/.

No inline script under the strict CSP: the page loads static/js/api-docs.js, which finds the
schema's address in a data attribute and starts Redoc.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def api_docs(request):
    return render(request, "api/docs.html")
