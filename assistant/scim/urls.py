"""Routes of SCIM 2.0 provisioning, under /scim/v2/ (a trailing slash is accepted everywhere)."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from assistant.scim import views

app_name = "scim"


def _resource_routes(kind: views.ResourceKind) -> list[URLPattern]:
    """/Users or /Groups, its /.search and one resource, each view told which kind it serves."""
    return [
        re_path(rf"^{kind.endpoint}/?$", views.collection, {"kind": kind}),
        re_path(rf"^{kind.endpoint}/\.search/?$", views.search, {"kind": kind}),
        re_path(rf"^{kind.endpoint}/(?P<resource_id>[^/]+)/?$", views.item, {"kind": kind}),
    ]


urlpatterns: list[URLPattern] = [
    path("", views.not_found, name="root"),
    re_path(r"^ServiceProviderConfig/?$", views.service_provider_config),
    re_path(r"^ResourceTypes/?$", views.resource_types),
    re_path(r"^ResourceTypes/(?P<resource_id>[^/]+)/?$", views.resource_types),
    re_path(r"^Schemas/?$", views.schemas),
    re_path(r"^Schemas/(?P<resource_id>[^/]+)/?$", views.schemas),
    *_resource_routes(views.USERS),
    *_resource_routes(views.GROUPS),
    re_path(r"^(?:Me|Bulk|\.search)/?$", views.not_implemented),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
