"""URL routes of the API and of the token settings page."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from assistant.api import views
from assistant.api.app import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("settings/tokens/", views.tokens, name="api-tokens"),
    path("settings/tokens/<int:token_id>/revoke", views.token_revoke, name="api-token-revoke"),
    path("", api.urls),
]
