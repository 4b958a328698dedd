from __future__ import annotations

from moderation.pii import find_pii, iban_valid


def test_a_valid_iban_is_found_with_or_without_spaces() -> None:
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert [s.kind for s in find_pii("Pay to GB82 WEST 1234 5698 7654 32 today")] == ["IBAN"]
    assert [s.kind for s in find_pii("IBAN: DE89370400440532013000.")] == ["IBAN"]


def test_an_iban_with_one_wrong_digit_is_not_reported() -> None:
    assert not iban_valid("GB82 WEST 1234 5698 7654 33")
    assert all(s.kind != "IBAN" for s in find_pii("Pay to GB82 WEST 1234 5698 7654 33 today"))
