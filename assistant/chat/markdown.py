"""Answers as safe HTML: Markdown without raw HTML, images or outside links, citations as chips.

An answer is built from documents and from a model that may have read injected instructions, so its
Markdown is untrusted. Raw HTML is escaped, images are never rendered (an image URL is a way to send
data out of the building just by being displayed) and only links inside this site survive; nh3 then
sanitises the result again with an allow-list, in case the renderer ever lets something through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

ALLOWED_TAGS = frozenset([
    "p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "hr", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
])  # fmt: skip
# Same-site paths and in-page anchors; "//host" and "/\host" are other sites to a browser.
_INTERNAL_HREF = re.compile(r"^(?:/(?![/\\])[^\s\\]*|#[\w-]*)$")
_CITATION = re.compile(r"\[(\d{1,2})\]")
_VERBATIM = re.compile(r"(<pre>.*?</pre>|<code>.*?</code>|<a [^>]*>.*?</a>)", re.S)


def is_internal_link(href: str) -> bool:
    """True for links that stay on this site (a path or an anchor)."""
    return bool(_INTERNAL_HREF.match(href))


def _drop_outside_links(state: StateCore) -> None:
    """Turn links to other sites into their plain label."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        kept = []
        dropping = False
        for token in block.children:
            if token.type == "link_open" and not is_internal_link(str(token.attrGet("href") or "")):
                dropping = True
                continue
            if token.type == "link_close" and dropping:
                dropping = False
                continue
            kept.append(token)
        block.children = kept


@cache
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")
    md.core.ruler.push("drop_outside_links", _drop_outside_links)
    return md


def _keep_internal_href(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        return value if is_internal_link(value) else None
    return value


def sanitise(html: str) -> str:
    """Allow-list sanitising: known tags, links only within this site, nothing else."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={"a": {"href"}},
        attribute_filter=_keep_internal_href,
        url_schemes=set(),
        link_rel=None,
    )


def _chip(number: int, anchor: str, title: str) -> str:
    return (
        f'<a class="cite" href="#{anchor}-s{number}" data-cite="{number}" '
        f'title="{escape(title)}">{number}</a>'
    )


def render_markdown(
    text: str, *, citations: Iterable[dict[str, object]] = (), anchor: str = "m"
) -> SafeString:
    """Safe HTML for an answer; each [n] that names a source becomes a chip linking to it."""
    html = sanitise(_renderer().render(text))
    titles = {int(str(c["n"])): str(c.get("title", "")) for c in citations}
    if not titles:
        return mark_safe(html)  # noqa: S308 - the output of the sanitiser above

    def chips(segment: str) -> str:
        return _CITATION.sub(
            lambda m: (
                _chip(int(m.group(1)), anchor, titles[int(m.group(1))])
                if int(m.group(1)) in titles
                else m.group(0)
            ),
            segment,
        )

    # Code and link labels keep their text as written.
    parts = _VERBATIM.split(html)
    html = "".join(part if index % 2 else chips(part) for index, part in enumerate(parts))
    return mark_safe(html)  # noqa: S308 - sanitised HTML plus chips built from escaped values
