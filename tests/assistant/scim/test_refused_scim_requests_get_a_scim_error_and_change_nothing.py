"""Refused SCIM requests get the status and SCIM Error of RFC 7644 §3.12, and change nothing.

A wrong or missing token is 401, SCIM switched off is 404 on every URL, a body that is not JSON is
`invalidSyntax`, an attribute no schema declares is refused, and so is a PATCH that would leave
the account in a state it cannot be in. After each, the accounts, groups and identity log are
exactly as they were.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from assistant.identity.models import DirectoryAccount, DirectoryGroup, IdentityEvent
from tests.assistant.scim.conftest import assert_scim_error, group_body, user_body

pytestmark = pytest.mark.django_db


def snapshot() -> Any:
    return (
        list(User.objects.order_by("pk").values()),
        list(Group.objects.order_by("pk").values_list("pk", "name")),
        list(User.groups.through.objects.order_by("pk").values_list("user_id", "group_id")),
        list(DirectoryAccount.objects.order_by("pk").values()),
        list(DirectoryGroup.objects.order_by("pk").values()),
        IdentityEvent.objects.count(),
    )


@pytest.fixture
def before(alice, bob, scim) -> Any:
    """A directory group with Alice in it, then the state every refusal must leave alone."""
    created = scim.post("Groups", group_body("Finance", alice.pk))
    assert created.status_code == 201
    return snapshot()


def test_a_wrong_token_gets_401(scim, alice, before):
    response = scim.patch(
        f"Users/{alice.pk}", {"op": "replace", "path": "active", "value": False}, token="guess"
    )
    assert_scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot() == before


def test_a_missing_token_gets_401(scim, before):
    scim.token = None
    assert_scim_error(scim.post("Users", user_body("mallory")), 401)
    assert_scim_error(scim.get("Users"), 401)
    assert snapshot() == before


def test_every_scim_url_is_404_while_scim_is_off(scim, settings, alice, before):
    settings.SCIM_TOKEN = ""
    for method, path in [
        ("GET", "ServiceProviderConfig"),
        ("GET", "Users"),
        ("POST", "Users"),
        ("DELETE", f"Users/{alice.pk}"),
        ("GET", "no-such-endpoint"),
    ]:
        assert_scim_error(scim.request(method, path, user_body("mallory")), 404)
    assert snapshot() == before


def test_a_body_that_is_not_json_is_invalid_syntax(scim, alice, before):
    assert_scim_error(scim.request("POST", "Users", raw='{"userName": "x",'), 400, "invalidSyntax")
    assert_scim_error(
        scim.request("PATCH", f"Users/{alice.pk}", raw="active=false"), 400, "invalidSyntax"
    )
    assert_scim_error(scim.request("PUT", f"Users/{alice.pk}", raw="[]"), 400, "invalidSyntax")
    assert snapshot() == before


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("POST", "Users", user_body("mallory", favouriteColour="red")),
        ("PUT", "Users/{alice}", user_body("alice", favouriteColour="red")),
        ("POST", "Groups", group_body("Sales", favouriteColour="red")),
    ],
)
def test_an_attribute_no_schema_declares_is_refused(scim, alice, before, method, path, body):
    response = scim.request(method, path.format(alice=alice.pk), body)
    error = assert_scim_error(response, 400)
    assert error["scimType"] in {"invalidSyntax", "invalidValue"}
    assert "favouriteColour" in error["detail"]
    assert snapshot() == before


def test_a_patch_on_an_unknown_attribute_is_refused_whole(scim, alice, before):
    response = scim.patch(
        f"Users/{alice.pk}",
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "path": "favouriteColour", "value": "red"},
    )
    assert_scim_error(response, 400, "invalidPath")
    assert snapshot() == before


def test_a_patch_that_fails_halfway_changes_nothing(scim, alice, bob, before):
    # The first operation is fine, the second takes Bob's userName: neither happens.
    response = scim.patch(
        f"Users/{alice.pk}",
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "path": "userName", "value": "BOB"},
    )
    assert_scim_error(response, 409, "uniqueness")
    assert snapshot() == before


def test_a_group_with_an_unknown_member_is_refused(scim, alice, before):
    finance = Group.objects.get(name="Finance")
    response = scim.put(f"Groups/{finance.pk}", group_body("Finance", alice.pk, 999999))
    assert_scim_error(response, 400, "invalidValue")
    assert snapshot() == before


def test_an_unknown_resource_is_404(scim, before):
    assert_scim_error(scim.get("Users/999999"), 404)
    assert_scim_error(scim.patch("Groups/abc", {"op": "remove", "path": "members"}), 404)
    assert_scim_error(scim.delete("Users/999999"), 404)
    assert snapshot() == before
