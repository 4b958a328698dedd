from __future__ import annotations

from moderation.pii import find_pii


def kinds(text: str) -> list[str]:
    return [span.kind for span in find_pii(text)]


def test_emails_and_international_phone_numbers_are_found() -> None:
    assert kinds("Mail jane.doe@example.co.uk or call +44 20 7946 0958.") == ["EMAIL", "PHONE"]
    assert kinds("Call (555) 123-4567 after lunch") == ["PHONE"]


def test_dates_amounts_and_times_are_not_phone_numbers() -> None:
    assert kinds("The meeting is on 2024-05-01 at 10:30.") == []
    assert kinds("Revenue rose to 1 250 000 EUR in 2023.") == []
