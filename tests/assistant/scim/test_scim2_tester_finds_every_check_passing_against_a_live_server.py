"""scim2-tester, the SCIM conformance checker, run against a live server: every check passes.

Its checks read /ServiceProviderConfig, /ResourceTypes and /Schemas, then create, read, list,
filter attributes of, replace, patch (add, remove, replace every published attribute) and delete
Users and Groups over HTTP.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.assistant.scim.conftest import SCIM_TOKEN

# Checks that cannot pass by design: (resource type, check, attribute) -> why.
NOT_SUPPORTED: dict[tuple[str, str, str], str] = {
    ("User", "check_remove_attribute", "active"): (
        "An account is always active or not: removing `active` is refused (400 mutability), "
        "since reading it as either would be a guess; a directory deactivates with active=false."
    ),
}


def excused(result: Any) -> bool:
    """The result is a failure of a check listed in NOT_SUPPORTED, about its attribute."""
    return any(
        result.resource_type == kind and result.title == check and f"'{attribute}'" in result.reason
        for kind, check, attribute in NOT_SUPPORTED
    )


PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


@pytest.mark.django_db(transaction=True)
def test_every_scim2_tester_check_passes(live_server: Any, settings: Any) -> None:
    settings.SCIM_TOKEN = SCIM_TOKEN
    with httpx2.Client(
        base_url=f"{live_server.url}/scim/v2",
        # One connection per request: on a kept-alive connection, Django's live server writes
        # headers and body apart and each response waits ~40 ms for a delayed ACK.
        headers={"Authorization": f"Bearer {SCIM_TOKEN}", "Connection": "close"},
        timeout=30,
    ) as http:
        results = check_server(SyncSCIMClient(http))

    failed = [
        result
        for result in results
        if result.status not in PASSING | {Status.SKIPPED} and not excused(result)
    ]
    assert not failed, "\n".join(
        f"{r.resource_type} {r.title}: {r.status.name} {r.reason}" for r in failed
    )
    # Each exception is used (a check that starts passing should leave the list).
    for kind, check, attribute in NOT_SUPPORTED:
        assert any(
            r.resource_type == kind
            and r.title == check
            and f"'{attribute}'" in (r.reason or "")
            and r.status not in PASSING
            for r in results
        ), f"{kind} {check} {attribute} passes now; remove it from NOT_SUPPORTED"
    # The only checks skipped are those of POST /.search at the root (searching Users and Groups
    # at once), which the service answers with 501 as RFC 7644 allows.
    skipped = {result.title for result in results if result.status == Status.SKIPPED}
    assert skipped <= {"search_with_attributes"}
    assert sum(result.status in PASSING for result in results) >= 60
