"""A directory that provisions a group named like one staff made takes that group over.

Documents already shared with HR stay shared with it, and its members become exactly the
directory's. When the directory deletes it, everyone leaves it, and the group (with its
documents' access rules) stays behind as a local group, no longer a SCIM resource.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from assistant.identity.models import DirectoryGroup
from retrieval.access import documents_visible_to
from retrieval.services import document_create
from tests.assistant.scim.conftest import assert_scim_error, group_body

pytestmark = pytest.mark.django_db


def test_taking_over_and_letting_go_of_hr(scim, alice, bob, groups):
    hr = groups["HR"]
    payroll = document_create(
        file=ContentFile(b"Salaries", name="payroll.txt"), groups=[hr], enqueue=False
    )
    assert payroll in documents_visible_to(alice)

    created = scim.post("Groups", group_body("HR", bob.pk))

    assert created.status_code == 201
    assert created.json()["id"] == str(hr.pk)
    assert DirectoryGroup.objects.filter(group=hr).exists()
    assert payroll in documents_visible_to(bob)
    assert payroll not in documents_visible_to(alice)
    assert_scim_error(scim.post("Groups", group_body("HR")), 409, "uniqueness")

    assert scim.delete(f"Groups/{hr.pk}").status_code == 204

    assert_scim_error(scim.get(f"Groups/{hr.pk}"), 404)
    assert payroll not in documents_visible_to(bob)
    hr = Group.objects.get(pk=hr.pk)
    assert not hr.user_set.exists()
    assert list(payroll.allowed_groups.all()) == [hr]


def test_a_directory_group_nothing_is_shared_with_is_deleted_with_it(scim, alice):
    created = scim.post("Groups", group_body("Temporary", alice.pk)).json()

    assert scim.delete(f"Groups/{created['id']}").status_code == 204

    assert not Group.objects.filter(pk=created["id"]).exists()
    assert not alice.groups.filter(name="Temporary").exists()
