from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from assistant.identity.models import DirectoryGroup, IdentityEvent
from assistant.identity.services import (
    account_deactivate,
    account_groups_set,
    account_reactivate,
)


@pytest.mark.django_db
def test_provisioned_memberships_come_back_and_claim_only_ones_wait_for_sign_in(alice):
    account_groups_set(user=alice, names=["HR", "Payroll"], source="scim")
    DirectoryGroup.objects.create(group=Group.objects.get(name="Payroll"), external_id="g-payroll")
    account_deactivate(user=alice, source="scim")
    assert not alice.groups.exists()

    restored = account_reactivate(user=alice, source="scim")

    alice.refresh_from_db()
    assert alice.is_active
    assert restored == ["Payroll"]
    assert list(alice.groups.values_list("name", flat=True)) == ["Payroll"]
    event = IdentityEvent.objects.filter(user_id=alice.pk, kind="reactivated").get()
    assert event.detail == {"groups_restored": ["Payroll"]}
