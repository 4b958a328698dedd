"""A fake Slack Web API on loopback, signed requests, and documents for the Slack tests.

The worker and web processes read SLACK_* from their environment when they start, and they may be
started by any test of the run; so the values are fixed here, at import (collection) time, for the
whole run, and the fake Slack server listens on a port chosen once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.conftest import free_port
from tests.doubles import EchoModel  # noqa: F401 - used by the Slack tests

SIGNING_SECRET = os.environ.setdefault("SLACK_SIGNING_SECRET", "test-signing-secret-5c1e9a")
os.environ.setdefault("SLACK_BOT_TOKEN", "xoxb-test-token")
os.environ.setdefault("SLACK_API_BASE_URL", f"http://127.0.0.1:{free_port()}/api/")
os.environ.setdefault("SLACK_ENABLED", "1")
os.environ.setdefault("SLACK_CHANNEL_SCOPE", "org_wide")
os.environ.setdefault("PUBLIC_BASE_URL", "https://assistant.example.com")
SLACK_API_BASE_URL = os.environ["SLACK_API_BASE_URL"]
PUBLIC_BASE_URL = os.environ["PUBLIC_BASE_URL"]
SLACK_PORT = int(SLACK_API_BASE_URL.split(":")[2].split("/")[0])
SLACK_ROOT = SLACK_API_BASE_URL.rsplit("/api/", 1)[0]

TEAM = "T0TEST"
BOT_USER = "U0BOT"


@pytest.fixture(autouse=True)
def slack_settings(settings: Any) -> None:
    """The same Slack settings in this process as in the worker and web processes."""
    settings.SLACK_ENABLED = True
    settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
    settings.SLACK_BOT_TOKEN = os.environ["SLACK_BOT_TOKEN"]
    settings.SLACK_API_BASE_URL = SLACK_API_BASE_URL
    settings.SLACK_CHANNEL_SCOPE = os.environ["SLACK_CHANNEL_SCOPE"]
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL


# --- The fake Slack Web API ------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request the bot made to Slack."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def method(self) -> str:
        """The Web API method (chat.postMessage) or `response_url` for a response URL."""
        return self.path.rsplit("/", 1)[-1] if self.path.startswith("/api/") else "response_url"

    def everything(self) -> str:
        """All the text of the call, for leak checks."""
        return json.dumps(self.body, ensure_ascii=False)


# The bot's scopes when the app is installed as the README says.
ALL_SCOPES = frozenset(
    {"app_mentions:read", "chat:write", "commands", "im:history", "users:read",
     "users:read.email", "team:read"}
)  # fmt: skip

# Web API methods that read, and the scope each needs.
LOOKUPS = {"users.info": "users:read", "team.info": "team:read"}


@dataclass
class FakeSlack:
    """Records chat.postMessage, chat.postEphemeral and response_url posts; answers like Slack.

    Lookups (users.info, team.info) are answered from `users` and `teams` as the bot's `scopes`
    allow, and recorded apart in `lookups`, so the posts a test counts are only posts.
    """

    calls: list[Call] = field(default_factory=list)
    # Web API methods that answer `{"ok": false}` this many more times (to test retries).
    failures: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ts: Iterator[int] = field(default_factory=lambda: count(1))
    # users.info's table: Slack user id -> the user object Slack would return.
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # team.info's table: workspace id -> name.
    teams: dict[str, str] = field(default_factory=lambda: {TEAM: "Example Corp"})
    scopes: set[str] = field(default_factory=lambda: set(ALL_SCOPES))
    lookups: list[Call] = field(default_factory=list)

    def add_user(
        self,
        user_id: str,
        *,
        email: str = "",
        display_name: str = "",
        team: str = TEAM,
        is_bot: bool = False,
        deleted: bool = False,
        guest: bool = False,
        **fields: Any,
    ) -> None:
        """Let users.info know a Slack user (and forget what the product cached about them)."""
        from assistant.slack.profiles import slack_profile_forget

        profile = {"display_name": display_name, "real_name": display_name, "team": team}
        if email:
            profile["email"] = email
        with self.lock:
            self.users[user_id] = {
                "id": user_id,
                "team_id": team,
                "name": display_name.lower().replace(" ", ".") or user_id.lower(),
                "deleted": deleted,
                "is_bot": is_bot,
                "is_restricted": guest,
                "is_ultra_restricted": False,
                "is_email_confirmed": bool(email),
                "profile": profile,
                **fields,
            }
        slack_profile_forget(team_id=team, slack_user_id=user_id)
        if team != TEAM:
            slack_profile_forget(team_id=TEAM, slack_user_id=user_id)

    def lookup(self, call: Call) -> dict[str, Any]:
        """Answer users.info or team.info as Slack would with the current scopes."""
        with self.lock:
            self.lookups.append(call)
            scopes = set(self.scopes)
            if call.method == "users.info":
                user = self.users.get(str(call.body.get("user")))
                user = json.loads(json.dumps(user)) if user else None
            team = self.teams.get(str(call.body.get("team") or TEAM))
        needed = LOOKUPS.get(call.method)
        if needed is None:
            return {"ok": False, "error": "unknown_method"}
        if needed not in scopes:
            provided = ",".join(sorted(scopes))
            return {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided}
        if call.method == "team.info":
            if team is None:
                return {"ok": False, "error": "team_not_found"}
            return {"ok": True, "team": {"id": call.body.get("team") or TEAM, "name": team}}
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        if "users:read.email" not in scopes:
            user["profile"].pop("email", None)
        return {"ok": True, "user": user}

    def looked_up(self, method: str, **match: Any) -> list[Call]:
        """Lookups so far, of one method and with these parameters."""
        with self.lock:
            calls = list(self.lookups)
        return [
            c
            for c in calls
            if c.method == method and all(c.body.get(k) == v for k, v in match.items())
        ]

    def record(self, call: Call) -> dict[str, Any]:
        with self.lock:
            self.calls.append(call)
            if self.failures.get(call.method, 0) > 0:
                self.failures[call.method] -= 1
                return {"ok": False, "error": "internal_error"}
            ts = f"{int(time.time())}.{next(self.ts):06d}"
        if call.method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        return {"ok": True, "channel": call.body.get("channel"), "ts": ts}

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()
            self.failures.clear()
            self.users.clear()
            self.teams = {TEAM: "Example Corp"}
            self.scopes = set(ALL_SCOPES)
            self.lookups.clear()

    def posted(self, method: str | None = None, **match: Any) -> list[Call]:
        """Calls so far, of one method and with these body fields."""
        with self.lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if (method is None or c.method == method)
            and all(c.body.get(k) == v for k, v in match.items())
        ]

    def wait_for(
        self, method: str | None = None, *, n: int = 1, timeout: float = 60, **match: Any
    ) -> list[Call]:
        """Wait until at least `n` matching calls arrived; returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.posted(method, **match)
            if len(calls) >= n:
                return calls
            time.sleep(0.1)
        raise AssertionError(
            f"{n} × {method} {match} not posted within {timeout} s; got {self.posted()}"
        )


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # Slack takes a method's arguments as a form or in the query string alike.
            url = urlsplit(self.path)
            reply = fake.lookup(Call(url.path, dict(parse_qsl(url.query)), dict(self.headers)))
            self._send(json.dumps(reply).encode())

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                body = json.loads(raw or "{}")
            else:
                body = dict(parse_qsl(raw))
            call = Call(self.path, body, dict(self.headers.items()))
            if call.method in LOOKUPS:
                self._send(json.dumps(fake.lookup(call)).encode())
                return
            reply = fake.record(call)
            data = json.dumps(reply).encode() if self.path.startswith("/api/") else b"ok"
            self._send(data)

        def _send(self, data: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    """The fake Slack API on the port every process of the run was told about."""
    fake = FakeSlack()
    server = ThreadingHTTPServer(("127.0.0.1", SLACK_PORT), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def slack_api(fake_slack_server: FakeSlack) -> FakeSlack:
    """The fake Slack API, with nothing recorded yet (and no workspace name cached)."""
    from assistant.slack.profiles import slack_team_forget

    fake_slack_server.clear()
    slack_team_forget(team_id=TEAM)
    return fake_slack_server


# --- Signed requests -------------------------------------------------------------------------


def signature(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature of a body."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, *, timestamp: int | None = None, **extra: str) -> dict[str, str]:
    """Headers Slack would send with `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature(body, timestamp),
        **extra,
    }


_ids = count(1)


def unique(prefix: str) -> str:
    """An id no other test of this run uses."""
    return f"{prefix}{os.getpid()}X{next(_ids)}"


def event_body(
    *,
    user: str,
    text: str,
    kind: str = "app_mention",
    channel: str = "C0GENERAL",
    event_id: str | None = None,
    ts: str | None = None,
    thread_ts: str | None = None,
    team: str = TEAM,
    **event_fields: Any,
) -> bytes:
    """An Events API callback as Slack serialises it."""
    event: dict[str, Any] = {
        "type": "app_mention" if kind == "app_mention" else "message",
        "user": user,
        "text": f"<@{BOT_USER}> {text}" if kind == "app_mention" else text,
        "ts": ts or f"{int(time.time())}.{next(_ids):06d}",
        "channel": channel,
        **event_fields,
    }
    if kind == "im":
        event["channel_type"] = "im"
    if thread_ts:
        event["thread_ts"] = thread_ts
    payload = {
        "token": "unused-verification-token",
        "team_id": team,
        "api_app_id": "A0TEST",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or unique("Ev"),
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": BOT_USER, "is_bot": True}],
    }
    # Slack's own compact form; the signature covers exactly these bytes.
    return json.dumps(payload, separators=(",", ":")).encode()


def command_body(*, user: str, text: str, team: str = TEAM, channel: str = "C0GENERAL") -> bytes:
    """A slash command as Slack posts it (form-encoded)."""
    return urlencode(
        {
            "command": "/ask",
            "text": text,
            "team_id": team,
            "user_id": user,
            "channel_id": channel,
            "response_url": f"{SLACK_ROOT}/response/{unique('R')}",
            "trigger_id": unique("trigger."),
        }
    ).encode()


def post_event(client: Any, body: bytes, **headers: str) -> Any:
    """Post a signed event to the Django test client."""
    return client.post(
        "/slack/events",
        data=body,
        content_type="application/json",
        headers=headers or signed_headers(body),
    )


def post_command(client: Any, body: bytes, **headers: str) -> Any:
    """Post a signed slash command to the Django test client."""
    return client.post(
        "/slack/commands",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers=headers or signed_headers(body),
    )


# --- People and documents --------------------------------------------------------------------


@pytest.fixture
def link() -> Callable[..., Any]:
    """Link a Slack user id to a product account."""

    def make(user: Any, slack_user_id: str, team: str = TEAM) -> Any:
        from assistant.slack.models import SlackLink

        return SlackLink.objects.create(team_id=team, slack_user_id=slack_user_id, user=user)

    return make


class NoModel:
    """A model that must never be asked: for people who get link instructions."""

    def stream_chat(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        raise AssertionError("a person matched to no account must not reach the model")

    def context_length(self) -> int:
        return 4096


HR_CANARY = "CANARY-HR-7F3K9Q"


@pytest.fixture
def library(groups: dict[str, Any]) -> dict[str, Any]:
    """An org-wide handbook and an HR-only salary document (holding a canary), ingested here."""
    from django.core.files.base import ContentFile

    from retrieval.ingestion import document_ingest
    from retrieval.services import document_create

    def ingest(name: str, text: str, **access: Any) -> Any:
        document = document_create(
            file=ContentFile(text.encode(), name=name), enqueue=False, **access
        )
        document_ingest(document_id=document.pk)
        document.refresh_from_db()
        assert document.status == "ready", document.error
        return document

    return {
        "org": ingest(
            "expenses.md",
            "# Travel expenses\n\n## Hotels\n\nEmployees book hotels through the travel desk. "
            "The nightly hotel limit is 180 euros in every city.",
            org_wide=True,
            title="Travel expenses policy",
        ),
        "hr": ingest(
            "salary-bands.md",
            "# Salary bands\n\n## Review\n\nThe salary bands are reviewed each March by HR. "
            f"The hotel allowance for HR auditors is 240 euros per night. Code {HR_CANARY}.",
            groups=[groups["HR"]],
            title="HR salary bands",
        ),
    }


@pytest.fixture
def answer_here(client: Any, slack_api: FakeSlack) -> Callable[..., Any]:
    """Post a signed event or command, then answer it in this process as the worker would."""
    from datetime import timedelta

    from assistant.slack.answering import event_answer, event_claim
    from assistant.slack.models import SlackEvent

    def run(body: bytes, *, chat_model: Any, command: bool = False) -> Any:
        before = set(SlackEvent.objects.values_list("pk", flat=True))
        response = (post_command if command else post_event)(client, body)
        assert response.status_code == 200
        (event_id,) = set(SlackEvent.objects.values_list("pk", flat=True)) - before
        event = event_claim(event_id=event_id, hold=timedelta(minutes=1))
        event_answer(event=event, chat_model=chat_model)
        event.refresh_from_db()
        return event

    return run
