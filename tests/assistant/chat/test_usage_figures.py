from __future__ import annotations

from assistant.chat.audit import usage_figures
from assistant.models import Conversation, Feedback, Message


def answer(conversation, total_ms: int, ttft_ms: int) -> Message:
    Message.objects.create(conversation=conversation, role="user", content="q")
    return Message.objects.create(
        conversation=conversation, role="assistant", content="a", total_ms=total_ms, ttft_ms=ttft_ms
    )


def test_usage_counts_questions_latency_percentiles_and_feedback(alice, bob):
    conversation = Conversation.objects.create(owner=alice)
    answers = [answer(conversation, total_ms=100 * i, ttft_ms=10 * i) for i in range(1, 21)]
    Feedback.objects.create(message=answers[0], user=alice, rating=1)
    Feedback.objects.create(message=answers[1], user=alice, rating=1)
    Feedback.objects.create(message=answers[2], user=alice, rating=-1)

    usage = usage_figures(days=30)

    assert usage.questions == 20
    assert [row["questions"] for row in usage.questions_per_day] == [20]
    assert usage.total_p50 == 1050
    assert usage.total_p95 == 1905
    assert usage.ttft_p50 == 105
    assert (usage.thumbs_up, usage.thumbs_down) == (2, 1)
    assert usage.feedback_percent == 67


def test_the_usage_page_shows_the_figures(client, alice, carol):
    conversation = Conversation.objects.create(owner=alice)
    answer(conversation, total_ms=1200, ttft_ms=300)
    client.force_login(carol)

    page = client.get("/staff/usage/").content.decode()

    assert '<dd id="questions">1</dd>' in page
    assert "300 / 300 ms" in page
    assert "no ratings yet" in page
