"""Reads of the Slack surface: which account a Slack user asks as."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.functions import Lower

from assistant.slack.models import LinkRequest, SlackLink
from assistant.slack.profiles import (
    SlackProfile,
    slack_profile,
    slack_profiles_cached,
    slack_team_name,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackAsker:
    """The account a Slack user asks as, and how it was found."""

    user: User
    via: Literal["email", "link"]


def slack_link_for(*, team_id: str, slack_user_id: str) -> SlackLink | None:
    """The active account a Slack user is linked to with `/ask link`, if any."""
    return (
        SlackLink.objects.select_related("user")
        .filter(team_id=team_id, slack_user_id=slack_user_id, user__is_active=True)
        .first()
    )


def account_for_email(email: str) -> User | None:
    """The one active account with this email (any case); None for none, or for more than one."""
    if not email:
        return None
    accounts = list(
        get_user_model().objects.filter(is_active=True, email__iexact=email).order_by("pk")[:2]
    )
    if len(accounts) > 1:
        # Either could be the asker: answering as one of them could show the other's documents.
        logger.warning(
            "a Slack email matches several active accounts (%s, ...); none of them is matched "
            "by email until only one has it",
            ", ".join(a.get_username() for a in accounts),
        )
        return None
    return accounts[0] if accounts else None


def slack_email_account_for(*, team_id: str, slack_user_id: str) -> User | None:
    """The active account whose email is the Slack user's verified email, if exactly one."""
    if not getattr(settings, "SLACK_MATCH_BY_EMAIL", True):
        return None
    profile = slack_profile(team_id=team_id, slack_user_id=slack_user_id)
    if profile is None:
        return None
    return account_for_email(profile.email_to_match(team_id=team_id))


def slack_asker_for(*, team_id: str, slack_user_id: str) -> SlackAsker | None:
    """The active account a Slack user asks as: by email first, else through their link."""
    # Slack's answer about the person may come from the cache; the account never does, so an
    # account deactivated a moment ago is not matched.
    user = slack_email_account_for(team_id=team_id, slack_user_id=slack_user_id)
    if user is not None:
        return SlackAsker(user=user, via="email")
    link = slack_link_for(team_id=team_id, slack_user_id=slack_user_id)
    if link is not None:
        return SlackAsker(user=link.user, via="link")
    return None


@dataclass(frozen=True)
class LinkMatch:
    """A link on the staff page, and how its Slack user is matched now, as far as is known."""

    link: SlackLink
    # "email", "link", or "" when Slack was not asked about the user lately.
    via: str
    # Who the user asks as when matched by email (another account shadows the link).
    by_email: User | None = None


def slack_links_matched(links: list[SlackLink]) -> list[LinkMatch]:
    """How each linked Slack user is matched, from cached Slack profiles only (never calls Slack)."""
    profiles = slack_profiles_cached([(k.team_id, k.slack_user_id) for k in links])
    emails = {
        key: profile.email_to_match(team_id=key[0]).lower() for key, profile in profiles.items()
    }
    accounts: dict[str, list[User]] = {}
    if getattr(settings, "SLACK_MATCH_BY_EMAIL", True):
        for account in (
            get_user_model()
            .objects.annotate(email_lower=Lower("email"))
            .filter(is_active=True, email_lower__in={e for e in emails.values() if e})
        ):
            accounts.setdefault(account.email_lower, []).append(account)
    matched = []
    for link in links:
        key = (link.team_id, link.slack_user_id)
        if key not in profiles:
            matched.append(LinkMatch(link=link, via=""))
            continue
        found = accounts.get(emails[key], [])
        if len(found) == 1:
            matched.append(LinkMatch(link=link, via="email", by_email=found[0]))
        else:
            matched.append(LinkMatch(link=link, via="link"))
    return matched


@dataclass(frozen=True)
class LinkShown:
    """Whose Slack account a link request would link, as Slack says, for the confirm page."""

    profile: SlackProfile | None
    team_name: str
    # The Slack email is known and is not the signed-in account's: perhaps a forwarded link.
    email_differs: bool


def link_request_shown(*, pending: LinkRequest, user: User) -> LinkShown:
    """What the confirm page shows about the Slack user who asked for the link."""
    profile = slack_profile(team_id=pending.team_id, slack_user_id=pending.slack_user_id)
    email = profile.email.strip().lower() if profile else ""
    return LinkShown(
        profile=profile,
        team_name=slack_team_name(team_id=pending.team_id),
        email_differs=bool(email) and email != user.email.strip().lower(),
    )
