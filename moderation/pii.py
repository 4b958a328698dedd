"""PII and secret detection: patterns narrowed by validators (Luhn, mod-97, checksums).

Every pattern runs in linear time on any text: where a regex would re-read the rest of a run of
characters from each of its positions (an e-mail's local part, a secret's name, a private key
without its end line), the match is found by a scan that reads each character a bounded number
of times and returns exactly what the regex in its docstring would.
"""

from __future__ import annotations

import bisect
import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
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


# A finder yields the (start, end) of each match, left to right, without overlaps.
Finder = Callable[[str], Iterator[tuple[int, int]]]


@dataclass(frozen=True)
class PiiPattern:
    """One kind of PII: a pattern (or a finder) and an optional validator of its matches."""

    kind: str
    pattern: re.Pattern[str] | Finder
    validator: Callable[[str], bool] | None = None

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each match in `text`, left to right."""
        if isinstance(self.pattern, re.Pattern):
            return (match.span() for match in self.pattern.finditer(text))
        return self.pattern(text)


def _is_word(text: str, position: int) -> bool:
    # What \w matches: str.isalnum() or "_"; outside the text counts as not a word character.
    if not 0 <= position < len(text):
        return False
    char = text[position]
    return char.isalnum() or char == "_"


def _boundary(text: str, position: int) -> bool:
    """Whether \b matches at `position`."""
    return _is_word(text, position - 1) != _is_word(text, position)


def _first_boundary(text: str, start: int, end: int) -> int | None:
    return next((i for i in range(start, end) if _boundary(text, i)), None)


_KEY_BEGIN = re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")
_KEY_END = re.compile(r"-----END (?:[A-Z]+ )*PRIVATE KEY-----")


def _private_keys(text: str) -> Iterator[tuple[int, int]]:
    r"""`-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z]+ )*PRIVATE KEY-----`.

    As a regex, every begin line without an end line re-reads the rest of the text.
    """
    position = 0
    while (begin := _KEY_BEGIN.search(text, position)) is not None:
        end = _KEY_END.search(text, begin.end())
        if end is None:
            return  # no end line after this begin line, so none after any later one
        yield begin.start(), end.end()
        position = end.end()


_LOCAL_PART = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_DOMAIN = re.compile(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")


def _emails(text: str) -> Iterator[tuple[int, int]]:
    r"""`\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b`, from each "@" outwards.

    As a regex, every word boundary in a long run of local-part characters with no "@" after it
    re-reads the rest of the run.
    """
    position = 0
    at = text.find("@")
    while at >= 0:
        local = at
        while local > position and text[local - 1] in _LOCAL_PART:
            local -= 1
        start = _first_boundary(text, local, at)
        domain = _DOMAIN.match(text, at + 1) if start is not None else None
        if start is not None and domain is not None:
            yield start, domain.end()
            position = domain.end()
            at = text.find("@", position)
        else:
            at = text.find("@", at + 1)


_SECRET_NAME_RUN = re.compile(r"[\w.-]+")
_SECRET_WORD = re.compile(r"(?i)api[_-]?key|secret|token|passw(?:or)?d|pwd|access[_-]?key")
_SECRET_VALUE = re.compile(r"(?i)\s*[:=]\s*['\"]?[A-Za-z0-9_\-+/=.]{16,}['\"]?")


def _secret_assignments(text: str) -> Iterator[tuple[int, int]]:
    r"""`(?i)\b[\w.-]*(?:api[_-]?key|secret|token|passw(?:or)?d|pwd|access[_-]?key)[\w.-]*`
    `\s*[:=]\s*['"]?[A-Za-z0-9_\-+/=.]{16,}['"]?`, one run of name characters at a time.

    As a regex, every word boundary in a long name ("token.token.token...") re-reads the rest
    of it. A match starts at the first word boundary of a name that holds one of the words and
    is followed by a value, so each name is read once.
    """
    position = 0
    while (name := _SECRET_NAME_RUN.search(text, position)) is not None:
        start = _first_boundary(text, name.start(), name.end())
        # The name is checked before the value: a value may run to the end of the text
        # ("a=a=a=..."), and reading it after every name would be quadratic.
        if start is None or _SECRET_WORD.search(text, start, name.end()) is None:
            position = name.end()
            continue
        value = _SECRET_VALUE.match(text, name.end())
        if value is not None:
            yield start, value.end()
            position = value.end()
        else:
            position = name.end()


# Order matters when spans overlap: earlier, more specific kinds win.
PATTERNS: tuple[PiiPattern, ...] = (
    PiiPattern("SECRET", _private_keys),
    PiiPattern("SECRET", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    PiiPattern("SECRET", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b")),
    PiiPattern("SECRET", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,255}\b")),
    PiiPattern("SECRET", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    PiiPattern("SECRET", re.compile(r"\bsk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{20,}\b")),
    PiiPattern("SECRET", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    PiiPattern("SECRET", _secret_assignments, _secret_assignment_valid),
    PiiPattern("EMAIL", _emails),
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
    # The spans taken so far, sorted by start; they never overlap, so a new span can only
    # overlap its neighbours in that order (a scan of all of them made many matches quadratic).
    taken: list[PiiSpan] = []
    starts: list[int] = []
    for pii in patterns:
        for start, end in pii.spans(text):
            if pii.validator is not None and not pii.validator(text[start:end]):
                continue
            index = bisect.bisect_left(starts, start)
            if index > 0 and taken[index - 1].end > start:
                continue
            if index < len(taken) and taken[index].start < end:
                continue
            taken.insert(index, PiiSpan(start, end, pii.kind))
            starts.insert(index, start)
    return tuple(taken)


def redact(text: str, spans: Iterable[PiiSpan]) -> str:
    """Replace each span by a readable placeholder such as ``[EMAIL]``."""
    out, pos = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(text[pos : span.start])
        out.append(f"[{span.kind}]")
        pos = span.end
    out.append(text[pos:])
    return "".join(out)
