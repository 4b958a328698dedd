from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from retrieval.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "nested").mkdir()
    (tmp_path / "a.md").write_text("# A\n\nFirst file.")
    (tmp_path / "nested" / "b.txt").write_text("Second file.")
    (tmp_path / "ignored.exe").write_bytes(b"MZ")
    return tmp_path


def test_a_folder_is_uploaded_for_a_group_with_an_owner(folder, alice, groups):
    call_command("ingest", str(folder), "--group", "HR", "--owner", "alice", verbosity=0)

    documents = Document.objects.order_by("original_filename")
    assert [d.original_filename for d in documents] == ["a.md", "b.txt"]
    for document in documents:
        assert document.status == "queued"
        assert sorted(document.principals) == sorted([f"g:{groups['HR'].pk}", f"u:{alice.pk}"])


def test_org_wide_files_are_readable_by_everyone(folder):
    call_command("ingest", str(folder / "a.md"), "--org-wide", verbosity=0)

    assert Document.objects.get().principals == ["*"]


def test_access_must_be_said_and_names_must_exist(folder, alice):
    with pytest.raises(CommandError, match="Say who may read"):
        call_command("ingest", str(folder), verbosity=0)
    with pytest.raises(CommandError, match="No group 'Sales'"):
        call_command("ingest", str(folder), "--group", "Sales", verbosity=0)
    with pytest.raises(CommandError, match="cannot be combined"):
        call_command("ingest", str(folder), "--org-wide", "--user", "alice", verbosity=0)
