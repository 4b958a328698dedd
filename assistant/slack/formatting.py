"""Turning answers into Slack mrkdwn, and Slack's message markup back into plain questions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse

from retrieval.parsers.markdown import link_labels

# Slack reads <...> as links and mentions and &...; as entities: only these three must be escaped.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})

# Answers are untrusted text: each pattern here runs in linear time, and headings are found by a
# scan (`_bold_headings`).
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.DOTALL)
# A bullet's indent: white space other than line breaks, so that no two lines' starts compete
# for the same blank lines.
_BULLET = re.compile(r"^([^\S\n]*)[-*+]\s+", re.MULTILINE)

_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")

HELP = (
    "*Ask the assistant about the company's documents.*\n"
    "• `/ask <question>`: a private answer from the documents you can access.\n"
    "• Send me a direct message: the same, in our conversation.\n"
    "• Mention me in a channel: an answer everyone there can see, from org-wide documents only.\n"
    "• `/ask link`: connect your Slack account to your account in the assistant, needed only "
    "when your Slack email is not your account's email.\n"
    "• `/ask help`: this message."
)
LINK_INSTRUCTIONS = (
    "I could not find your account in the assistant. Slack accounts match by work email: your "
    "email in Slack must be the email of your active account in the assistant. If it is not, "
    "type `/ask link` and open the link I send you while signed in; then ask again."
)
SORRY = (
    "Sorry, I could not answer this: the assistant is having trouble right now. "
    "Please try again in a few minutes."
)
THINKING = "_Looking through the documents you can access…_"
PRIVATE_OFFER = (
    "I answered in the channel from org-wide documents only, since everyone there can read it. "
    "For an answer from everything *you* can access, ask me privately: `/ask {question}`, or send "
    "me a direct message."
)


def escape(text: str) -> str:
    """Text made safe to show literally in a Slack message."""
    return text.translate(_ESCAPES)


def markdown_to_mrkdwn(text: str) -> str:
    """The model's Markdown in Slack's dialect: *bold*, no headings, no foreign links."""
    # Links written by the model are shown as their label only: a generated URL could carry data
    # elsewhere when clicked or unfurled.
    text = link_labels(text, images=True)
    text = escape(text)
    text = _bold_headings(text)
    text = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)
    return _BULLET.sub(lambda m: f"{m.group(1)}• ", text)


def _bold_headings(text: str) -> str:
    r"""Each heading (a line starting with one to six "#" and white space) as a bold line.

    This does what `re.sub(r"^#{1,6}\s+(.+?)\s*#*$", r"*\1*", text, flags=re.MULTILINE)` did,
    closing hashes and the blank lines after a heading included, in one pass: the pattern
    re-read the white space after every character of a title.
    """
    out: list[str] = []
    done = line = 0
    while line < len(text):
        heading = _heading_at(text, line) if text[line] == "#" else None
        if heading is not None:
            title, end = heading
            out.append(text[done:line])
            out.append(f"*{title}*")
            done = line = end
        next_break = text.find("\n", line)
        if next_break < 0:
            break
        line = next_break + 1
    out.append(text[done:])
    return "".join(out)


def _heading_at(text: str, start: int) -> tuple[str, int] | None:
    """(title, end of the heading) for a heading starting at `start`, if one does."""
    size = len(text)
    hashes = _run_end(text, start, "#")
    if hashes - start > 6:
        return None
    title_start = _space_end(text, hashes)
    if title_start == hashes:
        return None
    if title_start == size:
        # Only white space follows: the title is its last character that is not a line break.
        title_start = size - 1
        while title_start > hashes and text[title_start] == "\n":
            title_start -= 1
        if title_start == hashes:
            return None
        title_end = title_start + 1
    else:
        title_end = title_start + 1
        while title_end < size and text[title_end] != "\n":
            if text[title_end].isspace():
                after = _space_end(text, title_end)
                if "\n" in text[title_end:after] or _closes_line(text, after):
                    break
                title_end = after
            elif text[title_end] == "#":
                if _closes_line(text, title_end):
                    break
                title_end = _run_end(text, title_end, "#")
            else:
                title_end += 1
    # What follows the title: white space, closing hashes and the end of a line, as much of it
    # as a greedy match takes.
    after = _space_end(text, title_end)
    if after == size:
        end = size
    elif _closes_line(text, after):
        end = _run_end(text, after, "#")
    else:
        end = text.rfind("\n", title_end, after)
    return text[title_start:title_end], end


def _run_end(text: str, start: int, char: str) -> int:
    end = start
    while end < len(text) and text[end] == char:
        end += 1
    return end


def _space_end(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end].isspace():
        end += 1
    return end


def _closes_line(text: str, start: int) -> bool:
    # The end of the text, or a run of "#" that reaches the end of its line.
    end = _run_end(text, start, "#")
    return end == len(text) or (end > start and text[end] == "\n")


def source_url(chunk_id: int) -> str:
    """The source view of a passage; it checks access again when opened."""
    return settings.PUBLIC_BASE_URL + reverse("source", args=[int(chunk_id)])


def source_line(citation: dict[str, Any]) -> str:
    """One cited source as a Slack link: `[n] <url|title — location>`."""
    label = str(citation.get("title") or "Untitled")
    if citation.get("chunk_id") is None:
        # A source its readers lost (assistant.readable): its notice, and no link.
        return f"[{int(citation['n'])}] {escape(label)}"
    if citation.get("location"):
        label = f"{label} — {citation['location']}"
    # `|` would not end the label, but `>` would end the link: escape() covers it.
    return f"[{int(citation['n'])}] <{source_url(citation['chunk_id'])}|{escape(label)}>"


def answer_text(content: str, citations: Iterable[dict[str, Any]]) -> str:
    """An answer and its sources as one mrkdwn message."""
    body = markdown_to_mrkdwn(content.strip())
    lines = [source_line(c) for c in citations]
    if not lines:
        return body
    return body + "\n\n*Sources*\n" + "\n".join(lines)


def private_offer(question: str) -> str:
    """The ephemeral note after a channel answer, pointing at a private one."""
    return PRIVATE_OFFER.format(question=escape(" ".join(question.split())[:200]))


def plain_question(text: str, *, drop_user_ids: Iterable[str] = ()) -> str:
    """A message's text without Slack markup: mentions of `drop_user_ids` removed, links as labels."""
    dropped = set(drop_user_ids)

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            if target[1:] in dropped:
                return ""
            return f"@{label or target[1:]}"
        if target.startswith(("#", "!")):
            return f"#{label}" if target.startswith("#") and label else (label or "")
        return label or target

    text = _SLACK_LINK.sub(replace, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())
