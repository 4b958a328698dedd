"""Dana's first sign-in through the company's provider creates her account with the claim's groups.

The whole authorization code flow runs for real: our start route, the provider's form, its token,
JWKS and userinfo endpoints, our callback.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from assistant.identity.models import DirectoryAccount, IdentityEvent, Source
from tests.assistant.identity.oidc.conftest import sign_in_through_provider, signed_in_user


def groups_of(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_the_first_sign_in_creates_the_account_with_the_claims_groups(client, db, provider):
    provider.person(
        "dana-0001",
        email="dana@example.com",
        email_verified=True,
        given_name="Dana",
        family_name="Scully",
        groups=["HR", "Engineering"],
    )
    assert not User.objects.filter(email="dana@example.com").exists()

    page = sign_in_through_provider(client, "dana-0001")

    dana = signed_in_user(page)
    assert dana is not None
    assert page.redirect_chain[-1][0] == "/"
    assert b'id="question"' in page.content
    assert (dana.username, dana.email, dana.first_name) == ("dana", "dana@example.com", "Dana")
    assert groups_of(dana) == {"HR", "Engineering"}
    account = DirectoryAccount.objects.get(user=dana)
    assert account.source == Source.OIDC
    assert account.last_sign_in_at is not None
    kinds = list(IdentityEvent.objects.filter(user_id=dana.pk).values_list("kind", flat=True))
    assert sorted(kinds) == ["created", "groups_changed", "signed_in"]

    # The second sign-in finds the same account.
    client.logout()
    assert signed_in_user(sign_in_through_provider(client, "dana-0001")) == dana
    assert User.objects.filter(email__iexact="dana@example.com").count() == 1


def test_an_existing_local_account_with_the_email_is_the_one_signed_in(client, alice, provider):
    provider.person("alice-0001", email="alice@example.com", email_verified=True, groups=[])

    page = sign_in_through_provider(client, "alice-0001")

    assert signed_in_user(page) == alice
    # From now on the directory sets her groups: the claim had none.
    assert groups_of(alice) == set()
    assert DirectoryAccount.objects.filter(user=alice).exists()


def test_with_a_group_map_only_mapped_directory_groups_count(client, db, provider, settings):
    settings.OIDC_GROUP_MAP = {"acme-hr-staff": "HR", "acme-dev": "Engineering"}
    provider.person(
        "erik-0001",
        email="erik@example.com",
        groups=["acme-hr-staff", "acme-all-employees", "Engineering"],
    )

    erik = signed_in_user(sign_in_through_provider(client, "erik-0001"))

    assert erik is not None
    # "Engineering" is not a mapped directory name, so it does not count either.
    assert groups_of(erik) == {"HR"}


def test_with_the_sub_identity_claim_the_account_follows_the_subject_not_the_email(
    client, db, provider, settings
):
    settings.OIDC_IDENTITY_CLAIM = "sub"
    provider.person("frank-0001", email="frank@example.com", groups=["Engineering"])
    frank = signed_in_user(sign_in_through_provider(client, "frank-0001"))
    assert frank is not None
    assert DirectoryAccount.objects.get(user=frank).subject == "frank-0001"

    client.logout()
    provider.person("frank-0001", email="frank.new@example.com", groups=["HR"])
    again = signed_in_user(sign_in_through_provider(client, "frank-0001"))

    assert again == frank
    again.refresh_from_db()
    assert again.email == "frank.new@example.com"
    assert groups_of(again) == {"HR"}
