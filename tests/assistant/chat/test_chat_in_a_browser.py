"""The chat in headless Chromium against the real web server, worker and demo model.

Alice signs in, asks, watches the answer being written, follows a citation and opens its source,
rates the answer with a comment, reloads and finds the conversation as she left it.
"""

from __future__ import annotations

import re

import pytest

from assistant.models import Feedback
from tests.assistant.chat.conftest import browser_sign_in, ingest_and_wait
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HANDBOOK = b"""# Relocation handbook

## Moving allowance

The moving allowance for staff who relocate is 7,300 euros. It is paid with the first salary
in the new city.
"""
QUESTION = "What is the moving allowance for staff who relocate?"
WATCH_STREAMING = """() => {
  window.watched = { streamed: [], stopShown: false };
  new MutationObserver((records) => {
    for (const record of records) {
      const node = record.target.nodeType === Node.TEXT_NODE ? record.target.parentElement : record.target;
      if (node?.classList?.contains("answer") && node.closest(".streaming") && node.textContent) {
        window.watched.streamed.push(node.textContent);
      }
    }
  }).observe(document.getElementById("thread"), { subtree: true, childList: true, characterData: true });
  new MutationObserver(() => {
    if (!document.getElementById("stop").hidden) window.watched.stopShown = true;
  }).observe(document.getElementById("stop"), { attributes: true });
}"""


def test_alice_asks_follows_a_source_rates_the_answer_and_finds_it_after_reload(
    celery_worker, model_server, web_server, alice, groups, browser_context
):
    ingest_and_wait(HANDBOOK, title="Relocation handbook", groups=[groups["HR"]])
    page = browser_context.new_page()
    browser_sign_in(page, "alice", PASSWORD)

    # Ask, and see the answer arrive as plain text before it is final. The moderation of the output
    # releases whole sentences, so a short answer may stream and finish within one frame: an
    # observer records what the page showed meanwhile.
    page.evaluate(WATCH_STREAMING)
    page.fill("#question", QUESTION)
    page.press("#question", "Enter")
    answer = page.locator(".msg.assistant:not(.streaming)").last
    answer.locator("a.cite").first.wait_for()
    watched = page.evaluate("window.watched")
    assert watched["stopShown"]
    assert watched["streamed"] and watched["streamed"][0].strip()
    assert re.search(r"/conversations/\d+/$", page.url)
    assert page.is_hidden("#stop")
    assert page.locator(".msg.user .bubble").last.text_content() == QUESTION
    assert "Relocation handbook" in answer.locator(".sources").inner_text()
    assert page.locator("#conversation-list [aria-current=page]").text_content() == QUESTION

    # A chip points at its source in the panel; the source link opens the passage.
    chip = answer.locator("a.cite").first
    chip.click()
    target = chip.get_attribute("href")
    assert page.locator(f"{target}.flash").count() == 1
    with page.expect_navigation():
        answer.locator("a.source-link").first.click()
    assert re.search(r"/sources/\d+$", page.url)
    assert "Relocation handbook" in page.locator("h1").text_content()
    assert "7,300 euros" in page.locator(".passage").inner_text()
    page.go_back()
    answer = page.locator(".msg.assistant").last
    answer.wait_for()

    # Copy puts the answer's text on the clipboard.
    answer.locator("[data-copy]").click()
    page.wait_for_function("() => document.querySelector('[data-copy]').textContent === 'Copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == answer.locator("textarea.raw").input_value()

    # Thumbs up, then a comment.
    answer.locator("[data-rating='1']").click()
    page.wait_for_selector(".msg.assistant [data-rating='1'][aria-pressed=true]")
    answer.locator("[data-comment] textarea").fill("Exactly what I needed")
    with page.expect_response(lambda response: response.url.endswith("/feedback")):
        answer.locator("[data-comment] button[type=submit]").click()
    page.wait_for_selector(".feedback-status:has-text('saved')")
    saved = Feedback.objects.get(user=alice)
    assert (saved.rating, saved.comment) == (1, "Exactly what I needed")

    # After a reload the history is all there.
    page.reload()
    assert page.locator(".msg.user .bubble").first.text_content() == QUESTION
    reloaded = page.locator(".msg.assistant").last
    assert reloaded.locator("a.cite").count() >= 1
    assert reloaded.locator("[data-rating='1']").get_attribute("aria-pressed") == "true"
    assert reloaded.locator("[data-comment] textarea").input_value() == "Exactly what I needed"

    # On a phone-width screen nothing needs sideways scrolling.
    page.set_viewport_size({"width": 375, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
