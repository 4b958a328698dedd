from __future__ import annotations

from moderation.pii import find_pii, redact

TEXT = (
    "Hi, I am Jane (jane.doe@example.com, +1 415 555 0132). Refund card 4111 1111 1111 1111 "
    "to GB82 WEST 1234 5698 7654 32; server 192.168.0.12 uses AKIAIOSFODNN7EXAMPLE."
)


def test_redaction_replaces_each_span_with_its_kind() -> None:
    redacted = redact(TEXT, find_pii(TEXT))
    assert redacted == (
        "Hi, I am Jane ([EMAIL], [PHONE]). Refund card [CARD] to [IBAN]; server [IP] uses [SECRET]."
    )


def test_spans_point_at_the_original_values_so_redaction_can_be_reversed() -> None:
    spans = find_pii(TEXT)
    originals = [TEXT[s.start : s.end] for s in spans]
    assert originals == [
        "jane.doe@example.com",
        "+1 415 555 0132",
        "4111 1111 1111 1111",
        "GB82 WEST 1234 5698 7654 32",
        "192.168.0.12",
        "AKIAIOSFODNN7EXAMPLE",
    ]
    redacted = redact(TEXT, spans)
    restored = redacted
    for span, original in zip(spans, originals, strict=True):
        restored = restored.replace(f"[{span.kind}]", original, 1)
    assert restored == TEXT


def test_redacted_text_has_nothing_left_to_find_and_plain_text_is_untouched() -> None:
    assert find_pii(redact(TEXT, find_pii(TEXT))) == ()
    plain = "Our office opens at nine."
    assert redact(plain, find_pii(plain)) == plain
