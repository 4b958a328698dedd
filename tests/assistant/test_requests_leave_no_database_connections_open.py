"""Under ASGI each request's sync code runs on a thread of its own: its connection must close."""

from __future__ import annotations

import httpx
import pytest
from django.contrib.auth.models import User
from django.db import connection


def _open_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_forty_page_views_leave_no_connections_behind(web_server):
    User.objects.create_user(username="reader", password="a-long-password-1")
    with httpx.Client(base_url=web_server, follow_redirects=True, timeout=30) as client:
        client.get("/accounts/login/")
        signed_in = client.post(
            "/accounts/login/",
            data={
                "username": "reader",
                "password": "a-long-password-1",
                "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
            },
        )
        assert signed_in.url.path == "/"
        before = _open_connections()
        statuses = [client.get("/").status_code for _ in range(40)]
        after = _open_connections()
    assert statuses == [200] * 40
    # With persistent connections (CONN_MAX_AGE > 0) each page view left an idle connection
    # behind, until PostgreSQL refused new clients.
    assert after - before <= 2, f"{after - before} connections left open by 40 page views"
