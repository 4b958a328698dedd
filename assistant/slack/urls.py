"""Routes of the Slack surface, under /slack/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from assistant.slack import views

app_name = "slack"

urlpatterns: list[URLPattern | URLResolver] = [
    path("events", views.events, name="events"),
    path("commands", views.commands, name="commands"),
    path("link/<str:token>", views.link, name="link"),
    path("links/", views.links, name="links"),
    path("links/<int:link_id>/remove", views.link_remove, name="link_remove"),
]
