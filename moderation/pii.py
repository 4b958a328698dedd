"""PII and secret detection: patterns narrowed by validators (Luhn, mod-97, checksums)."""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from moderation.verdict import PiiSpan


def luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn check used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """True when an IBAN (spaces allowed) passes the ISO 13616 mod-97 check."""
    compact = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def us_ssn_valid(ssn: str) -> bool:
    """True when a US SSN is not in a range the SSA never issues (000, 666, 9xx, 00, 0000)."""
    area, group, serial = ssn.replace(" ", "-").split("-")
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def spanish_dni_valid(dni: str) -> bool:
    """True when a Spanish DNI/NIE's control letter matches its number (mod 23)."""
    value = dni.upper().replace("-", "")
    number = value[:-1]
    if number[0] in "XYZ":  # NIE: the leading letter stands for a digit
        number = str("XYZ".index(number[0])) + number[1:]
    return _DNI_LETTERS[int(number) % 23] == value[-1]


def ip_valid(text: str) -> bool:
    """True for a syntactically valid IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def shannon_entropy(text: str) -> float:
    """Bits per character; random keys score high, words and placeholders low."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _card_valid(match: str) -> bool:
    digits = re.sub(r"[ -]", "", match)
    # 13-19 digits with a Luhn check; order numbers of that length pass by chance only 1 in 10,
    # so a known issuer prefix is also required.
    return 13 <= len(digits) <= 19 and luhn_valid(digits) and digits[0] in "23456"


_DATE = re.compile(r"\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")


def _phone_valid(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    # Dates and the SSN shape (checked, and rejected, by the SSN rule) are not phone numbers.
    if _DATE.fullmatch(match.strip()) or re.fullmatch(r"\d{3}-\d{2}-\d{4}", match.strip()):
        return False
    # Without a country code, short digit groups are more often amounts, ids or times.
    return (9 if not match.startswith("+") else 8) <= len(digits) <= 15


def _secret_assignment_valid(match: str) -> bool:
    value = re.split(r"[:=]\s*", match, maxsplit=1)[-1].strip("'\"")
    return len(value) >= 16 and shannon_entropy(value) >= 3.5


@dataclass(frozen=True)
class PiiPattern:
    """One kind of PII: a pattern and an optional validator that removes false matches."""

    kind: str
    pattern: re.Pattern[str]
    validator: Callable[[str], bool] | None = None


# Order matters when spans overlap: earlier, more specific kinds win.
PATTERNS: tuple[PiiPattern, ...] = (
    PiiPattern(
        "SECRET",
        re.compile(
            r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z]+ )*PRIVATE KEY-----"
        ),
    ),
    PiiPattern("SECRET", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    PiiPattern("SECRET", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b")),
    PiiPattern("SECRET", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,255}\b")),
    PiiPattern("SECRET", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    PiiPattern("SECRET", re.compile(r"\bsk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{20,}\b")),
    PiiPattern("SECRET", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    PiiPattern(
        "SECRET",
        re.compile(
            r"(?i)\b[\w.-]*(?:api[_-]?key|secret|token|passw(?:or)?d|pwd|access[_-]?key)[\w.-]*"
            r"\s*[:=]\s*['\"]?[A-Za-z0-9_\-+/=.]{16,}['\"]?"
        ),
        _secret_assignment_valid,
    ),
    PiiPattern("EMAIL", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")),
    PiiPattern(
        "IBAN",
        re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"),
        iban_valid,
    ),
    PiiPattern("CARD", re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), _card_valid),
    PiiPattern("SSN", re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), us_ssn_valid),
    PiiPattern("NATIONAL_ID", re.compile(r"\b[XYZ]?\d{7,8}-?[A-Za-z]\b"), spanish_dni_valid),
    PiiPattern(
        "IP",
        re.compile(
            r"(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|"
            r"(?=[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:)[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w.:])"
        ),
        ip_valid,
    ),
    PiiPattern(
        "PHONE",
        re.compile(
            r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}\b"
        ),
        _phone_valid,
    ),
)


def find_pii(text: str, patterns: Iterable[PiiPattern] = PATTERNS) -> tuple[PiiSpan, ...]:
    """All non-overlapping PII spans in a text, sorted by position."""
    taken: list[PiiSpan] = []
    for pii in patterns:
        for match in pii.pattern.finditer(text):
            if pii.validator is not None and not pii.validator(match.group()):
                continue
            span = PiiSpan(match.start(), match.end(), pii.kind)
            if any(span.start < t.end and t.start < span.end for t in taken):
                continue
            taken.append(span)
    return tuple(sorted(taken, key=lambda s: s.start))


def redact(text: str, spans: Iterable[PiiSpan]) -> str:
    """Replace each span by a readable placeholder such as ``[EMAIL]``."""
    out, pos = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(text[pos : span.start])
        out.append(f"[{span.kind}]")
        pos = span.end
    out.append(text[pos:])
    return "".join(out)
