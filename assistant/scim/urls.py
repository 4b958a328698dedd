"""Routes of SCIM 2.0 provisioning, under /scim/v2/ (a trailing slash is accepted everywhere)."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from assistant.scim import views

app_name = "scim"

urlpatterns: list[URLPattern] = [
    path("", views.not_found, name="root"),
    re_path(r"^ServiceProviderConfig/?$", views.service_provider_config),
    re_path(r"^ResourceTypes/?$", views.resource_types),
    re_path(r"^ResourceTypes/(?P<resource_id>[^/]+)/?$", views.resource_types),
    re_path(r"^Schemas/?$", views.schemas),
    re_path(r"^Schemas/(?P<resource_id>[^/]+)/?$", views.schemas),
    re_path(r"^Users/?$", views.users),
    re_path(r"^Users/\.search/?$", views.users_search),
    re_path(r"^Users/(?P<resource_id>[^/]+)/?$", views.user),
    re_path(r"^Groups/?$", views.groups),
    re_path(r"^Groups/\.search/?$", views.groups_search),
    re_path(r"^Groups/(?P<resource_id>[^/]+)/?$", views.group),
    re_path(r"^(?:Me|Bulk|\.search)/?$", views.not_implemented),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
