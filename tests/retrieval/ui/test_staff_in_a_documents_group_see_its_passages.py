"""Dana is staff and in HR: she reads HR's document on its detail page, as she would in chat.

Staff rights neither give nor take away reading: her passages come from her own principals.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.urls import reverse

from tests.conftest import PASSWORD


def test_staff_in_a_documents_group_see_its_passages(client, ingested, groups) -> None:  # type: ignore[no-untyped-def]
    dana = User.objects.create_user("dana", "dana@example.com", PASSWORD, is_staff=True)
    dana.groups.add(groups["HR"])
    salaries = ingested(
        "salary-bands.md",
        b"# Salary bands\n\nThe engineering band starts at 61,000 a year.\n",
        groups=[groups["HR"]],
    )
    runbook = ingested(
        "runbook.md",
        b"# Runbook\n\nRestart the queue with the blue switch.\n",
        groups=[groups["Engineering"]],
    )
    client.force_login(dana)

    readable = client.get(reverse("documents:detail", args=[salaries.pk])).content.decode()
    managed = client.get(reverse("documents:detail", args=[runbook.pk])).content.decode()

    assert "The engineering band starts at 61,000 a year." in readable
    assert "not among its readers" not in readable
    assert "Restart the queue with the blue switch." not in managed
    assert "You manage this document but are not among its readers" in managed
