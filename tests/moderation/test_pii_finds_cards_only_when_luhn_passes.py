from __future__ import annotations

from moderation.pii import find_pii, luhn_valid


def kinds(text: str) -> list[str]:
    return [span.kind for span in find_pii(text)]


def test_a_real_test_card_number_is_found() -> None:
    assert kinds("Charge it to 4111 1111 1111 1111 please.") == ["CARD"]
    assert kinds("Mastercard 5500-0055-5555-5559 expires 12/27") == ["CARD"]


def test_an_order_number_that_fails_luhn_is_not_a_card() -> None:
    assert not luhn_valid("4111111111111112")
    assert "CARD" not in kinds("Your order 4111 1111 1111 1112 has shipped.")


def test_an_order_number_that_passes_luhn_but_has_no_card_prefix_is_not_a_card() -> None:
    assert luhn_valid("1000000000000008")
    assert "CARD" not in kinds("Order number 1000000000000008 was delivered.")


def test_short_reference_numbers_are_left_alone() -> None:
    assert find_pii("Invoice 2024-0042 for PO 88123 is attached.") == ()
