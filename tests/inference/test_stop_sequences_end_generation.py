from __future__ import annotations

from transformers import AutoTokenizer

from inference.sampling import TextStream


def _stream(tokenizer_dir, text, stop):
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    stream = TextStream(tokenizer, stop)
    shown, hit = [], False
    for token in tokenizer.encode(text, add_special_tokens=False):
        delta, hit = stream.push(token)
        shown.append(delta)
        if hit:
            break
    if not hit:
        shown.append(stream.flush())
    return "".join(shown), hit


def test_text_ends_before_the_stop_sequence(tokenizer_dir):
    text, hit = _stream(tokenizer_dir, "The office is in Lisbon.\nUser: next", ("\nUser:",))
    assert hit
    assert text == "The office is in Lisbon."


def test_a_partial_stop_sequence_is_shown_once_it_proves_harmless(tokenizer_dir):
    text, hit = _stream(tokenizer_dir, "Use a\nUs later", ("\nUser:",))
    assert not hit
    assert text == "Use a\nUs later"
