"""Routes of SAML sign-in: start at the provider, come back with its answer, our metadata.

All three answer 404 while SAML_IDP_METADATA is unset.
"""

from __future__ import annotations

from django.urls import path

from assistant.identity.saml import AssertionConsumerView, MetadataView, SignInStartView

urlpatterns = [
    path("login/", SignInStartView.as_view(), name="saml_login"),
    path("acs/", AssertionConsumerView.as_view(), name="saml_acs"),
    path("metadata/", MetadataView.as_view(), name="saml_metadata"),
]
