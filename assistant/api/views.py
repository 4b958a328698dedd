"""The settings page where people create and revoke their API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from assistant.api.models import ApiToken
from assistant.api.scopes import Scope
from assistant.api.tokens import TokenScopeError, api_token_create, api_token_revoke, tokens_of

EXPIRY_CHOICES = [("30", "in 30 days"), ("90", "in 90 days"), ("365", "in 365 days"), ("", "never")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name", help_text="What the token is for.")
    # Not required, so scripts that post only a name keep getting a chat token.
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=[Scope.CHAT.value],
        label="Scopes",
        help_text="What the token may do; chat when none is ticked.",
    )
    expiry = forms.ChoiceField(
        choices=EXPIRY_CHOICES, required=False, initial="90", label="Expires"
    )
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Or expires on",
        help_text="A date here takes the place of the choice above; the token stops working "
        "at the start of that day.",
    )

    def clean_expires_on(self) -> dt.date | None:
        """A chosen expiry date must be in the future."""
        day: dt.date | None = self.cleaned_data.get("expires_on")
        if day is not None and day <= timezone.localdate():
            raise forms.ValidationError("Choose a date after today.")
        return day

    def expires_at(self) -> dt.datetime | None:
        """When the token should stop working, from the cleaned form; None for never."""
        day = self.cleaned_data.get("expires_on")
        if day is not None:
            return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        days = self.cleaned_data.get("expiry")
        return timezone.now() + dt.timedelta(days=int(days)) if days else None


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
        try:
            _, created = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"] or [Scope.CHAT.value],
                expires_at=form.expires_at(),
            )
        except TokenScopeError as exc:
            form.add_error("scopes", str(exc))
        else:
            form = TokenForm()
    context: dict[str, Any] = {"form": form, "tokens": tokens_of(request.user), "created": created}
    return render(request, "api/tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of your tokens."""
    token = api_token_revoke(token=_get_token_for_user(request, token_id))
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("api-tokens")
