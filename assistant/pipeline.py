"""The answering pipeline shared by every surface (web, API, Slack, command line).

moderate the question → retrieve what the asker may read → scan passages for injected instructions →
build the prompt → stream generation through the moderation of the output → check citations →
persist the answer with its trace. `answer_stream` yields events as they happen; `answer` collects them.

Each stage is a function over one `AnswerState`. A stage that ends the answer early (a refusal,
nothing found, an error) raises `AnswerEnded`, which `answer_stream` turns into the last events.
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
    Prompt,
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


class AnswerEnded(Exception):
    """Raised by a stage that ends the answer early: a refusal, nothing found, an error."""

    def __init__(self, content: str, status: str) -> None:
        super().__init__(content)
        self.content = content
        self.status = status


@dataclass
class AnswerState:
    """One answer on its way through the stages: what was asked, and what each stage found."""

    user: Any
    conversation: Conversation
    question: str
    surface: str
    options: Options
    question_message: Message
    history: list[Turn]
    # What is saved with the answer: timings, verdicts, what was retrieved, dropped and cut.
    trace: dict[str, Any]
    # time.monotonic() when the answer began; the trace's timings count from here.
    started: float
    # The question as searched and prompted: input moderation's redaction of it, if it made one.
    search_text: str = ""
    # What retrieval was asked: a follow-up is joined with the previous question.
    query: str = ""
    # The passages that may reach the prompt: retrieval fills it, the context scan narrows it.
    passages: list[Any] = field(default_factory=list)
    # Chunk ids of passages quoted inert in the prompt (flagged by the context scan, not blocked).
    flagged: set[int] = field(default_factory=set)
    prompt: Prompt | None = None
    guard: moderation.StreamModerator | None = None
    # What reached the reader, piece by piece, after output moderation.
    shown: list[str] = field(default_factory=list)
    # Pieces streamed by the model (one per token): the answer's completion tokens.
    pieces: int = 0
    first_token_at: float | None = None


@dataclass(frozen=True)
class Draft:
    """The answer as output moderation let it through, before its citations are checked."""

    text: str
    status: str
    # Output moderation stopped the answer: its rest was withheld.
    withheld: bool


@dataclass(frozen=True)
class Reply:
    """A finished answer ready to save and send: its text, status and checked citations."""

    content: str
    status: str
    citations: list[dict[str, Any]]


def _model_name(chat_model: ChatModel) -> str:
    return getattr(chat_model, "model", "") or ""


def answer_open(
    *,
    user: Any,
    conversation: Conversation,
    question: str,
    surface: str = Surface.WEB,
    options: Options | None = None,
    regenerate: bool = False,
) -> AnswerState:
    """Record the question (or find it again, when regenerating) and start the answer's state."""
    started = time.monotonic()
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
    return AnswerState(
        user=user,
        conversation=conversation,
        question=question,
        surface=surface,
        options=options or Options(),
        question_message=question_message,
        history=history,
        trace={"surface": surface, "question": question, "timings_ms": {}},
        started=started,
    )


def save_message(
    state: AnswerState,
    content: str,
    status: str,
    citations: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Message:
    """Save the assistant's message with the answer's trace and total time."""
    trace = state.trace
    trace["timings_ms"]["total"] = round((time.monotonic() - state.started) * 1000)
    message = Message.objects.create(
        conversation=state.conversation,
        role=Message.Role.ASSISTANT,
        content=content,
        status=status,
        citations=citations or [],
        trace=trace,
        total_ms=trace["timings_ms"]["total"],
        **extra,
    )
    Conversation.objects.filter(pk=state.conversation.pk).update(
        title=state.conversation.title or state.question[:80]
    )
    return message


def check_question_length(state: AnswerState) -> None:
    """A question longer than any surface takes ends the answer with a clear message."""
    if len(state.question) > MAX_QUESTION_CHARS:
        state.trace["error"] = (
            f"the question has {len(state.question)} characters (at most {MAX_QUESTION_CHARS})"
        )
        raise AnswerEnded(TOO_LONG, Message.Status.ERROR)


def moderate_question(state: AnswerState) -> None:
    """Input moderation: a blocked question is refused, and nothing else runs."""
    verdict = moderation.check(state.question, stage=moderation.Stage.INPUT)
    state.trace["moderation"] = {"input": verdict.to_dict()}
    _record_verdict(verdict, user=state.user, surface=state.surface, text=state.question)
    if verdict.blocked:
        categories = ", ".join(verdict.decisive) or "policy"
        raise AnswerEnded(REFUSAL.format(categories=categories), Message.Status.REFUSED)
    state.search_text = verdict.redacted_text or state.question


def retrieve(state: AnswerState, retriever: Retriever) -> None:
    """The relevant passages the asker may read: access applies inside the retriever's query."""
    state.query = standalone_query(state.search_text, state.history)
    t0 = time.monotonic()
    passages = retriever(user=state.user, query=state.query, k=state.options.k)
    state.trace["timings_ms"]["retrieval"] = round((time.monotonic() - t0) * 1000)
    state.trace["query"] = state.query
    state.trace["retrieved"] = [
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
        state.trace["reranker"] = {
            "model": report.reranker,
            "candidates": report.candidates,
            "truncated": report.truncated,
            # The model failed: the passages kept the first stage's order.
            "failed": report.failed,
        }
    minimum = state.options.min_relevance
    state.passages = [p for p in passages if p.dense_score is None or p.dense_score >= minimum]


def _context_verdict(
    passage: Any, heading_verdicts: dict[str, moderation.Verdict]
) -> tuple[str, moderation.Verdict, str]:
    """The context stage's verdict on a passage: which part decided, its verdict, the text checked.

    The model reads a passage's title and location too, so they are checked like its text (once
    per heading: a document's passages share theirs).
    """
    heading = passage_heading(passage)
    if heading not in heading_verdicts:
        heading_verdicts[heading] = moderation.check(heading, stage=moderation.Stage.CONTEXT)
    text_verdict = moderation.check(passage.text, stage=moderation.Stage.CONTEXT)
    # The stricter of the two decides; on a tie, the text's verdict is the one recorded.
    heading_verdict = heading_verdicts[heading]
    if heading_verdict.action.severity > text_verdict.action.severity:
        return "heading", heading_verdict, heading
    return "text", text_verdict, passage.text


def drop_injected(state: AnswerState) -> None:
    """The context scan: passages carrying instructions for the model are dropped, never obeyed.

    Flagged passages stay, to be quoted inert in the prompt. When no passage is left (or none was
    found), the answer is that nothing was found.
    """
    clean = []
    dropped: list[dict[str, Any]] = []
    flagged: list[dict[str, Any]] = []
    heading_verdicts: dict[str, moderation.Verdict] = {}
    for passage in state.passages:
        part, verdict, checked_text = _context_verdict(passage, heading_verdicts)
        entry = {"chunk_id": passage.chunk_id, "part": part, **verdict.to_dict()}
        if verdict.blocked:
            dropped.append(entry)
            _record_verdict(verdict, user=state.user, surface=state.surface, text=checked_text)
            continue
        if verdict.action is moderation.Action.FLAG:
            state.flagged.add(passage.chunk_id)
            flagged.append(entry)
            _record_verdict(verdict, user=state.user, surface=state.surface, text=checked_text)
        clean.append(passage)
    state.trace["moderation"]["context_dropped"] = dropped
    state.trace["moderation"]["context_flagged"] = flagged
    state.passages = clean
    if not clean:
        raise AnswerEnded(NOTHING_FOUND, Message.Status.NOTHING_FOUND)


def fit_prompt(state: AnswerState, chat_model: ChatModel) -> Prompt:
    """The prompt, fitted to the model's window: rules, passages as untrusted data, recent turns."""
    prompt = build_prompt(
        question=state.search_text,
        passages=state.passages,
        history=state.history,
        context_tokens=chat_model.context_length(),
        answer_tokens=state.options.answer_tokens,
        flagged=state.flagged,
    )
    state.prompt = prompt
    state.trace["prompt_passages"] = [p.chunk_id for p in prompt.passages]
    return prompt


def _moderated_deltas(
    state: AnswerState, stream: Iterator[str], guard: moderation.StreamModerator
) -> Iterator[Event]:
    """The model's pieces as `delta` events, each sentence released once moderation passed it."""
    # Reads each piece once: re-checking the whole answer per token was quadratic.
    loops = LoopDetector()
    for delta in stream:
        if state.first_token_at is None:
            state.first_token_at = time.monotonic()
        state.pieces += 1
        safe = guard.feed(delta)
        if safe:
            state.shown.append(safe)
            yield Event("delta", {"text": safe})
        if guard.blocked:
            break
        if loops.feed(delta) is not None:
            # The model repeats itself; the caller closes the stream, which stops it.
            state.trace["stopped"] = "the answer started repeating itself"
            break
    if not guard.blocked:
        tail = guard.finish()
        if tail:
            state.shown.append(tail)
            yield Event("delta", {"text": tail})


def generate(state: AnswerState, chat_model: ChatModel) -> Generator[Event, None, None]:
    """Fit the prompt and stream the answer through output moderation, as `delta` events.

    Closing this generator early saves what was shown as a stopped answer; either way the stream
    to the model is closed, which cancels generation. A model that cannot be reached, or a
    question that does not fit its window, ends the answer with a clear message.
    """
    stream: Iterator[str] | None = None
    try:
        try:
            prompt = fit_prompt(state, chat_model)
            # A sentence quoting a passage the asker may read (it is in the prompt) is judged with
            # it: a safety procedure from the company's handbook is flagged, not blocked.
            guard = moderation.StreamModerator(
                stage=moderation.Stage.OUTPUT,
                passages=[shown_text(p) for p in prompt.passages],
            )
            state.guard = guard
            stream = chat_model.stream_chat(
                prompt.messages,
                max_tokens=state.options.answer_tokens,
                temperature=state.options.temperature,
                frequency_penalty=state.options.frequency_penalty,
            )
            yield from _moderated_deltas(state, stream, guard)
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
    except GeneratorExit:
        state.trace["stopped"] = "client closed the stream"
        save_message(
            state, "".join(state.shown), Message.Status.STOPPED, model=_model_name(chat_model)
        )
        raise
    except Exception as exc:
        logger.exception("generation failed")
        state.trace["error"] = f"{type(exc).__name__}: {exc}"
        text = TOO_LONG if isinstance(exc, QuestionTooLong) else MODEL_DOWN
        raise AnswerEnded(text, Message.Status.ERROR) from exc


def moderated_draft(state: AnswerState) -> Draft:
    """The answer as output moderation let it through: a loop cut, a withheld rest announced."""
    guard = state.guard
    assert guard is not None, "generate() sets the guard"
    first_token_at = state.first_token_at or time.monotonic()
    state.trace["timings_ms"]["ttft"] = round((first_token_at - state.started) * 1000)
    state.trace["moderation"]["output"] = [
        v.to_dict() for v in guard.verdicts if v.action != moderation.Action.ALLOW
    ]
    text = cut_loop("".join(state.shown).strip())
    status = Message.Status.COMPLETE
    if guard.blocked and guard.block_verdict is not None:
        categories = ", ".join(guard.block_verdict.decisive) or "policy"
        status = Message.Status.REFUSED if not text else Message.Status.COMPLETE
        notice = OUTPUT_STOPPED.format(categories=categories)
        text = f"{text}\n\n{notice}" if text else REFUSAL.format(categories=categories)
    return Draft(text=text, status=status, withheld=guard.blocked)


def check_answer_citations(state: AnswerState, draft: Draft) -> Reply:
    """Citations only to passages the asker was given, and only where they support the sentence.

    The draft is kept in the trace so a citation decision can be audited (and re-checked) later.
    """
    assert state.prompt is not None, "fit_prompt() sets the prompt"
    state.trace["draft"] = draft.text
    checked = check_citations(draft.text, state.prompt.passages, question=state.query)
    state.trace["citations_removed"] = checked.removed
    complete = draft.status == Message.Status.COMPLETE
    if complete and NOTHING_FOUND.rstrip(".").lower() in checked.text.lower():
        return Reply(NOTHING_FOUND, Message.Status.NOTHING_FOUND, [])
    citations = [c.to_dict() for c in checked.citations]
    content = checked.text
    if complete and not citations and not draft.withheld:
        state.trace["unsupported"] = True
        content = f"{content}\n\n{UNSUPPORTED}"
    return Reply(content, draft.status, citations)


def persist(state: AnswerState, reply: Reply, chat_model: ChatModel) -> Message:
    """Save the answer with its trace and token counts; record the output's verdicts against it."""
    assert state.prompt is not None and state.guard is not None, "generate() ran"
    message = save_message(
        state,
        reply.content,
        reply.status,
        reply.citations,
        model=_model_name(chat_model),
        prompt_tokens=state.prompt.prompt_tokens,
        completion_tokens=state.pieces,
        ttft_ms=state.trace["timings_ms"]["ttft"],
    )
    for verdict in state.guard.verdicts:
        _record_verdict(
            verdict,
            user=state.user,
            surface=state.surface,
            text=verdict.redacted_text or "",
            message=message,
        )
    return message


def _answered(reply: Reply, message: Message) -> Iterator[Event]:
    """The last events of a generated answer: its final text, its sources, and the end."""
    yield Event("replace", {"content": reply.content})
    yield Event("sources", {"citations": reply.citations})
    yield Event(
        "done",
        {
            "status": reply.status,
            "message_id": message.pk,
            "content": reply.content,
            "citations": reply.citations,
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
    state = answer_open(
        user=user,
        conversation=conversation,
        question=question,
        surface=surface,
        options=options,
        regenerate=regenerate,
    )
    meta = {"conversation_id": conversation.pk, "question_id": state.question_message.pk}
    yield Event("meta", meta)
    try:  # a stage that ends the answer early raises AnswerEnded
        check_question_length(state)
        moderate_question(state)
        retrieve(state, retriever or default_retriever)
        drop_injected(state)
        yield from generate(state, chat_model)
        reply = check_answer_citations(state, moderated_draft(state))
    except AnswerEnded as ended:
        yield from _ended(save_message(state, ended.content, ended.status))
        return
    message = persist(state, reply, chat_model)
    yield from _answered(reply, message)


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
