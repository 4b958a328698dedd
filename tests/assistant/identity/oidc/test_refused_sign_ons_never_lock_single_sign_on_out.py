"""Refused single sign-on callbacks do not count toward the password lockout of their address.

Otherwise a few bad callbacks (anyone can send one) would lock everyone behind one office address
out of single sign-on.
"""

from __future__ import annotations

import pytest

from tests.assistant.identity.oidc.conftest import sign_in_through_provider, signed_in_user
from tests.assistant.identity.oidc.test_each_bad_token_is_refused_with_a_clear_message_and_leaves_the_account_unchanged import (
    resigned,
)


@pytest.mark.django_db
def test_more_refusals_than_the_lockout_limit_still_let_a_good_sign_in_through(
    client, provider, settings
):
    provider.person("hana", email="hana@example.com", email_verified=True, groups=["HR"])
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        provider.rewrite = resigned(aud="another-application")
        refused = sign_in_through_provider(client, "hana")
        assert signed_in_user(refused) is None

    accepted = sign_in_through_provider(client, "hana")

    user = signed_in_user(accepted)
    assert user is not None and user.email == "hana@example.com"
