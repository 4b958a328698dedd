from __future__ import annotations

from moderation.pii import find_pii, spanish_dni_valid, us_ssn_valid


def test_a_plausible_us_ssn_is_found_and_never_issued_ones_are_not() -> None:
    assert [s.kind for s in find_pii("SSN 123-45-6789 on file")] == ["SSN"]
    assert not us_ssn_valid("000-12-3456")
    assert not us_ssn_valid("666-12-3456")
    assert find_pii("SSN 900-12-3456 on file") == ()


def test_a_spanish_dni_needs_the_right_control_letter() -> None:
    assert spanish_dni_valid("12345678Z")
    assert not spanish_dni_valid("12345678A")
    assert [s.kind for s in find_pii("DNI 12345678Z")] == ["NATIONAL_ID"]
    assert find_pii("DNI 12345678A") == ()


def test_a_spanish_nie_is_checked_too() -> None:
    assert spanish_dni_valid("X1234567L")
