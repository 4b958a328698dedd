"""The browser chat: conversations, streamed answers, feedback and the source view."""

from __future__ import annotations

from functools import partial

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from assistant.chat.forms import AskForm, FeedbackForm
from assistant.chat.selectors import (
    answer_for,
    conversation_for,
    conversation_messages,
    conversations_of,
)
from assistant.chat.services import (
    answer_events,
    conversation_open,
    conversation_retry,
    feedback_give,
)
from assistant.chat.streaming import sse_response
from assistant.inflight import TooManyAnswers, answer_slot
from assistant.pipeline import MAX_QUESTION_CHARS
from retrieval.access import chunk_visible_to

# How many conversations the side list shows.
RECENT_CONVERSATIONS = 50


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The chat page with a new, empty conversation."""
    return render(
        request,
        "chat/page.html",
        {
            "conversations": conversations_of(request.user)[:RECENT_CONVERSATIONS],
            "current": None,
            "max_question_chars": MAX_QUESTION_CHARS,
        },
    )


@require_GET
@login_required
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One of the signed-in person's conversations with its history."""
    current = conversation_for(request.user, conversation_id)
    return render(
        request,
        "chat/page.html",
        {
            "conversations": conversations_of(request.user)[:RECENT_CONVERSATIONS],
            "current": current,
            "shown": conversation_messages(current, request.user),
            "max_question_chars": MAX_QUESTION_CHARS,
        },
    )


@require_POST
@login_required
async def ask(request: HttpRequest) -> HttpResponseBase:
    """Answer a question as server-sent events (meta, delta, replace, sources, done)."""
    form = AskForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    user = await request.auser()
    question = form.cleaned_data["question"]
    try:
        slot = await sync_to_async(answer_slot, thread_sensitive=False)(user)
    except TooManyAnswers as exc:
        return _busy(exc)
    try:
        current = await sync_to_async(conversation_open)(
            user=user, conversation_id=form.cleaned_data["conversation"], question=question
        )
    except BaseException:
        slot.release()
        raise
    return sse_response(
        partial(slot.holding, answer_events, user=user, conversation=current, question=question)
    )


@require_POST
@login_required
async def regenerate(request: HttpRequest, conversation_id: int) -> HttpResponseBase:
    """Ask the conversation's last question again, streamed like `ask`."""
    user = await request.auser()
    current, question = await sync_to_async(conversation_retry)(
        user=user, conversation_id=conversation_id
    )
    try:
        slot = await sync_to_async(answer_slot, thread_sensitive=False)(user)
    except TooManyAnswers as exc:
        return _busy(exc)
    return sse_response(
        partial(
            slot.holding,
            answer_events,
            user=user,
            conversation=current,
            question=question,
            regenerate=True,
        )
    )


def _busy(refusal: TooManyAnswers) -> HttpResponseBase:
    # An "error" event: the page shows its message where the answer would have appeared.
    return sse_response(lambda: iter([{"type": "error", "message": str(refusal)}]))


@require_POST
@login_required
def feedback(request: HttpRequest, message_id: int) -> JsonResponse:
    """Rate one of your own answers up or down, with an optional comment."""
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    message = answer_for(request.user, message_id)
    given = feedback_give(
        user=request.user,
        message=message,
        rating=form.cleaned_data["rating"],
        comment=form.cleaned_data["comment"],
    )
    return JsonResponse({"rating": given.rating, "comment": given.comment})


@require_GET
@login_required
def source(request: HttpRequest, chunk_id: int) -> HttpResponse:
    """A cited passage, for those who may read it; 404 alike for missing and forbidden."""
    chunk = chunk_visible_to(request.user, chunk_id)
    return render(request, "chat/source.html", {"chunk": chunk, "document": chunk.document})
