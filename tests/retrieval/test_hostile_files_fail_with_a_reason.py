"""Bad input ends `failed` with a reason a person can act on, and the worker carries on."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth.models import User

from tests.conftest import SHARED
from tests.retrieval.conftest import upload, wait_until_finished

PDFS = SHARED / "eval" / "documents" / "pdf"


def zip_bomb() -> bytes:
    """A small DOCX whose document part expands to 64 MB of zeros (limit in tests: 32 MB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            zeros = bytes(1 << 20)
            for _ in range(64):
                member.write(zeros)
    return buffer.getvalue()


HOSTILE = {
    "password.pdf": ((PDFS / "password.pdf").read_bytes(), "encrypted with a password"),
    "broken.pdf": (b"%PDF-1.7\n" + bytes(range(256)) * 40, "PDF is damaged"),
    "broken.docx": (b"PK\x03\x04" + b"\x00garbage" * 100, "DOCX"),
    "empty.txt": (b"", "empty"),
    "huge.txt": (b"a " * (3 * 1024 * 1024), "over the limit"),  # limit in tests: 4 MB
    "photo.pdf": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, "not a PDF"),
    "report.rtf": (b"{\\rtf1 Hello}", "not supported"),
    "bomb.docx": (zip_bomb(), "zip bomb"),
    "blank.md": (b"   \n\n  \n", "No text was found"),
}


@pytest.mark.django_db(transaction=True)
def test_each_hostile_file_fails_with_its_reason_and_the_next_file_still_ingests(celery_worker):
    owner = User.objects.create_user("uploader")
    bad = {name: upload(name, data, owner=owner) for name, (data, _) in HOSTILE.items()}
    good = upload("after.md", b"# After\n\nThe worker is still alive.", owner=owner)

    wait_until_finished([*bad.values(), good], timeout=180)

    reasons = {name: (doc.status, doc.error) for name, doc in bad.items()}
    for name, (_, expected) in HOSTILE.items():
        status, error = reasons[name]
        assert status == "failed", f"{name}: {status}"
        assert expected.lower() in error.lower(), f"{name}: {error!r}"
    assert good.status == "ready"
    assert celery_worker.poll() is None
