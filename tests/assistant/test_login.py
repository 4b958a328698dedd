from __future__ import annotations

from tests.conftest import PASSWORD


def test_the_login_page_renders(client, db):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert b'name="password"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_alice_can_sign_in_and_reach_the_home_page(client, alice):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert response.context["user"] == alice
    # The home page is the chat.
    assert b'id="question"' in response.content


def test_a_wrong_password_is_refused_with_a_message(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})

    assert response.status_code == 200
    assert b"didn't match" in response.content
    assert not response.context["user"].is_authenticated


def test_the_home_page_requires_sign_in(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
