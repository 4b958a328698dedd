from __future__ import annotations

import pytest

from assistant.identity.models import IdentityEvent
from assistant.identity.services import account_groups_set, is_directory_managed
from retrieval.access import group_principal, principals_for


@pytest.mark.django_db
def test_a_group_no_longer_named_is_removed_and_the_next_read_follows(alice, groups):
    assert group_principal(groups["HR"].pk) in principals_for(alice)

    change = account_groups_set(user=alice, names=["Engineering", "Finance"], source="oidc")

    assert is_directory_managed(alice)
    assert (change.added, change.removed) == (["Engineering", "Finance"], ["HR"])
    assert group_principal(groups["HR"].pk) not in principals_for(alice)
    assert group_principal(groups["Engineering"].pk) in principals_for(alice)
    event = IdentityEvent.objects.get(user_id=alice.pk, kind="groups_changed")
    assert event.detail == {"added": ["Engineering", "Finance"], "removed": ["HR"]}
    # The same claim again changes nothing and logs nothing.
    assert not account_groups_set(user=alice, names=["Finance", "Engineering"], source="oidc")
    assert IdentityEvent.objects.filter(user_id=alice.pk, kind="groups_changed").count() == 1
