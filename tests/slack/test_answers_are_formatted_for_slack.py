"""Answers become Slack mrkdwn with their sources as links; Slack markup becomes plain questions."""

from __future__ import annotations

from assistant.slack.formatting import answer_text, markdown_to_mrkdwn, plain_question

CITATION = {
    "n": 1,
    "chunk_id": 42,
    "document_id": 7,
    "title": "Travel <policy> & more",
    "location": "Hotels",
    "snippet": "…",
    "support": 0.9,
    "added": False,
}


def test_sources_are_links_to_the_access_checked_source_view(settings):
    settings.PUBLIC_BASE_URL = "https://assistant.example.com"
    text = answer_text("The limit is 180 euros [1].", [CITATION])
    assert text.endswith(
        "*Sources*\n[1] <https://assistant.example.com/sources/42|"
        "Travel &lt;policy&gt; &amp; more — Hotels>"
    )


def test_markdown_becomes_mrkdwn_and_model_links_lose_their_urls():
    text = markdown_to_mrkdwn(
        "## Limits\n**Hotels** cost <b>180</b> & [more](https://evil.example/x)"
    )
    assert text == "*Limits*\n*Hotels* cost &lt;b&gt;180&lt;/b&gt; &amp; more"
    assert "evil.example" not in text


def test_an_answer_without_sources_is_just_the_text():
    assert answer_text("I found nothing.", []) == "I found nothing."


def test_slack_markup_becomes_a_plain_question():
    text = "<@U0BOT> what does <https://x.example/a|the policy> say about &lt;hotels&gt; &amp; <#C1|travel>?"
    assert plain_question(text, drop_user_ids={"U0BOT"}) == (
        "what does the policy say about <hotels> & #travel?"
    )
