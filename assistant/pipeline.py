"""The answering pipeline shared by every surface (web, API, Slack, command line).

moderate the question → retrieve what the asker may read → scan passages for injected instructions →
build the prompt → stream generation through the moderation of the output → check citations →
persist the answer with its trace. `answer_stream` yields events as they happen; `answer` collects them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from django.conf import settings

import moderation
from assistant.citations import check_citations, shown_text
from assistant.models import Conversation, Message, ModerationEvent, Surface
from assistant.prompting import (
    QuestionTooLong,
    Turn,
    build_prompt,
    passage_heading,
    standalone_query,
)
from assistant.readable import history_for_reader
from assistant.repetition import LoopDetector, cut_loop

logger = logging.getLogger(__name__)

NOTHING_FOUND = "I found nothing on this in the documents you can access."
REFUSAL = (
    "I can't help with that request: it was blocked by the content policy ({categories}). "
    "If you think this is a mistake, rephrase the question or contact your administrator."
)
OUTPUT_STOPPED = "[The rest of this answer was withheld by the content policy ({categories}).]"
# Appended to a finished answer none of whose sentences a passage supports: the reader should not
# take it for something the documents say.
UNSUPPORTED = (
    "[No passage of the documents you can access supports this answer; "
    "check it before relying on it.]"
)
MODEL_DOWN = "The language model is not reachable right now. Please try again in a minute."
TOO_LONG = "This question is too long for the model. Please shorten it and ask again."
# The longest question any surface takes: the chat form's limit, checked again here for Slack and
# the command line, and by the API as a 400.
MAX_QUESTION_CHARS = 4000


class ChatModel(Protocol):
    def stream_chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = ...,
        temperature: float = ...,
        stop: list[str] | None = ...,
        seed: int | None = ...,
        frequency_penalty: float = ...,
    ) -> Iterator[str]: ...

    def context_length(self) -> int: ...


class Retriever(Protocol):
    def __call__(self, *, user: Any, query: str, k: int) -> list[Any]: ...


@dataclass(frozen=True)
class Options:
    """Tunables of the pipeline (defaults from settings)."""

    k: int = 4
    answer_tokens: int = 320
    temperature: float = 0.0
    # OpenAI's frequency penalty on the answer's own tokens. 0.3 cut the demo model's loops but
    # also its copying from the sources (cited answers 0.87 -> 0.78 on the enterprise set; see
    # docs/BENCHMARKS.md), so answers are not penalised unless an API caller asks.
    frequency_penalty: float = 0.0
    # A passage whose dense similarity is below this is treated as unrelated to the question.
    min_relevance: float = 0.25


@dataclass
class Event:
    """One step of an answer as it is produced, for streaming to a client."""

    type: str  # meta | delta | replace | sources | done
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **self.data}


@cache
def default_chat_model() -> ChatModel:
    """The inference client configured by settings, shared by the process."""
    from inference import InferenceClient

    return InferenceClient(
        settings.INFERENCE_URL,
        api_key=settings.INFERENCE_API_KEY or None,
        model=settings.INFERENCE_MODEL or None,
        timeout=settings.INFERENCE_TIMEOUT,
    )


def default_retriever(*, user: Any, query: str, k: int) -> list[Any]:
    """Access-filtered hybrid search of retrieval."""
    from retrieval.search import search

    return search(user=user, query=query, k=k)


def _record_verdict(
    verdict: moderation.Verdict,
    *,
    user: Any,
    surface: str,
    text: str,
    message: Message | None = None,
) -> None:
    if verdict.action == moderation.Action.ALLOW and not verdict.errors:
        return
    excerpt = verdict.redacted_text if verdict.redacted_text is not None else text
    if verdict.pii and verdict.redacted_text is None:
        excerpt = "[text with personal data withheld]"
    ModerationEvent.objects.create(
        user=user if getattr(user, "pk", None) else None,
        message=message,
        surface=surface,
        stage=str(verdict.stage),
        action=str(verdict.action),
        categories=list(verdict.categories),
        rule=verdict.rule or "",
        verdict=verdict.to_dict(),
        excerpt=excerpt[:300],
    )


def conversation_history(conversation: Conversation, *, user: Any, limit: int = 6) -> list[Turn]:
    """The last turns of a conversation that `user` may still see, oldest first, skipping refusals.

    Turns drawn from documents the asker can no longer read are left out (assistant.readable).
    """
    rows = list(
        conversation.messages.exclude(status=Message.Status.REFUSED).order_by("-created_at", "-id")[
            : limit * 2
        ]
    )
    kept = history_for_reader(user, reversed(rows))[-limit:]
    return [Turn(role=m.role, content=m.content) for m in kept]


def conversation_start(*, user: Any, question: str, surface: str = Surface.WEB) -> Conversation:
    """A new conversation titled after its first question."""
    title = " ".join(question.split())[:80]
    return Conversation.objects.create(owner=user, title=title, surface=surface)


def _ended(message: Message) -> Iterator[Event]:
    """The last events of an answer that ends without sources (a refusal, an error)."""
    yield Event("replace", {"content": message.content})
    yield Event(
        "done",
        {
            "status": message.status,
            "message_id": message.pk,
            "content": message.content,
            "citations": [],
        },
    )


def answer_stream(
    *,
    user: Any,
    conversation: Conversation,
    question: str,
    surface: str = Surface.WEB,
    chat_model: ChatModel | None = None,
    retriever: Retriever | None = None,
    options: Options | None = None,
    regenerate: bool = False,
) -> Generator[Event, None, None]:
    """Answer `question` as `user` in `conversation`, yielding events; the answer is saved at the end.

    Closing the generator early (a client went away, the stop button) saves what was produced so far
    as a stopped answer and closes the stream to the model, which cancels generation. With
    `regenerate`, `question` is the conversation's last question, answered again as if the previous
    answer had not been given (it stays in the conversation's record).
    """
    if conversation.owner_id != user.pk:
        raise PermissionError("conversation belongs to someone else")
    chat_model = chat_model or default_chat_model()
    retriever = retriever or default_retriever
    options = options or Options()
    started = time.monotonic()
    trace: dict[str, Any] = {"surface": surface, "question": question, "timings_ms": {}}
    history = conversation_history(conversation, user=user)
    last_question = (
        conversation.messages.filter(role=Message.Role.USER).order_by("-created_at", "-id").first()
    )
    if regenerate and last_question is not None and last_question.content == question:
        # The turn being replaced must not be history, or the follow-up rewrite would search for
        # the question twice and the model would see its own previous attempt.
        for i in range(len(history) - 1, -1, -1):
            if history[i].role == "user" and history[i].content == question:
                del history[i:]
                break
        question_message = last_question
    else:
        question_message = Message.objects.create(
            conversation=conversation, role=Message.Role.USER, content=question
        )
    Conversation.objects.filter(pk=conversation.pk).update(
        title=conversation.title or question[:80]
    )
    yield Event("meta", {"conversation_id": conversation.pk, "question_id": question_message.pk})

    def finish(
        content: str, status: str, citations: list[dict[str, Any]] | None = None, **extra: Any
    ) -> Message:
        trace["timings_ms"]["total"] = round((time.monotonic() - started) * 1000)
        message = Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            content=content,
            status=status,
            citations=citations or [],
            trace=trace,
            total_ms=trace["timings_ms"]["total"],
            **extra,
        )
        Conversation.objects.filter(pk=conversation.pk).update(
            title=conversation.title or question[:80]
        )
        return message

    # 1. The question.
    if len(question) > MAX_QUESTION_CHARS:
        trace["error"] = (
            f"the question has {len(question)} characters (at most {MAX_QUESTION_CHARS})"
        )
        yield from _ended(finish(TOO_LONG, Message.Status.ERROR))
        return
    verdict = moderation.check(question, stage=moderation.Stage.INPUT)
    trace["moderation"] = {"input": verdict.to_dict()}
    _record_verdict(verdict, user=user, surface=surface, text=question)
    if verdict.blocked:
        text = REFUSAL.format(categories=", ".join(verdict.decisive) or "policy")
        yield from _ended(finish(text, Message.Status.REFUSED))
        return
    search_text = verdict.redacted_text or question

    # 2. Retrieval, with the asker's access applied inside the query.
    query = standalone_query(search_text, history)
    t0 = time.monotonic()
    passages = retriever(user=user, query=query, k=options.k)
    trace["timings_ms"]["retrieval"] = round((time.monotonic() - t0) * 1000)
    trace["query"] = query
    trace["retrieved"] = [
        {
            "chunk_id": p.chunk_id,
            "document_id": p.document_id,
            "score": p.score,
            "dense": p.dense_score,
            "lexical": p.lexical_score,
            "rerank": getattr(p, "rerank_score", None),
            "first_stage_rank": getattr(p, "first_stage_rank", None),
        }
        for p in passages
    ]
    report = getattr(passages, "report", None)
    if report is not None:
        trace["reranker"] = {
            "model": report.reranker,
            "candidates": report.candidates,
            "truncated": report.truncated,
            # The model failed: the passages kept the first stage's order.
            "failed": report.failed,
        }
    relevant = [
        p for p in passages if p.dense_score is None or p.dense_score >= options.min_relevance
    ]

    # 3. Passages carrying instructions for the model are dropped, never obeyed; flagged ones are
    # quoted inert in the prompt. The model reads a passage's title and location too, so they are
    # checked like its text (once per heading: a document's passages share theirs).
    clean = []
    flagged: set[int] = set()
    context_verdicts = []
    context_flagged = []
    heading_verdicts: dict[str, moderation.Verdict] = {}
    for passage in relevant:
        heading = passage_heading(passage)
        if heading not in heading_verdicts:
            heading_verdicts[heading] = moderation.check(heading, stage=moderation.Stage.CONTEXT)
        text_verdict = moderation.check(passage.text, stage=moderation.Stage.CONTEXT)
        # The stricter of the two decides; on a tie, the text's verdict is the one recorded.
        heading_verdict = heading_verdicts[heading]
        if heading_verdict.action.severity > text_verdict.action.severity:
            part, passage_verdict, checked_text = "heading", heading_verdict, heading
        else:
            part, passage_verdict, checked_text = "text", text_verdict, passage.text
        entry = {"chunk_id": passage.chunk_id, "part": part, **passage_verdict.to_dict()}
        if passage_verdict.blocked:
            context_verdicts.append(entry)
            _record_verdict(passage_verdict, user=user, surface=surface, text=checked_text)
            continue
        if passage_verdict.action is moderation.Action.FLAG:
            flagged.add(passage.chunk_id)
            context_flagged.append(entry)
            _record_verdict(passage_verdict, user=user, surface=surface, text=checked_text)
        clean.append(passage)
    trace["moderation"]["context_dropped"] = context_verdicts
    trace["moderation"]["context_flagged"] = context_flagged

    if not clean:
        message = finish(NOTHING_FOUND, Message.Status.NOTHING_FOUND)
        yield Event("replace", {"content": NOTHING_FOUND})
        yield Event(
            "done",
            {
                "status": message.status,
                "message_id": message.pk,
                "content": NOTHING_FOUND,
                "citations": [],
            },
        )
        return

    # 4 + 5 + 6. The prompt, fitted to the model's window, then generation, moderated sentence by
    # sentence before anything reaches the reader.
    shown: list[str] = []
    generated: list[str] = []
    first_token_at: float | None = None
    status = Message.Status.COMPLETE
    stream: Iterator[str] | None = None
    try:
        try:
            prompt = build_prompt(
                question=search_text,
                passages=clean,
                history=history,
                context_tokens=chat_model.context_length(),
                answer_tokens=options.answer_tokens,
                flagged=flagged,
            )
            trace["prompt_passages"] = [p.chunk_id for p in prompt.passages]
            # A sentence quoting a passage the asker may read (it is in the prompt) is judged with
            # it: a safety procedure from the company's handbook is flagged, not blocked.
            guard = moderation.StreamModerator(
                stage=moderation.Stage.OUTPUT,
                passages=[shown_text(p) for p in prompt.passages],
            )
            stream = chat_model.stream_chat(
                prompt.messages,
                max_tokens=options.answer_tokens,
                temperature=options.temperature,
                frequency_penalty=options.frequency_penalty,
            )
            # Reads each piece once: re-checking the whole answer per token was quadratic.
            loops = LoopDetector()
            for delta in stream:
                if first_token_at is None:
                    first_token_at = time.monotonic()
                generated.append(delta)
                safe = guard.feed(delta)
                if safe:
                    shown.append(safe)
                    yield Event("delta", {"text": safe})
                if guard.blocked:
                    break
                if loops.feed(delta) is not None:
                    # The model repeats itself; closing the stream below stops it.
                    trace["stopped"] = "the answer started repeating itself"
                    break
            if not guard.blocked:
                tail = guard.finish()
                if tail:
                    shown.append(tail)
                    yield Event("delta", {"text": tail})
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
    except GeneratorExit:
        trace["stopped"] = "client closed the stream"
        finish("".join(shown), Message.Status.STOPPED, model=getattr(chat_model, "model", "") or "")
        raise
    except Exception as exc:
        logger.exception("generation failed")
        trace["error"] = f"{type(exc).__name__}: {exc}"
        text = TOO_LONG if isinstance(exc, QuestionTooLong) else MODEL_DOWN
        yield from _ended(finish(text, Message.Status.ERROR))
        return

    trace["timings_ms"]["ttft"] = round(((first_token_at or time.monotonic()) - started) * 1000)
    trace["moderation"]["output"] = [
        v.to_dict() for v in guard.verdicts if v.action != moderation.Action.ALLOW
    ]
    text = cut_loop("".join(shown).strip())
    if guard.blocked and guard.block_verdict is not None:
        status = Message.Status.REFUSED if not text else Message.Status.COMPLETE
        notice = OUTPUT_STOPPED.format(
            categories=", ".join(guard.block_verdict.decisive) or "policy"
        )
        text = (
            f"{text}\n\n{notice}"
            if text
            else REFUSAL.format(categories=", ".join(guard.block_verdict.decisive) or "policy")
        )

    # 7. Citations: only to passages this person may see, and only where they support the sentence.
    # The draft is kept in the trace so a citation decision can be audited (and re-checked) later.
    trace["draft"] = text
    checked = check_citations(text, prompt.passages, question=query)
    trace["citations_removed"] = checked.removed
    final = checked.text
    if status == Message.Status.COMPLETE and NOTHING_FOUND.rstrip(".").lower() in final.lower():
        status = Message.Status.NOTHING_FOUND
        final = NOTHING_FOUND
        citations: list[dict[str, Any]] = []
    else:
        citations = [c.to_dict() for c in checked.citations]
        if status == Message.Status.COMPLETE and not citations and not guard.blocked:
            trace["unsupported"] = True
            final = f"{final}\n\n{UNSUPPORTED}"

    # 8. The answer and its trace.
    completion_tokens = sum(1 for _ in generated)
    message = finish(
        final,
        status,
        citations,
        model=getattr(chat_model, "model", "") or "",
        prompt_tokens=prompt.prompt_tokens,
        completion_tokens=completion_tokens,
        ttft_ms=trace["timings_ms"]["ttft"],
    )
    for verdict in guard.verdicts:
        _record_verdict(
            verdict, user=user, surface=surface, text=verdict.redacted_text or "", message=message
        )
    yield Event("replace", {"content": final})
    yield Event("sources", {"citations": citations})
    yield Event(
        "done",
        {"status": status, "message_id": message.pk, "content": final, "citations": citations},
    )


@dataclass(frozen=True)
class Answer:
    """A finished answer."""

    message: Message
    conversation: Conversation

    @property
    def text(self) -> str:
        return self.message.content

    @property
    def citations(self) -> list[dict[str, Any]]:
        return list(self.message.citations)


def answer(
    *,
    user: Any,
    question: str,
    conversation: Conversation | None = None,
    surface: str = Surface.WEB,
    chat_model: ChatModel | None = None,
    retriever: Retriever | None = None,
    options: Options | None = None,
    on_event: Callable[[Event], None] | None = None,
) -> Answer:
    """Answer a question to completion (for the API, Slack and the command line)."""
    conversation = conversation or conversation_start(user=user, question=question, surface=surface)
    message_id = None
    for event in answer_stream(
        user=user,
        conversation=conversation,
        question=question,
        surface=surface,
        chat_model=chat_model,
        retriever=retriever,
        options=options,
    ):
        if on_event:
            on_event(event)
        if event.type == "done":
            message_id = event.data["message_id"]
    assert message_id is not None
    return Answer(message=Message.objects.get(pk=message_id), conversation=conversation)
