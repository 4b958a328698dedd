"""SCIM test helpers: the SCIM token switched on, and a client that speaks application/scim+json.

Requests go through Django's test client (the real middleware, URLs and database); only the
conformance check runs against a live server.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

SCIM_TOKEN = "scim-test-token-0f3c9e2a7b41d8e6c5f90a3b"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def scim_on(settings: Any) -> str:
    """SCIM switched on with the test token; returns the token."""
    settings.SCIM_TOKEN = SCIM_TOKEN
    return SCIM_TOKEN


class Scim:
    """Send SCIM requests as an identity provider would, through Django's test client."""

    def __init__(self, client: Any, token: str | None) -> None:
        self.client = client
        self.token = token

    def request(
        self, method: str, path: str, body: Any = None, *, token: str | None = None, raw: str = ""
    ) -> Any:
        headers = {}
        bearer = token if token is not None else self.token
        if bearer:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
        data = raw or (json.dumps(body) if body is not None else "")
        return self.client.generic(
            method,
            f"/scim/v2/{path.lstrip('/')}",
            data=data,
            content_type="application/scim+json",
            **headers,
        )

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> Any:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> Any:
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, *operations: dict[str, Any], **kwargs: Any) -> Any:
        return self.request(
            "PATCH", path, {"schemas": [PATCH_OP], "Operations": list(operations)}, **kwargs
        )

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def scim(scim_on: str) -> Scim:
    """A SCIM client with the right token (a fresh Django client: no session)."""
    from django.test import Client

    return Scim(Client(), scim_on)


def user_body(user_name: str, **attributes: Any) -> dict[str, Any]:
    """A SCIM User as identity providers POST it."""
    return {"schemas": [USER_SCHEMA], "userName": user_name, **attributes}


def group_body(display_name: str, *member_ids: Any, **attributes: Any) -> dict[str, Any]:
    """A SCIM Group with members given by user id."""
    body: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "displayName": display_name, **attributes}
    if member_ids:
        body["members"] = [{"value": str(pk)} for pk in member_ids]
    return body


def assert_scim_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """The response is a SCIM Error with this status (and scimType); returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = json.loads(response.content)
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body  # type: ignore[no-any-return]
