from __future__ import annotations

import json

import pytest

from tests.slack.conftest import post_event

pytestmark = pytest.mark.django_db


def test_url_verification_echoes_the_challenge(client):
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY"})
    response = post_event(client, body.encode())
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY"}
