"""Sends the Slack surface's answer task by its registered name.

The tasks call the services, and the services queue the answer task. Reaching the task through
Celery's registry by its name, rather than importing assistant.slack.tasks, keeps the two from
importing each other; the tasks module declares the task under this same name.
"""

from __future__ import annotations

from retrieval.dispatch import registered_task

SLACK_EVENT_ANSWER = "assistant.slack.tasks.slack_event_answer"


def slack_event_answer_send(*, event_id: int) -> None:
    """Send the answer task of a stored Slack event to the broker; raises when the broker refuses."""
    registered_task(SLACK_EVENT_ANSWER).delay(event_id)
