"""Who a Slack user is, as Slack says (users.info, team.info), cached briefly.

Matching a Slack user to an account by email needs the bot scopes `users:read` and
`users:read.email`; the workspace's name on the link page needs `team:read`. Without them every
lookup fails or comes back without an email, and people link with `/ask link` instead.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)

# How long Slack's answer about a user (or a workspace) is kept: each question must not call
# Slack, and a changed Slack email takes effect after this. Which account an email belongs to,
# and whether it is active, is read from the database on every question.
PROFILE_TTL = 300
# Lookups run inside Slack's own 3-second deadline for slash commands: a slow Slack must not make
# the command time out, so one short try and no retries.
LOOKUP_TIMEOUT = 2
# Slackbot is a Slack user that is not marked as a bot.
SLACKBOT = "USLACKBOT"

# Slack errors that say nothing lasting about the user: the next question asks again.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "request_timeout", "service_unavailable"}
)
# Error kinds already logged by this process: a missing scope would otherwise be logged on every
# question.
_reported: set[str] = set()


@dataclass(frozen=True)
class SlackProfile:
    """A Slack user as users.info describes them."""

    user_id: str
    # The workspace the user belongs to (another one for people in a shared channel).
    team_id: str
    display_name: str
    # Empty when Slack gave none: no users:read.email scope, or no email on the profile.
    email: str
    is_bot: bool
    deleted: bool
    # Multi-channel (is_restricted) and single-channel (is_ultra_restricted) guests.
    is_guest: bool
    # False only when Slack says the address was never confirmed; None when it does not say.
    email_confirmed: bool | None

    def email_to_match(self, *, team_id: str) -> str:
        """The email to find this person's account by, or "" when they must not be matched by it.

        Bots, deleted users, people of another workspace and guests are never matched by email:
        a guest's address is whatever whoever invited them typed, so guests link with `/ask link`,
        which proves they can sign in to the account.
        """
        if self.is_bot or self.deleted or self.is_guest or self.user_id == SLACKBOT:
            return ""
        if self.team_id != team_id or self.email_confirmed is False:
            return ""
        return self.email.strip()


def _report_once(kind: str, message: str, *args: Any, exc_info: bool = False) -> None:
    if kind in _reported:
        return
    _reported.add(kind)
    logger.warning(message, *args, exc_info=exc_info)


def _lookup_client() -> WebClient:
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_BASE_URL,
        timeout=LOOKUP_TIMEOUT,
        retry_handlers=[],
    )


def _profile_key(team_id: str, slack_user_id: str) -> str:
    return f"slack:profile:{team_id}:{slack_user_id}"


def _profile_from(user: dict[str, Any]) -> SlackProfile:
    profile = user.get("profile") or {}
    confirmed = user.get("is_email_confirmed")
    return SlackProfile(
        user_id=str(user.get("id") or ""),
        team_id=str(user.get("team_id") or profile.get("team") or ""),
        display_name=str(
            profile.get("display_name") or profile.get("real_name") or user.get("name") or ""
        ),
        email=str(profile.get("email") or ""),
        is_bot=bool(user.get("is_bot")),
        deleted=bool(user.get("deleted")),
        is_guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
        email_confirmed=None if confirmed is None else bool(confirmed),
    )


def _fetch_profile(team_id: str, slack_user_id: str) -> tuple[SlackProfile | None, bool]:
    """(the profile or None, whether that answer may be cached)."""
    try:
        response = _lookup_client().users_info(user=slack_user_id)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown")
        if error == "missing_scope":
            _report_once(
                "users.info:missing_scope",
                "Slack refused users.info (missing_scope; it needs %s): Slack users are not "
                "matched by email, only through /ask link. Grant the bot users:read and "
                "users:read.email to match them by email.",
                exc.response.get("needed") or "users:read",
            )
        else:
            _report_once(
                f"users.info:{error}",
                "Slack answered %r to users.info (Slack user %s/%s); answering such users only "
                "through /ask link",
                error,
                team_id,
                slack_user_id,
            )
        # A lasting answer (a missing scope, an unknown user) is kept: asking again on every
        # question would change nothing. A passing one (rate limit, outage) is not.
        return None, error not in TRANSIENT_ERRORS
    except Exception:
        # Slack unreachable, slow or answering nonsense: the next question tries again.
        _report_once(
            "users.info:unreachable",
            "could not look up a Slack user with users.info; answering only through /ask link "
            "until it works",
            exc_info=True,
        )
        return None, False
    user = response.get("user")
    if not isinstance(user, dict):
        return None, False
    profile = _profile_from(user)
    if not profile.email and not profile.is_bot:
        _report_once(
            "users.info:no-email",
            "Slack's users.info gives no email for Slack user %s/%s: without the bot scope "
            "users:read.email no one is matched by email, only through /ask link",
            team_id,
            slack_user_id,
        )
    return profile, True


def slack_profile(*, team_id: str, slack_user_id: str) -> SlackProfile | None:
    """What Slack says about a user (cached for PROFILE_TTL); None when Slack would not say."""
    key = _profile_key(team_id, slack_user_id)
    cached = cache.get(key)
    if isinstance(cached, dict):
        return SlackProfile(**cached) if cached.get("user_id") else None
    profile, cacheable = _fetch_profile(team_id, slack_user_id)
    if cacheable:
        # An empty dict records "Slack would not say", so a missing scope costs one call per TTL.
        cache.set(key, asdict(profile) if profile else {}, PROFILE_TTL)
    return profile


def slack_profiles_cached(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], SlackProfile]:
    """The cached profiles of (team id, Slack user id) pairs, without asking Slack."""
    keys = {_profile_key(team_id, user_id): (team_id, user_id) for team_id, user_id in pairs}
    found = cache.get_many(list(keys))
    return {
        keys[key]: SlackProfile(**value)
        for key, value in found.items()
        if isinstance(value, dict) and value.get("user_id")
    }


def slack_profile_forget(*, team_id: str, slack_user_id: str) -> None:
    """Drop what is cached about a Slack user: the next lookup asks Slack again."""
    cache.delete(_profile_key(team_id, slack_user_id))


def _team_key(team_id: str) -> str:
    return f"slack:team:{team_id}"


def slack_team_forget(*, team_id: str) -> None:
    """Drop what is cached about a workspace."""
    cache.delete(_team_key(team_id))


def slack_team_name(*, team_id: str) -> str:
    """The workspace's name (cached for PROFILE_TTL); "" when Slack would not say (team:read)."""
    key = _team_key(team_id)
    cached = cache.get(key)
    if isinstance(cached, str):
        return cached
    try:
        response = _lookup_client().team_info(team=team_id)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown")
        _report_once(
            f"team.info:{error}",
            "Slack answered %r to team.info; the link page shows the workspace id only "
            "(the name needs the bot scope team:read)",
            error,
        )
        cache.set(key, "", PROFILE_TTL)
        return ""
    except Exception:
        _report_once(
            "team.info:unreachable", "could not look up a Slack workspace with team.info",
            exc_info=True,
        )  # fmt: skip
        return ""
    team = response.get("team")
    name = str(team.get("name") or "") if isinstance(team, dict) else ""
    cache.set(key, name, PROFILE_TTL)
    return name
