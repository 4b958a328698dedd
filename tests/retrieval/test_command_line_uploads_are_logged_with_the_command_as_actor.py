"""Uploads from `manage.py ingest` and the demo seed are in the access log, named by their command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from retrieval.models import Document, DocumentAccessChange

pytestmark = pytest.mark.django_db


def test_command_line_uploads_are_logged_with_the_command_as_actor(tmp_path, alice, groups):
    (tmp_path / "a.md").write_text("# A\n\nFirst file.")

    call_command("ingest", str(tmp_path / "a.md"), "--group", "HR", "--owner", "alice", verbosity=0)

    document = Document.objects.get()
    [change] = DocumentAccessChange.objects.filter(document_id=document.pk)
    assert (change.kind, change.actor, change.actor_name) == ("created", None, "manage.py ingest")
    assert change.after == {"org_wide": False, "owner": "alice", "groups": ["HR"], "users": []}


def test_the_demo_documents_are_logged_as_seeded(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        call_command("seed_demo", stdout=StringIO())

    changes = DocumentAccessChange.objects.all()
    assert changes.count() == Document.objects.count() == 5
    assert {c.actor_name for c in changes} == {"manage.py seed_demo"}
