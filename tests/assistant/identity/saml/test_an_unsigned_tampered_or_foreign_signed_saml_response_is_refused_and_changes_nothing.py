"""An answer that the provider's key does not vouch for is refused, and Bob's account stays as it was.

Bob is in Engineering. Each answer below says HR for him: unsigned, signed by a key that is not the
provider's (same entity id), or signed by the provider and then edited.
"""

from __future__ import annotations

import pytest

from assistant.identity.models import DirectoryAccount, IdentityEvent, Source
from tests.assistant.identity.saml.conftest import (
    group_names,
    shown,
    sign_in_through_idp,
    signed_in_user,
)


def engineering_to_hr(xml: str) -> str:
    """The signed answer with Bob's group changed after signing."""
    assert xml.count(">Engineering<") == 1, xml
    return xml.replace(">Engineering<", ">HR<")


BAD_ANSWERS = {
    "unsigned": {"groups": ["HR"], "sign_assertion": False},
    "signed by another key": {"groups": ["HR"], "signer": "impostor"},
    "assertion edited after signing": {"groups": ["Engineering"], "edit": engineering_to_hr},
    "response edited after signing": {
        "groups": ["Engineering"],
        "sign_assertion": False,
        "sign_response": True,
        "edit": engineering_to_hr,
    },
}


@pytest.mark.parametrize("case", list(BAD_ANSWERS))
def test_the_answer_is_refused_and_bob_keeps_his_groups(client, idp, bob, case):
    page = sign_in_through_idp(client, idp, email="bob@example.com", **BAD_ANSWERS[case])

    assert signed_in_user(page) is None
    assert page.redirect_chain[-1][0] == "/accounts/login/"
    assert "Single sign-on refused: the sign-in is not signed by the identity provider." in shown(
        page
    )
    assert group_names(bob) == {"Engineering"}
    assert not DirectoryAccount.objects.filter(user=bob).exists()
    refused = IdentityEvent.objects.get()
    assert (refused.kind, refused.source, refused.detail) == (
        IdentityEvent.Kind.REFUSED,
        Source.SAML,
        {"reason": "bad signature"},
    )


@pytest.mark.parametrize(
    "signed", [{"sign_assertion": True}, {"sign_assertion": False, "sign_response": True}]
)
def test_an_answer_signed_by_the_provider_signs_bob_in(client, idp, bob, signed):
    # Control: the refusals come from the signatures, not from Bob or the flow. Providers sign
    # the assertion or the response as a whole; either covers the assertion.
    page = sign_in_through_idp(client, idp, email="bob@example.com", groups=["HR"], **signed)

    assert signed_in_user(page) == bob
    assert group_names(bob) == {"HR"}
