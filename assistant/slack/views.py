"""Slack's webhooks (events, slash command), the account-link page and the staff list of links."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from assistant.slack import formatting, selectors, services
from assistant.slack.models import SlackLink
from assistant.slack.verify import request_is_from_slack

if TYPE_CHECKING:
    from django.contrib.auth.models import User

View = Callable[..., HttpResponse]


def slack_enabled(view: View) -> View:
    """404 for every Slack page while the integration is switched off."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.SLACK_ENABLED:
            raise Http404("Slack is not enabled.")
        return view(request, *args, **kwargs)

    return wrapper


def signed_by_slack(view: View) -> View:
    """401 and nothing else for requests without a valid, fresh Slack signature."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request_is_from_slack(request):
            return HttpResponse("invalid signature", status=401, content_type="text/plain")
        return view(request, *args, **kwargs)

    return wrapper


def _ephemeral(text: str) -> JsonResponse:
    return JsonResponse({"response_type": "ephemeral", "text": text})


@csrf_exempt
@slack_enabled
@require_POST
@signed_by_slack
def events(request: HttpRequest) -> HttpResponse:
    """Events API: answer the URL check, record questions once and acknowledge at once."""
    try:
        payload = json.loads(request.body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return HttpResponse("expected a JSON object", status=400, content_type="text/plain")
    if payload.get("type") == "url_verification":
        return JsonResponse({"challenge": str(payload.get("challenge", ""))})
    if payload.get("type") == "event_callback":
        question = services.question_from_event(payload)
        if question is not None:
            services.slack_event_record(question=question)
    # Slack retries anything but a quick 2xx, even for events we chose to ignore.
    return HttpResponse(status=200)


@csrf_exempt
@slack_enabled
@require_POST
@signed_by_slack
def commands(request: HttpRequest) -> HttpResponse:
    """`/ask help`, `/ask link` and `/ask <question>`; the answer follows through response_url."""
    form = request.POST.dict()
    text = form.get("text", "").strip()
    team_id, slack_user_id = form.get("team_id", ""), form.get("user_id", "")
    word = text.lower()
    if word in {"", "help"}:
        return _ephemeral(formatting.HELP)
    if word == "link":
        url = services.link_request_create(team_id=team_id, slack_user_id=slack_user_id)
        return _ephemeral(
            f"Open <{url}|this link> within {services.LINK_TTL.seconds // 60} minutes, signed in "
            "to the assistant, to connect your Slack account. Do not share it: whoever opens it "
            "decides whose documents your questions are answered from."
        )
    if selectors.slack_asker_for(team_id=team_id, slack_user_id=slack_user_id) is None:
        return _ephemeral(formatting.LINK_INSTRUCTIONS)
    services.slack_event_record(question=services.question_from_command(form))
    return _ephemeral(formatting.THINKING)


@slack_enabled
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm that the Slack user who asked for this link acts as the signed-in account."""
    if request.method == "POST":
        # login_required has ruled out the anonymous user.
        linked = services.slack_link_confirm(token=token, user=cast("User", request.user))
        return render(request, "slack/link_done.html", {"link": linked})
    pending = services.link_request_get(token=token)
    shown = selectors.link_request_shown(pending=pending, user=cast("User", request.user))
    return render(request, "slack/link_confirm.html", {"pending": pending, "shown": shown})


@slack_enabled
@staff_member_required
@never_cache
def links(request: HttpRequest) -> HttpResponse:
    """Staff: every linked Slack user, the account they act as, and whether it is by email."""
    rows = list(SlackLink.objects.select_related("user").order_by("team_id", "slack_user_id"))
    return render(request, "slack/links.html", {"links": selectors.slack_links_matched(rows)})


@slack_enabled
@staff_member_required
@require_POST
def link_remove(request: HttpRequest, link_id: int) -> HttpResponse:
    """Staff: unlink a Slack user."""
    services.slack_link_remove(link_id=link_id)
    messages.success(request, "Link removed. That Slack user must link again before asking.")
    return redirect("slack:links")
