"""Writes of the browser chat: starting or continuing a conversation, answering, feedback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse

from assistant import pipeline
from assistant.chat.selectors import conversation_for, last_question, message_for_reader
from assistant.models import Conversation, Feedback, Message, Surface


def conversation_open(*, user: Any, conversation_id: int | None, question: str) -> Conversation:
    """The conversation to ask in: `user`'s own one when an id is given, else a new one."""
    if conversation_id is None:
        return pipeline.conversation_start(user=user, question=question, surface=Surface.WEB)
    return conversation_for(user, conversation_id)


def conversation_retry(*, user: Any, conversation_id: int) -> tuple[Conversation, str]:
    """`user`'s conversation and its last question, to be answered again."""
    conversation = conversation_for(user, conversation_id)
    return conversation, last_question(conversation)


def answer_events(
    *, user: Any, conversation: Conversation, question: str, regenerate: bool = False
) -> Iterator[dict[str, Any]]:
    """The pipeline's events for the browser; the last one carries the answer rendered as HTML.

    The page replaces the streamed plain text with that HTML, so Markdown, citation chips, sources
    and feedback buttons come from the same template as a reloaded page.
    """
    events = pipeline.answer_stream(
        user=user,
        conversation=conversation,
        question=question,
        surface=Surface.WEB,
        regenerate=regenerate,
    )
    try:
        for event in events:
            data = event.to_dict()
            if event.type == "meta":
                data["title"] = conversation.title
                data["conversation_url"] = reverse("conversation", args=[conversation.pk])
                data["regenerate_url"] = reverse("regenerate", args=[conversation.pk])
            elif event.type == "done":
                message = Message.objects.get(pk=data["message_id"])
                data["html"] = render_to_string(
                    "chat/_message.html", {"m": message_for_reader(message, user), "last": True}
                )
            yield data
    finally:
        # Closing this generator (the reader went away) must reach the pipeline's, which saves
        # what was written so far as a stopped answer and closes the model's stream.
        events.close()


def feedback_give(*, user: Any, message: Message, rating: int, comment: str = "") -> Feedback:
    """Record `user`'s rating of an answer, replacing an earlier one."""
    if rating not in (1, -1):
        raise ValueError("rating must be 1 or -1")
    feedback, _ = Feedback.objects.update_or_create(
        message=message, user=user, defaults={"rating": rating, "comment": comment.strip()}
    )
    return feedback
