"""The embedded PostgreSQL runs with a buffer cache sized to the machine, not the 128 MB default."""

from __future__ import annotations

import pytest
from django.db import connection

from assistant import embedded

pytestmark = pytest.mark.django_db


def test_the_embedded_server_runs_with_a_quarter_of_memory_between_128_mb_and_4_gb():
    wanted = embedded.shared_buffers_mb()
    assert 128 <= wanted <= 4096
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'"
        )
        assert cursor.fetchone()[0] == wanted
