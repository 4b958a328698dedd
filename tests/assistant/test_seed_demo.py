from __future__ import annotations

from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command


def test_seed_demo_creates_the_demo_people_once(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())

    assert User.objects.filter(username__in=["alice", "bob", "carol", "dave"]).count() == 4
    assert list(User.objects.get(username="alice").groups.values_list("name", flat=True)) == ["HR"]
    assert list(User.objects.get(username="bob").groups.values_list("name", flat=True)) == [
        "Engineering"
    ]
    assert User.objects.get(username="carol").is_staff
    assert not User.objects.get(username="dave").groups.exists()
    assert User.objects.get(username="alice").check_password("demo-password")
    assert "alice" in out.getvalue() and "http://127.0.0.1:8000/" in out.getvalue()


def test_seed_demo_queues_the_demo_documents_with_their_access(
    db, django_capture_on_commit_callbacks
):
    from retrieval.models import Document

    with django_capture_on_commit_callbacks(execute=False):
        call_command("seed_demo", stdout=StringIO())

    documents = {d.original_filename: d for d in Document.objects.all()}
    assert set(documents) == {
        "travel-and-expenses.md",
        "office-guide.md",
        "parental-leave.md",
        "salary-bands-2026.md",
        "incident-runbook.md",
    }
    assert documents["office-guide.md"].org_wide
    salary = documents["salary-bands-2026.md"]
    assert not salary.org_wide
    assert list(salary.allowed_groups.values_list("name", flat=True)) == ["HR"]
