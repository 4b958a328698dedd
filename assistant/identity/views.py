"""Staff pages: people, their groups and where those come from, and the identity log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from assistant.chat.staff_views import staff_only
from assistant.identity import selectors, services
from assistant.identity.forms import GroupsForm
from assistant.identity.models import Source
from assistant.identity.signals import DirectoryManaged

PAGE_SIZE = 50


@require_GET
@staff_only
@never_cache
def people_list(request: HttpRequest) -> HttpResponse:
    """Everyone, with their groups, the source of each, and their last sign-in and provisioning."""
    query = request.GET.get("q", "").strip()[:150]
    source = request.GET.get("source", "")
    source = source if source in Source.values else ""
    page = Paginator(selectors.people(query=query, source=source), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [selectors.person_row(user) for user in page.object_list]
    events = selectors.identity_events()[:20]
    return render(
        request,
        "identity/people.html",
        {
            "page": page,
            "rows": rows,
            "events": events,
            "query": query,
            "source": source,
            "sources": Source.choices,
            "section": "people",
        },
    )


@require_http_methods(["GET", "POST"])
@staff_only
@never_cache
def person_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """One person: groups, source, identity log; staff set a local person's groups here."""
    user = get_object_or_404(get_user_model(), pk=user_id)
    form = GroupsForm(request.POST or None, initial={"groups": user.groups.all()})
    status = 200
    if request.method == "POST":
        if services.is_directory_managed(user):
            messages.error(request, str(DirectoryManaged.message_for(user.get_username())))
            status = 409
        elif form.is_valid():
            services.account_local_groups_set(
                user=user, groups=form.cleaned_data["groups"], actor=request.user
            )
            messages.success(request, f"Groups of {user.get_username()} saved.")
            return redirect("people-detail", user_id=user.pk)
    events = Paginator(selectors.identity_events(user_id=user.pk), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "identity/person.html",
        {
            "person": selectors.person_row(user),
            "form": form,
            "events": events,
            "section": "people",
        },
        status=status,
    )
