"""Lists are paged as RFC 7644 §3.4.2.4 says: startIndex is 1-based, count caps the page.

The total counts every match, whatever the page; count=0 answers the total alone; a page past
the end is empty; a count that is not a number is refused. /Users/.search pages the same way.
"""

from __future__ import annotations

import pytest

from tests.assistant.scim.conftest import assert_scim_error, user_body

pytestmark = pytest.mark.django_db


def page(scim, query: str) -> tuple[int, int, list[str]]:
    body = scim.get(f"Users?{query}").json()
    names = [resource["userName"] for resource in body.get("Resources", [])]
    assert body["itemsPerPage"] == len(names)
    return body["totalResults"], body["startIndex"], names


def test_paging_through_accounts(scim):
    for n in range(5):
        assert scim.post("Users", user_body(f"person{n}")).status_code == 201

    assert page(scim, "count=2") == (5, 1, ["person0", "person1"])
    assert page(scim, "startIndex=3&count=2") == (5, 3, ["person2", "person3"])
    assert page(scim, "startIndex=5&count=2") == (5, 5, ["person4"])
    assert page(scim, "startIndex=9") == (5, 9, [])
    assert page(scim, "count=0") == (5, 1, [])
    assert page(scim, "startIndex=0&count=1") == (5, 1, ["person0"])
    assert_scim_error(scim.get("Users?count=many"), 400, "invalidValue")

    searched = scim.post(
        "Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName sw "person"',
            "startIndex": 2,
            "count": 2,
            "attributes": ["userName"],
        },
    )
    assert searched.status_code == 200
    body = searched.json()
    assert body["totalResults"] == 5
    assert [set(r) for r in body["Resources"]] == [{"schemas", "id", "userName"}] * 2
    assert [r["userName"] for r in body["Resources"]] == ["person1", "person2"]
