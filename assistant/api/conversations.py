"""The token user's own conversations and their history (/api/conversations).

Stored answers are shown as their reader may see them now (assistant.readable): a citation of a
document the reader can no longer read says "Source no longer available", and an answer drawn from
such a document is withheld.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from assistant.api.auth import chat_auth, token_user
from assistant.chat.selectors import conversation_for, conversations_of
from assistant.models import Conversation
from assistant.readable import answers_for_reader

router = Router(auth=chat_auth, tags=["Conversations"])

MAX_LIMIT = 100


class ConversationOut(Schema):
    id: int
    title: str
    surface: str
    created_at: datetime
    updated_at: datetime


class ConversationListOut(Schema):
    data: list[ConversationOut]
    total: int


class HistoryCitationOut(Schema):
    n: int | None
    chunk_id: int | None
    document_id: int | None
    title: str
    location: str
    snippet: str
    available: bool = Field(
        ...,
        description="False when you can no longer read the document (deleted or access removed).",
    )


class HistoryMessageOut(Schema):
    id: int
    role: str
    content: str
    status: str
    created_at: datetime
    citations: list[HistoryCitationOut]
    withheld: bool = Field(
        ...,
        description="True when the answer drew on a document you can no longer read, so its text "
        "is replaced by a notice.",
    )


class ConversationDetailOut(ConversationOut):
    messages: list[HistoryMessageOut]


def _conversation_out(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "title": conversation.title,
        "surface": conversation.surface,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
    }


@router.get("", response=ConversationListOut)
def conversations_list(
    request: HttpRequest, limit: int = Query(20, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0)
) -> dict[str, Any]:
    """Your conversations, most recent first."""
    rows = conversations_of(token_user(request))
    return {
        "data": [_conversation_out(c) for c in rows[offset : offset + limit]],
        "total": rows.count(),
    }


@router.get("/{int:conversation_id}", response=ConversationDetailOut)
def conversations_retrieve(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    """One of your conversations with its messages, as you may see them now; 404 otherwise."""
    user = token_user(request)
    conversation = conversation_for(user, conversation_id)
    messages = list(conversation.messages.order_by("created_at", "id"))
    readable = answers_for_reader(user, messages)
    return {
        **_conversation_out(conversation),
        "messages": [
            {
                "id": m.pk,
                "role": m.role,
                "content": readable[m.pk].content,
                "status": m.status,
                "created_at": m.created_at,
                "citations": readable[m.pk].citations,
                "withheld": readable[m.pk].withheld,
            }
            for m in messages
        ],
    }
