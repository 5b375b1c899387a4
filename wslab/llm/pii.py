"""PII masking applied to every text before it leaves the machine.

Detected: e-mail addresses, phone numbers (international ``+CC ...`` and Russian ``+7`` / ``8``
formats), payment card numbers (13-19 digits that pass the Luhn check), IBANs (ISO 13616
mod-97 check), bank account numbers (20-digit Russian accounts, and 8-20 digits after a word
such as "account", "acct", "счёт", "р/с"), and any regex from the config.

Within one document the same value always gets the same placeholder (``<EMAIL_1>``,
``<PHONE_2>``...), so a model still sees that two mentions are the same person. The original
values are never stored; only counts per kind are returned, for the run manifest.

>>> mask_text("Mail a@b.io or A@B.io, call +7 (912) 345-67-89").text
'Mail <EMAIL_1> or <EMAIL_1>, call <PHONE_1>'
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["MaskingSettings", "MaskResult", "mask_text", "luhn_valid", "iban_valid"]


class MaskingSettings(BaseModel):
    """What to mask. ``patterns`` maps a placeholder name to a regex, e.g. ``{"ORDER": "ORD-\\d{6}"}``."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    emails: bool = True
    phones: bool = True
    cards: bool = True
    ibans: bool = True
    accounts: bool = True
    patterns: dict[str, str] = Field(default_factory=dict)

    @field_validator("patterns")
    @classmethod
    def _check_patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for name, pattern in value.items():
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
                raise ValueError(f"pattern name {name!r} must be letters, digits and _ (it becomes the placeholder <{name.upper()}_1>)")
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {name!r}: invalid regex {pattern!r}: {exc}") from None
            if compiled.match(""):
                raise ValueError(f"pattern {name!r}: regex {pattern!r} matches the empty string")
        return value


@dataclass(frozen=True)
class MaskResult:
    text: str
    counts: dict[str, int] = field(default_factory=dict)  # occurrences masked, per kind


def luhn_valid(digits: str) -> bool:
    """Luhn checksum of a digit string.

    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 mod-97 check.

    >>> iban_valid("GB82 WEST 1234 5698 7654 32"), iban_valid("GB82 WEST 1234 5698 7654 33")
    (True, False)
    """
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    rearranged = s[4:] + s[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# 13-19 digits, optionally grouped by single spaces or dashes
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
# Russian: +7 / 8 then 10 digits (3-digit code optionally in parentheses); international: +CC ...
_PHONE_RU = re.compile(
    r"(?<![\w+])(?:\+7|8)[ \-]?\(?\d{3}\)?[ \-]?\d{3}[ \-]?\d{2}[ \-]?\d{2}(?!\d)"
)
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ \-.]?\(?\d{1,4}\)?){2,5}(?!\d)")
_ACCOUNT_RU = re.compile(r"(?<!\d)\d{20}(?!\d)")
_ACCOUNT_KW = re.compile(
    r"(?i)(?:account|acct|a/c|iban|сч[её]т|р/с|л/с|к/с)(?:\s*(?:no\.?|number|#|№|n°))?[\s:#№.]*"
    r"(\d(?:[ -]?\d){7,19})(?!\d)"
)


def _phone_digits_ok(value: str) -> bool:
    n = sum(c.isdigit() for c in value)
    return 8 <= n <= 15


def _find_spans(text: str, s: MaskingSettings) -> list[tuple[int, int, str, str]]:
    """Candidate (start, end, kind, normalised value), in priority order."""
    found: list[tuple[int, int, str, str]] = []
    if s.emails:
        found += [(m.start(), m.end(), "EMAIL", m.group().lower()) for m in _EMAIL.finditer(text)]
    for name, pattern in s.patterns.items():
        found += [(m.start(), m.end(), name.upper(), m.group()) for m in re.finditer(pattern, text) if m.end() > m.start()]
    if s.ibans:
        for m in _IBAN.finditer(text):
            if iban_valid(m.group()):
                found.append((m.start(), m.end(), "IBAN", re.sub(r"\s", "", m.group())))
    if s.cards:
        for m in _CARD.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if luhn_valid(digits):
                found.append((m.start(), m.end(), "CARD", digits))
    if s.accounts:
        for m in _ACCOUNT_KW.finditer(text):
            found.append((m.start(1), m.end(1), "ACCOUNT", re.sub(r"\D", "", m.group(1))))
        found += [(m.start(), m.end(), "ACCOUNT", m.group()) for m in _ACCOUNT_RU.finditer(text)]
    if s.phones:
        for rx in (_PHONE_RU, _PHONE_INTL):
            for m in rx.finditer(text):
                if _phone_digits_ok(m.group()):
                    digits = re.sub(r"\D", "", m.group())
                    if rx is _PHONE_RU and digits.startswith("8"):
                        digits = "7" + digits[1:]
                    found.append((m.start(), m.end(), "PHONE", digits))
    return found


def mask_text(text: str, settings: MaskingSettings | None = None) -> MaskResult:
    """Replace PII in ``text`` with placeholders that are consistent within this text."""
    s = settings or MaskingSettings()
    if not s.enabled or not text:
        return MaskResult(text, {})
    taken: list[tuple[int, int, str, str]] = []
    for span in _find_spans(text, s):  # earlier detectors win overlaps
        if all(span[1] <= t[0] or span[0] >= t[1] for t in taken):
            taken.append(span)
    taken.sort()
    numbers: dict[tuple[str, str], int] = {}
    per_kind: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    out: list[str] = []
    pos = 0
    for start, end, kind, value in taken:
        key = (kind, value)
        if key not in numbers:
            per_kind[kind] += 1
            numbers[key] = per_kind[kind]
        counts[kind] += 1
        out.append(text[pos:start])
        out.append(f"<{kind}_{numbers[key]}>")
        pos = end
    out.append(text[pos:])
    return MaskResult("".join(out), dict(counts))
