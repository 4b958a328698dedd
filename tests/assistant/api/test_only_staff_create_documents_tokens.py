from __future__ import annotations

import pytest

from assistant.api.models import ApiToken
from assistant.api.tokens import TokenScopeError, api_token_create


@pytest.mark.django_db
def test_the_page_refuses_a_documents_token_to_someone_who_is_not_staff(client, alice):
    client.force_login(alice)

    response = client.post("/settings/tokens/", {"name": "uploads", "scopes": ["documents"]})

    assert response.status_code == 200
    assert response.context["created"] is None
    assert response.context["form"].errors["scopes"] == [
        "Only staff can create tokens with the documents scope."
    ]
    assert "Only staff can create tokens with the documents scope." in response.content.decode()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_staff_get_a_documents_token_from_the_page(client, carol):
    client.force_login(carol)

    response = client.post("/settings/tokens/", {"name": "uploads", "scopes": ["documents"]})

    assert response.context["created"] is not None
    assert ApiToken.objects.get(user=carol).scopes == ["documents"]


@pytest.mark.django_db
def test_the_service_refuses_it_too(alice):
    with pytest.raises(TokenScopeError, match="Only staff"):
        api_token_create(user=alice, name="uploads", scopes=["chat", "documents"])
    assert not ApiToken.objects.exists()
