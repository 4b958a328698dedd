"""Reads for the browser chat: a person's conversations and their messages, ready to show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.safestring import SafeString

from assistant.chat.markdown import render_markdown
from assistant.models import Conversation, Feedback, Message
from assistant.readable import ReadableAnswer, answers_for_reader

NOT_FOUND = "No such conversation."


def conversations_of(user: Any) -> QuerySet[Conversation]:
    """The conversations `user` owns, most recent first."""
    return Conversation.objects.filter(owner_id=user.pk).order_by("-updated_at", "-id")


def conversation_for(user: Any, conversation_id: int) -> Conversation:
    """The conversation if `user` owns it; Http404 alike for missing and someone else's."""
    conversation = conversations_of(user).filter(pk=conversation_id).first()
    if conversation is None:
        raise Http404(NOT_FOUND)
    return conversation


def answer_for(user: Any, message_id: int) -> Message:
    """An assistant message in one of `user`'s conversations; Http404 otherwise."""
    message = (
        Message.objects.filter(
            pk=message_id, role=Message.Role.ASSISTANT, conversation__owner_id=user.pk
        )
        .select_related("conversation")
        .first()
    )
    if message is None:
        raise Http404("No such answer.")
    return message


def last_question(conversation: Conversation) -> str:
    """The most recent question of a conversation; Http404 when it has none."""
    message = (
        conversation.messages.filter(role=Message.Role.USER).order_by("-created_at", "-id").first()
    )
    if message is None:
        raise Http404("This conversation has no question to ask again.")
    return message.content


@dataclass(frozen=True)
class ShownSource:
    """A citation under an answer, with the link to its access-checked source view.

    A source the reader can no longer read shows only "Source no longer available" and no link.
    """

    n: int
    chunk_id: int | None
    title: str
    location: str
    snippet: str
    added: bool
    url: str
    available: bool = True


@dataclass(frozen=True)
class ShownMessage:
    """A message as the chat page shows it."""

    message: Message
    # The text the reader may see now (the stored one, or a notice when it was withheld).
    content: str
    html: SafeString
    sources: list[ShownSource]
    rating: int | None
    comment: str

    @property
    def anchor(self) -> str:
        """Prefix of the element ids of this message's sources."""
        return f"m{self.message.pk}"


def shown_message(
    message: Message, readable: ReadableAnswer, *, rating: int | None = None, comment: str = ""
) -> ShownMessage:
    """One message rendered for the page from what its reader may see now (`readable`)."""
    anchor = f"m{message.pk}"
    citations = readable.citations
    if message.role == Message.Role.ASSISTANT:
        html = render_markdown(readable.content, citations=citations, anchor=anchor)
    else:
        # Questions are shown as written; the template escapes them.
        html = SafeString("")
    sources = [
        ShownSource(
            n=int(c["n"]),
            chunk_id=int(c["chunk_id"]) if c.get("available") else None,
            title=str(c.get("title", "")),
            location=str(c.get("location", "")),
            snippet=str(c.get("snippet", "")),
            added=bool(c.get("added", False)),
            url=reverse("source", args=[int(c["chunk_id"])]) if c.get("available") else "",
            available=bool(c.get("available")),
        )
        for c in citations
    ]
    return ShownMessage(
        message=message,
        content=readable.content,
        html=html,
        sources=sources,
        rating=rating,
        comment=comment,
    )


def message_for_reader(message: Message, user: Any) -> ShownMessage:
    """One message as `user` may see it now."""
    return shown_message(message, answers_for_reader(user, [message])[message.pk])


def conversation_messages(conversation: Conversation, user: Any) -> list[ShownMessage]:
    """Every message of a conversation, oldest first, as `user` may see it now, with feedback."""
    messages = list(conversation.messages.order_by("created_at", "id"))
    readable = answers_for_reader(user, messages)
    feedback = {
        f.message_id: f
        for f in Feedback.objects.filter(user_id=user.pk, message__conversation=conversation)
    }
    return [
        shown_message(
            m,
            readable[m.pk],
            rating=feedback[m.pk].rating if m.pk in feedback else None,
            comment=feedback[m.pk].comment if m.pk in feedback else "",
        )
        for m in messages
    ]
