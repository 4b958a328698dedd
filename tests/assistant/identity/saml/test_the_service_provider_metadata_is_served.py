"""/saml/metadata/ describes this service for the provider's administrator to import.

Its entity id and assertion consumer address come from PUBLIC_BASE_URL (or SAML_ENTITY_ID), never
from the request's Host header, and it is served even while the provider's metadata cannot be read.
"""

from __future__ import annotations

from saml2 import BINDING_HTTP_POST
from saml2.md import entity_descriptor_from_string

from tests.assistant.identity.saml.conftest import shown


def described(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    return entity_descriptor_from_string(response.content.decode())


def test_it_names_our_entity_id_and_where_answers_are_posted(client, db, settings):
    settings.PUBLIC_BASE_URL = "https://assistant.example.com"

    entity = described(client.get("/saml/metadata/", HTTP_HOST="testserver"))

    assert entity.entity_id == "https://assistant.example.com/saml/metadata/"
    (sp,) = entity.spsso_descriptor
    [(acs_binding, acs_location)] = [
        (acs.binding, acs.location) for acs in sp.assertion_consumer_service
    ]
    assert (acs_binding, acs_location) == (
        BINDING_HTTP_POST,
        "https://assistant.example.com/saml/acs/",
    )
    assert not entity.idpsso_descriptor


def test_saml_entity_id_replaces_the_default(client, db, settings):
    settings.SAML_ENTITY_ID = "urn:example:assistant"

    assert described(client.get("/saml/metadata/")).entity_id == "urn:example:assistant"


def test_it_is_served_while_the_providers_metadata_cannot_be_read(client, db, settings, tmp_path):
    settings.SAML_IDP_METADATA = str(tmp_path / "missing.xml")

    assert described(client.get("/saml/metadata/")).entity_id == "http://testserver/saml/metadata/"
    # Signing in cannot start; the login page says so.
    page = client.get("/saml/login/", follow=True)
    assert page.redirect_chain[-1][0] == "/accounts/login/"
    assert "the sign-in service could not be reached or is not set up correctly" in shown(page)
