"""Staff audit pages: moderation events, answer traces, usage figures."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from assistant.chat.audit import (
    ACTIONS,
    STAGES,
    answer_trace,
    answer_traces,
    moderation_events,
    usage_figures,
)

PAGE_SIZE = 50

View = Callable[..., HttpResponse]


def staff_only(view: View) -> View:
    """Signed-in staff only; everyone else gets the same 404 as for a page that does not exist."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


@require_GET
@staff_only
def moderation_list(request: HttpRequest) -> HttpResponse:
    """Moderation events, filtered by stage and action."""
    stage = request.GET.get("stage", "")
    action = request.GET.get("action", "")
    stage = stage if stage in STAGES else ""
    action = action if action in ACTIONS else ""
    page = Paginator(moderation_events(stage=stage, action=action), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "staff/moderation.html",
        {"page": page, "stage": stage, "action": action, "stages": STAGES, "actions": ACTIONS},
    )


@require_GET
@staff_only
def trace_list(request: HttpRequest) -> HttpResponse:
    """Answers with their status, model, tokens and timings."""
    page = Paginator(answer_traces(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "staff/traces.html", {"page": page})


@require_GET
@staff_only
def trace_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    """How one answer was made: retrieval, verdicts, citations, tokens, timings."""
    return render(request, "staff/trace.html", {"trace": answer_trace(message_id)})


@require_GET
@staff_only
def usage(request: HttpRequest) -> HttpResponse:
    """Questions per day, latency percentiles and the feedback ratio."""
    return render(request, "staff/usage.html", {"usage": usage_figures(days=30)})
