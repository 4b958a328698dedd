"""Without SAML_IDP_METADATA there is no SAML sign-in: its routes are missing, not half-working."""

from __future__ import annotations

import base64


def requests_to_every_route(client):  # type: ignore[no-untyped-def]
    answer = base64.b64encode(b"<samlp:Response/>").decode()
    return {
        "login": client.get("/saml/login/"),
        "acs": client.post("/saml/acs/", {"SAMLResponse": answer}),
        "metadata": client.get("/saml/metadata/"),
    }


def test_every_route_answers_404(client, db, settings):
    settings.SAML_ENABLED = False

    statuses = {name: r.status_code for name, r in requests_to_every_route(client).items()}

    assert statuses == {"login": 404, "acs": 404, "metadata": 404}


def test_every_route_answers_while_it_is_on(client, db):
    # Control: the same requests with SAML configured.
    answered = requests_to_every_route(client)

    assert answered["login"].status_code == 302
    assert answered["login"]["Location"].startswith("https://idp.example.test/saml/sso?")
    # An answer nobody asked for is turned away on the login page.
    assert answered["acs"].status_code == 302
    assert answered["acs"]["Location"] == "/accounts/login/"
    assert answered["metadata"].status_code == 200
