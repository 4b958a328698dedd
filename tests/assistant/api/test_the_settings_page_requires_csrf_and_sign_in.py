from __future__ import annotations

import pytest
from django.test import Client

from assistant.api.models import ApiToken


@pytest.mark.django_db
def test_creating_a_token_without_the_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post("/settings/tokens/", {"name": "forged"})

    assert response.status_code == 403
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_the_settings_page_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/settings/tokens/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
