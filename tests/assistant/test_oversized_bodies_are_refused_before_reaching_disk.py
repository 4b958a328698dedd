"""A 2 GB upload from someone not signed in is refused with 413 before it reaches the disk."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings

CLAIMED = 2 * 1024**3
PIECE = 1024 * 1024
BOUNDARY = "limit-test-boundary"


class Zeros:
    """A multipart upload of `total` bytes of zeros that notes how much was sent and the lowest
    free disk space of the temporary and media folders seen while sending."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0
        self.lowest_free = {path: shutil.disk_usage(path).free for path in watched_folders()}

    def __iter__(self) -> Iterator[bytes]:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="zeros.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        yield head
        self.sent += len(head)
        piece = bytes(PIECE)
        while self.sent < self.total:
            if self.sent % (16 * PIECE) < PIECE:
                for path in self.lowest_free:
                    free = shutil.disk_usage(path).free
                    self.lowest_free[path] = min(self.lowest_free[path], free)
            yield piece
            self.sent += len(piece)


def watched_folders() -> list[Path]:
    """Where an accepted upload would land: Django's upload temp dir and the media folder."""
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    return [Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()), media]


def upload_files() -> set[Path]:
    """Django's upload temporary files (tmp*.upload*) and media files that start like our body.

    Other test runs share the media folder, so only files of zeros count.
    """
    temp, media = watched_folders()
    candidates = set(temp.glob("tmp*.upload*")) | {p for p in media.rglob("*") if p.is_file()}
    return {p for p in candidates if _starts_with_zeros(p)}


def _starts_with_zeros(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            start = handle.read(4096)
    except OSError:  # removed meanwhile
        return False
    return bool(start) and not start.strip(b"\0")


def post(url: str, body: Zeros, headers: dict[str, str]) -> httpx.Response:
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **headers}
    with httpx.Client(timeout=120) as client:
        return client.post(f"{url}/documents/upload/", content=body, headers=headers)


def assert_nothing_landed(body: Zeros, before: dict[Path, int], files: set[Path]) -> None:
    # The client stopped long before 2 GB: the server closed the connection after its 413.
    assert body.sent < 256 * 1024**2
    for path, free in before.items():
        # Other programs write too; a stored body would take gigabytes.
        assert body.lowest_free[path] > free - 256 * 1024**2, path
    assert not upload_files() - files


@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_a_declared_2_gb_body_is_refused_unread(web_server):
    files = upload_files()
    body = Zeros(CLAIMED)
    before = dict(body.lowest_free)

    response = post(web_server, body, {"Content-Length": str(CLAIMED)})

    assert response.status_code == 413
    assert "larger than the limit" in response.json()["error"]["message"]
    assert_nothing_landed(body, before, files)


@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_a_chunked_2_gb_body_is_cut_off_at_the_limit(web_server):
    files = upload_files()
    body = Zeros(CLAIMED)
    before = dict(body.lowest_free)

    response = post(web_server, body, {})

    assert response.status_code == 413
    assert "larger than the limit" in response.json()["error"]["message"]
    assert_nothing_landed(body, before, files)
