"""With OIDC_GROUP_MAP set, SAML sign-in applies it as OIDC does: only mapped groups count.

Providers often send group ids or distinguished names; the map turns them into product groups.
"""

from __future__ import annotations

from tests.assistant.identity.saml.conftest import group_names, sign_in_through_idp, signed_in_user


def test_only_mapped_directory_groups_become_product_groups(client, idp, db, settings):
    settings.OIDC_GROUP_MAP = {"CN=HR,OU=Groups,DC=example,DC=com": "HR", "eng-all": "Engineering"}

    page = sign_in_through_idp(
        client,
        idp,
        email="judy@example.com",
        groups=["CN=HR,OU=Groups,DC=example,DC=com", "everyone", "eng-all"],
    )

    judy = signed_in_user(page)
    assert judy is not None
    assert group_names(judy) == {"HR", "Engineering"}
