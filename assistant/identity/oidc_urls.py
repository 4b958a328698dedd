"""Routes of single sign-on: start at the provider, come back with a code (404 while it is off)."""

from __future__ import annotations

from django.urls import path

from assistant.identity.oidc import SignInCallbackView, SignInStartView

# The names are the ones mozilla-django-oidc reverses for the redirect URI.
urlpatterns = [
    path("authenticate/", SignInStartView.as_view(), name="oidc_authentication_init"),
    path("callback/", SignInCallbackView.as_view(), name="oidc_authentication_callback"),
]
