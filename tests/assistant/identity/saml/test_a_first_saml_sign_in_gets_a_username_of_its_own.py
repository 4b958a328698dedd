"""A first sign-in names the new account after the email's local part, never taking a used name.

A local account "alice" already exists (alice@example.com); Alice from the subsidiary signs in with
alice@subsidiary.example.com and gets an account of her own.
"""

from __future__ import annotations

from tests.assistant.identity.saml.conftest import group_names, sign_in_through_idp, signed_in_user


def test_the_second_alice_gets_alice_2_and_the_first_is_untouched(client, idp, alice):
    page = sign_in_through_idp(
        client, idp, email="alice@subsidiary.example.com", groups=["Engineering"]
    )

    newcomer = signed_in_user(page)
    assert newcomer is not None and newcomer != alice
    assert (newcomer.username, newcomer.email) == ("alice-2", "alice@subsidiary.example.com")
    assert group_names(alice) == {"HR"}
