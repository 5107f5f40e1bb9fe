"""Your API tokens: make one (its secret shown once), see when each was last used, revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import TokenForm
from api.models import ApiToken
from api.tokens import TokenError, token_create, token_revoke


def _render(request, form: TokenForm, *, secret: str = "", status: int = 200):
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True)
    return render(request, "api/tokens.html", {"form": form, "tokens": tokens, "secret": secret}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    if request.method == "GET":
        return _render(request, TokenForm())
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            new = token_create(
                user=request.user, name=form.cleaned_data["name"], read_only=form.cleaned_data["scope"] == "read"
            )
        except TokenError as error:
            form.add_error("name", str(error))
        else:
            # Shown on this response only: the secret is not stored, so it cannot be shown again.
            return _render(request, TokenForm(), secret=new.secret)
    return _render(request, form, status=400)


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    try:
        token = token_revoke(user=request.user, token_id=pk)
    except ApiToken.DoesNotExist:
        raise Http404("No such token") from None
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api_tokens")
