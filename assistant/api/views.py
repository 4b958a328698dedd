"""The settings page where people create and revoke their API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from assistant.api.models import ApiToken
from assistant.api.tokens import api_token_create, api_token_revoke, tokens_of


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name", help_text="What the token is for.")


def _get_token_for_user(request: HttpRequest, token_id: int) -> ApiToken:
    """The signed-in person's token; 404 alike for missing and someone else's."""
    token = tokens_of(request.user).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List your tokens; POST creates one and shows it, once."""
    form = TokenForm(request.POST or None)
    created: str | None = None
    if request.method == "POST" and form.is_valid():
        _, created = api_token_create(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    context = {"form": form, "tokens": tokens_of(request.user), "created": created}
    return render(request, "api/tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of your tokens."""
    token = api_token_revoke(token=_get_token_for_user(request, token_id))
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("api-tokens")
