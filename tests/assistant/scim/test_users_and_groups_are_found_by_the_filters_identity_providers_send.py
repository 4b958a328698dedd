"""The filters Entra ID and Okta send find the right accounts and groups, and only those.

userName is matched without regard to case, externalId exactly; `emails[type eq "work"].value`
is Entra's way of matching by email; and, or and not combine; a filter on an attribute the
service does not keep is refused rather than answered with nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.assistant.scim.conftest import assert_scim_error, group_body, user_body

pytestmark = pytest.mark.django_db


def query(scim, path: str, scim_filter: str):
    return scim.get(f"{path}?{urlencode({'filter': scim_filter})}")


def found(scim, path: str, scim_filter: str) -> list[str]:
    response = query(scim, path, scim_filter)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == len(body.get("Resources", []))
    return sorted(r.get("userName") or r.get("displayName") for r in body.get("Resources", []))


def test_user_filters(scim, alice, bob, charlie):
    scim.post(
        "Users",
        user_body(
            "dana@example.com",
            externalId="00uDANA",
            emails=[{"value": "dana@corp.example", "type": "work", "primary": True}],
        ),
    )
    scim.patch(f"Users/{bob.pk}", {"op": "replace", "path": "active", "value": False})

    assert found(scim, "Users", 'userName eq "ALICE"') == ["alice"]
    assert found(scim, "Users", 'userName eq "nobody"') == []
    assert found(scim, "Users", 'externalId eq "00uDANA"') == ["dana@example.com"]
    assert found(scim, "Users", 'externalId eq "00udana"') == []
    assert found(scim, "Users", 'emails[type eq "work"].value eq "DANA@corp.example"') == [
        "dana@example.com"
    ]
    assert found(scim, "Users", 'emails.value co "@example.com"') == ["alice", "bob", "charlie"]
    assert found(scim, "Users", 'userName sw "a" or userName ew "LIE"') == ["alice", "charlie"]
    assert found(scim, "Users", 'userName sw "c" and active eq true') == ["charlie"]
    assert found(scim, "Users", "active eq false") == ["bob"]
    assert found(scim, "Users", 'not (userName ne "bob")') == ["bob"]
    assert found(scim, "Users", f'id eq "{charlie.pk}"') == ["charlie"]
    assert found(scim, "Users", "externalId pr") == ["dana@example.com"]

    assert_scim_error(query(scim, "Users", 'title eq "CEO"'), 400, "invalidFilter")
    assert_scim_error(query(scim, "Users", "userName eq"), 400, "invalidFilter")


def test_group_filters(scim, alice, bob):
    scim.post("Groups", group_body("Legal", alice.pk, externalId="g-legal"))
    scim.post("Groups", group_body("Legal Ops", alice.pk, bob.pk))
    scim.post("Groups", group_body("Sales"))

    assert found(scim, "Groups", 'displayName eq "legal"') == ["Legal"]
    assert found(scim, "Groups", 'displayName sw "Legal"') == ["Legal", "Legal Ops"]
    assert found(scim, "Groups", 'externalId eq "g-legal"') == ["Legal"]
    assert found(scim, "Groups", f'members.value eq "{bob.pk}"') == ["Legal Ops"]
    assert found(scim, "Groups", f'members[value eq "{alice.pk}"]') == ["Legal", "Legal Ops"]
    assert found(scim, "Groups", f'members eq "{alice.pk}" and members eq "{bob.pk}"') == [
        "Legal Ops"
    ]
    assert found(scim, "Groups", "members pr") == ["Legal", "Legal Ops"]
    # Groups staff made by hand are not the directory's.
    assert found(scim, "Groups", 'displayName eq "HR"') == []
