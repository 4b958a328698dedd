"""URL routes of the product."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from assistant import views
from assistant.identity.oidc import SignInView

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz-live"),
    path(
        "accounts/login/",
        SignInView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("django-admin/", admin.site.urls),
    path("documents/", include("retrieval.urls")),
    path("slack/", include("assistant.slack.urls")),
    path("oidc/", include("assistant.identity.oidc_urls")),
    path("saml/", include("assistant.identity.saml_urls")),
    path("scim/v2/", include("assistant.scim.urls")),
    path("people/", include("assistant.identity.urls")),
    # The chat comes first: it owns "/" (the home page), which the API's router would also answer.
    path("", include("assistant.chat.urls")),
    path("", include("assistant.api.urls")),
]
