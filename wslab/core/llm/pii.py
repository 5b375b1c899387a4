"""PII masking applied to every text before it leaves the machine.

Detected, each with its placeholder kind:

* ``EMAIL``: e-mail addresses, also with Cyrillic (IDN) or punycode domains.
* ``PHONE``: ``+CC ...`` and ``00CC ...`` international numbers; Russian numbers with ``+7``,
  ``7``, ``8`` or no country code (10 digits starting 3, 4, 8 or 9 whose first group is a 3-5
  digit area code, ``4862 12-34-56``; ungrouped, only a mobile number starting 9); groups
  separated by spaces, dashes or minus signs (U+2212; with or without spaces around them), dots or parentheses; glued
  to a word (``тел89161234567``). Numbers grouped by thousands (``8 900 000 000``) are amounts.
* ``CARD``: 13-19 digits that pass the Luhn check, ungrouped or in groups separated by one
  space, two spaces, a dash (spaces around it allowed), a dot, ``_`` or ``/`` (one kind of
  separator per number), also wrapped across a line.
* ``CVV``: 3-4 digits after CVV / CVC / CVV2 / CID / "код безопасности", and 3 digits right
  after a card number (optionally after its expiry ``MM/YY``).
* ``IBAN``: ISO 13616 with a valid mod-97 check.
* ``ACCOUNT``: 20-digit Russian accounts; 8-20 digits after "account", "acct", "счёт", "р/с"...
* ``PASSPORT``: Russian passport series and number, ``45 06 123456`` or ``45-06-123456`` (a
  plausible series: region 01-99, blank year 97-99 or 00 to next year), or 4+6 digits in any
  spacing after "паспорт", "passport", "серия".
* ``INN``: 10 and 12 digits with valid INN check digits; grouped (``7707 083 893``) after "ИНН".
* ``SNILS``: ``XXX-XXX-XXX YY`` (or 11 digits) with a valid SNILS checksum.
* ``BIK``: 9 digits starting ``04``.
* ``DOB``: a date (``01.02.1985``, ``1985-02-01``, ``1 февраля 1985``, ``Feb 1, 1985``) within a
  few words after "дата рождения", "д.р.", "родился", "DOB", "born", "date of birth"..., or
  right before "г.р."; the date must exist in the calendar.
* Any regex from the config (``patterns``), and spans returned by an optional NER hook
  (``ner``: a callable, or ``"module:function"`` in the config).

Not masked: names, addresses and other free-text PII unless a ``ner`` hook finds them;
identifiers whose check digits fail (a mistyped INN, SNILS or card stays as written); passport
numbers without a keyword unless written ``DD DD DDDDDD``; a birth year alone; ordinary dates,
amounts and order numbers.

Within one document the same value always gets the same placeholder (``<EMAIL_1>``,
``<PHONE_2>``...), so a model still sees that two mentions are the same person. Where two
detections overlap, their union is masked (no character any detector flags is sent), under the
kind of the detector listed first in ``_find_spans``. The original values are never stored;
only counts per kind are returned, for the run manifest. Check digits live in
:mod:`wslab.core.llm.checksums`, the NER hook in :mod:`wslab.core.llm.ner`.

>>> mask_text("Mail a@b.io or A@B.io, call +7 (912) 345-67-89").text
'Mail <EMAIL_1> or <EMAIL_1>, call <PHONE_1>'
>>> mask_text("ИНН 7707083893, СНИЛС 112-233-445 95, заказ 1234567890").text
'ИНН <INN_1>, СНИЛС <SNILS_1>, заказ 1234567890'
"""

from __future__ import annotations

import bisect
import datetime as _dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema, field_serializer, field_validator

from wslab.core.llm.checksums import iban_valid, inn_valid, luhn_valid, snils_valid
from wslab.core.validation import Strict
from wslab.core.llm.ner import KIND_NAME, NerHook, hook_name, load_ner_hook, ner_spans

__all__ = ["MaskingSettings", "MaskResult", "mask_text", "luhn_valid", "iban_valid", "inn_valid",
           "snils_valid", "load_ner_hook"]


class MaskingSettings(Strict):
    """What to mask. ``patterns`` maps a placeholder name to a regex, e.g. ``{"ORDER": "ORD-\\d{6}"}``.

    ``ner`` is an optional hook that finds what regexes cannot (names, addresses): a callable,
    or ``"package.module:function"`` in the config. Without it, names and addresses are sent as
    they are.
    """

    enabled: bool = True
    emails: bool = True
    phones: bool = True
    cards: bool = True
    cvv: bool = True
    ibans: bool = True
    accounts: bool = True
    passports: bool = True
    inns: bool = True
    snils: bool = True
    biks: bool = True
    birth_dates: bool = True
    patterns: dict[str, str] = Field(default_factory=dict)
    ner: Annotated[NerHook | None, WithJsonSchema({"type": ["string", "null"]})] = None

    @field_validator("patterns")
    @classmethod
    def _check_patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for name, pattern in value.items():
            if not KIND_NAME.fullmatch(name):
                raise ValueError(f"pattern name {name!r} must be letters, digits and _ (it becomes the placeholder <{name.upper()}_1>)")
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {name!r}: invalid regex {pattern!r}: {exc}") from None
            if compiled.match(""):
                raise ValueError(f"pattern {name!r}: regex {pattern!r} matches the empty string")
        return value

    @field_validator("ner", mode="before")
    @classmethod
    def _load_ner(cls, value: Any) -> Any:
        if isinstance(value, str):
            return load_ner_hook(value)
        if value is not None and not callable(value):
            raise ValueError(f"expected a callable or 'package.module:function'; got {type(value).__name__}")
        return value

    @field_serializer("ner")
    def _ner_name(self, hook: NerHook | None) -> str | None:
        """The hook's import path, so that settings stay JSON (run fingerprints, manifests)."""
        return None if hook is None else hook_name(hook)


@dataclass(frozen=True)
class MaskResult:
    text: str
    counts: dict[str, int] = field(default_factory=dict)  # occurrences masked, per kind


_SP = r"[ \t\u00a0\u2009\u202f]"  # a space inside a number (also no-break and thin spaces)
_DASH = r"[-\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d]"  # also the minus sign U+2212
_LETTER_BEFORE = r"(?<![^\W\d_])"  # not glued to a preceding letter
_LETTER_AFTER = r"(?![^\W\d_])"

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@(?:[^\W_][\w-]*\.)+(?:[^\W\d_]{2,}|(?i:xn--[a-z0-9-]+))(?![\w-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")

# A run of digit groups: what a card or phone number could be split from.
_CARD_SEP = rf"(?:{_SP}*(?:{_DASH}|[._/]){_SP}*|{_SP}{{1,2}}|{_SP}*\r?\n{_SP}*)"
_CARD_RUN = re.compile(rf"(?<!\d)\d+(?:{_CARD_SEP}\d+)*")
_PHONE_SEP = rf"(?:{_SP}*(?:{_DASH}|\.|\(|\)){_SP}*|{_SP}+)"
_PHONE_RUN = re.compile(rf"(?<![\d+])(?:\+{_SP}?)?(?:\({_SP}?)?\d+(?:{_PHONE_SEP}\d+)*")
_DIGITS = re.compile(r"\d+")
_ONE_SPACE = re.compile(_SP)

_ACCOUNT_RU = re.compile(r"(?<!\d)\d{20}(?!\d)")
_ACCOUNT_KW = re.compile(
    r"(?i)(?:account|acct|a/c|iban|сч[её]т|р/с|л/с|к/с)(?:\s*(?:no\.?|number|#|№|n°))?[\s:#№.]*"
    r"(\d(?:[ -]?\d){7,19})(?!\d)"
)
_NUMBER = re.compile(r"(?<!\d)(?:\d{9}|\d{10}|\d{11}|\d{12})(?!\d)")
_SNILS_FORMATTED = re.compile(
    rf"(?<!\d)\d{{3}}{_DASH}?{_SP}?\d{{3}}{_DASH}?{_SP}?\d{{3}}(?:{_SP}{{1,2}}|{_DASH}){_SP}?\d{{2}}(?!\d)")
_PASSPORT_KW_NUMBER = re.compile(rf"(?<!\d)(\d{{2}}(?:{_SP}|{_DASH})?\d{{2}})[^\d\n]{{0,12}}?(\d{{6}})(?!\d)")
_PASSPORT_FORMATTED = re.compile(
    rf"(?<!\d)(\d{{2}})(?:{_SP}|{_DASH})(\d{{2}})(?:{_SP}|{_DASH})(?:№{_SP}?)?\d{{6}}(?!\d)")
_GROUPED_NUMBER = re.compile(rf"(?<!\d)\d+(?:(?:{_SP}|{_DASH})\d+)+(?!\d)")


def _keyword_before(words: str, gap: int = 20) -> re.Pattern[str]:
    """A keyword, then at most ``gap`` characters without a digit, then the end of the search window."""
    return re.compile(rf"(?i){_LETTER_BEFORE}(?:{words}){_LETTER_AFTER}[^\d\n]{{0,{gap}}}$")


_KW_INN = _keyword_before(r"инн|inn|taxpayer\s+id")
_KW_SNILS = _keyword_before(r"снилс|snils|страхов\w*\s+(?:номер|свидетельств\w*)")
_KW_BIK = _keyword_before(r"бик|bik|bic")
_KW_PASSPORT = _keyword_before(r"паспорт\w*|passport|сери[яи]|series", 25)
_KW_DOB = _keyword_before(r"дат[аыу]\s+рожд\w*|д\.\s?р\.|д/р|рождени[яе]|родил(?:ся|ась|ись)|"
                          r"date\s+of\s+birth|birth\s?date|birthday|d\.o\.b\.?|dob|born", 25)
_KW_CVV = re.compile(
    r"(?i)" + _LETTER_BEFORE + r"(?:cvv2?|cvc2?|cvn2?|cav2|cid|csc|код\w*\s+безопасности|защитн\w+\s+код\w*)"
    + _LETTER_AFTER + r"[^\w\n]{0,5}(?:(?:код|code|is|=)[^\w\n]{0,5})?(?<!\d)(\d{3,4})(?!\d)")
_AFTER_CARD_CVV = re.compile(
    rf"{_SP}*[,;:/]?{_SP}*(?:(?:exp\w*\.?|срок\w*|до|valid\w*)?(?:{_SP}|:)*"
    rf"(?:0[1-9]|1[0-2]){_SP}?/{_SP}?(?:\d{{4}}|\d{{2}}){_SP}*[,;]?{_SP}*)?(\d{{3}})(?!\d)")

_MONTHS_RU = (r"(?:январ[яь]|феврал[яь]|марта?|апрел[яь]|ма[яй]|июн[яь]|июл[яь]|августа?|сентябр[яь]|"
              r"октябр[яь]|ноябр[яь]|декабр[яь])")
_MONTHS_EN = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
              r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE = re.compile(
    r"(?i)(?<!\d)(?:"
    r"(?P<d1>\d{1,2})[./-](?P<m1>\d{1,2})(?:[./-](?P<y1>\d{4}|\d{2}))?"
    r"|(?P<y2>\d{4})-(?P<m2>\d{1,2})-(?P<d2>\d{1,2})"
    rf"|(?P<d3>\d{{1,2}}){_SP}+(?P<m3>{_MONTHS_RU}|{_MONTHS_EN}),?(?:{_SP}+(?P<y3>\d{{4}}))?(?:{_SP}*г(?:ода|\.)?)?"
    rf"|(?P<m4>{_MONTHS_EN}){_SP}+(?P<d4>\d{{1,2}})(?:st|nd|rd|th)?(?:,?{_SP}+(?P<y4>\d{{4}}))?"
    r")(?!\d)")
_DOB_AFTER = re.compile(rf"{_SP}*(?:г\.{_SP}?р\.?|г/р|года{_SP}+рождения)")

_MONTH_NUMBER = {p: i + 1 for i, p in enumerate(
    ["янв", "фев", "мар", "апр", "ма", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"])}
_MONTH_NUMBER_EN = {p: i + 1 for i, p in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}

Span = tuple[int, int, str, str]  # start, end, kind, normalised value


def _month(name: str) -> int:
    n = name.lower()
    if n[:3] in _MONTH_NUMBER_EN:
        return _MONTH_NUMBER_EN[n[:3]]
    return next(v for k, v in _MONTH_NUMBER.items() if n.startswith(k))


def _real_date(day: str | None, month: str | int | None, year: str | None) -> bool:
    if day is None or month is None:
        return False
    y = int(year) if year and len(year) == 4 else 2000  # 2000: a leap year, so 29.02 passes
    if not 1900 <= y <= 2100:
        return False
    try:
        _dt.date(y, int(month), int(day))
    except ValueError:
        return False
    return True


def _date_ok(m: re.Match[str]) -> bool:
    g = m.groupdict()
    if g["d1"] is not None:  # day first (Russian), or month first (US)
        return _real_date(g["d1"], g["m1"], g["y1"]) or _real_date(g["m1"], g["d1"], g["y1"])
    if g["y2"] is not None:
        return _real_date(g["d2"], g["m2"], g["y2"])
    if g["d3"] is not None:
        return _real_date(g["d3"], _month(g["m3"]), g["y3"])
    return _real_date(g["d4"], _month(g["m4"]), g["y4"])


def _after_keyword(text: str, start: int, keyword: re.Pattern[str]) -> bool:
    return keyword.search(text, max(0, start - 40), start) is not None


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", value).casefold()


def _groups(text: str, run: re.Match[str]) -> list[tuple[int, int]]:
    return [(g.start(), g.end()) for g in _DIGITS.finditer(text, run.start(), run.end())]


def _number_bounds(text: str, groups: list[tuple[int, int]]) -> list[bool]:
    """``bounds[k]``: a number may start at group k / end at group k-1 (a space separates them,
    or it is an end of the run); a run is split only there, never inside ``978-3-16-148410-0``."""
    inner = [any(c.isspace() for c in text[groups[k - 1][1]:groups[k][0]]) for k in range(1, len(groups))]
    return [True, *inner, True]


# Card layouts looked for inside a longer run of digit groups (a whole run may be grouped any way)
_CARD_LAYOUTS = ((4, 4, 4, 4, 3), (4, 4, 4, 4), (4, 6, 5), *((n,) for n in range(19, 12, -1)))


def _sep_kind(sep: str) -> str | None:
    """A separator between digit groups as its kind: the dash, dot, ``_`` or ``/`` in it, or the
    spaces; None for a line break (a number wrapped across lines keeps its own separator)."""
    if "\n" in sep:
        return None
    inner = sep.strip(" \t\u00a0\u2009\u202f")
    return inner if inner else sep


def _card_digits(text: str, groups: list[tuple[int, int]]) -> str | None:
    seps = {_sep_kind(text[groups[k][1]:groups[k + 1][0]]) for k in range(len(groups) - 1)} - {None}
    digits = "".join(text[a:b] for a, b in groups)
    return digits if len(seps) <= 1 and 13 <= len(digits) <= 19 and luhn_valid(digits) else None


def _cards(text: str) -> list[Span]:
    """Luhn-valid card numbers. When a whole run of digit groups is not one, a card is looked
    for inside it (``4111 1111 1111 1111 123``), in the usual layouts only, starting 2-6."""
    found: list[Span] = []
    for run in _CARD_RUN.finditer(text):
        groups = _groups(text, run)
        digits = _card_digits(text, groups) if len(groups) <= 19 else None
        if digits:
            found.append((groups[0][0], groups[-1][1], "CARD", digits))
            continue
        if len(groups) == 1:
            continue
        bounds = _number_bounds(text, groups)
        lens = [b - a for a, b in groups]
        i = 0
        while i < len(groups):
            if bounds[i] and text[groups[i][0]] in "23456":
                for layout in _CARD_LAYOUTS:
                    j = i + len(layout)
                    if tuple(lens[i:j]) == layout and bounds[j] and (digits := _card_digits(text, groups[i:j])):
                        found.append((groups[i][0], groups[j - 1][1], "CARD", digits))
                        i = j - 1
                        break
            i += 1
    return found


def _phone_value(text: str, groups: list[tuple[int, int]], plus: bool) -> str | None:
    """Normalised digits if these digit groups make a phone number, else None."""
    parts = [text[a:b] for a, b in groups]
    digits = "".join(parts)
    n = len(digits)
    if plus:
        return digits if 8 <= n <= 15 and digits[0] != "0" else None
    if digits.startswith("00"):  # 00 + country code; 1 and 7 are the only 1-digit codes (11 digits)
        rest, cc = digits[2:], parts[0][2:]
        if rest[:1] in ("1", "7"):
            ok = len(rest) == 11 and len(cc) <= 1
        else:
            ok = 8 <= len(rest) <= 15 and rest[0] != "0" and len(cc) in (0, 2, 3)
        return rest if ok else None
    if n not in (10, 11):
        return None
    if (len(parts) > 1 and len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])
            and all(_ONE_SPACE.fullmatch(text, groups[k][1], groups[k + 1][0]) for k in range(len(groups) - 1))):
        return None  # thousands grouping: an amount
    first = len(parts[0])
    if n == 11 and digits[0] in "78" and digits[1] in "3489" and first != 2 and first != 3:
        return "7" + digits[1:]  # 8 912..., 8(912)..., 8912...: not 89 12... or 891 2...
    if n == 10 and digits[0] in "3489" and (first == 3 or first in (4, 5) and len(parts) > 2
                                             or first == 10 and digits[0] == "9"):
        return "7" + digits  # area code, then the number (4862 12-34-56, not 4506 123456)
    return None


def _phones(text: str) -> list[Span]:
    found: list[Span] = []
    for run in _PHONE_RUN.finditer(text):
        groups = _groups(text, run)
        plus = run.group().startswith("+")
        bounds = _number_bounds(text, groups)
        ends = [0]
        for a, b in groups:
            ends.append(ends[-1] + b - a)  # digits before group k: ends[k]
        i = 0
        while i < len(groups):
            for j in range(min(len(groups), i + 8) - 1, i - 1, -1):
                if not (bounds[i] and bounds[j + 1] and 8 <= ends[j + 1] - ends[i] <= 17):
                    continue
                value = _phone_value(text, groups[i:j + 1], plus and i == 0)
                if value is not None:
                    start = run.start() if i == 0 else groups[i][0]
                    end = groups[j][1]
                    if text[start] == "(" and ")" not in text[start:end]:
                        start += 1
                    found.append((start, end, "PHONE", value))
                    i = j
                    break
            i += 1
    return found


def _passport_series_plausible(region: str, year: str) -> bool:
    yy = int(year)
    return region != "00" and (yy >= 97 or yy <= _dt.date.today().year % 100 + 1)


def _find_spans(text: str, s: MaskingSettings) -> list[Span]:
    """Candidate spans in priority order (the first detector names a merged span)."""
    found: list[Span] = []
    if s.ner is not None:
        found += [(a, b, kind, _norm(text[a:b])) for a, b, kind in ner_spans(text, s.ner)]
    if s.emails and "@" in text:
        found += [(m.start(), m.end(), "EMAIL", m.group().lower()) for m in _EMAIL.finditer(text)]
    for name, pattern in s.patterns.items():
        found += [(m.start(), m.end(), name.upper(), m.group()) for m in re.finditer(pattern, text) if m.end() > m.start()]
    if _DIGITS.search(text) is None:  # every other kind has digits
        return found
    found += _payment_spans(text, s)
    # Bare numbers: after their keyword they outrank phones; alone they come after phones.
    keyed, bare = _identifier_spans(text, s)
    found += keyed
    if s.passports:
        for m in _PASSPORT_FORMATTED.finditer(text):
            if _passport_series_plausible(m.group(1), m.group(2)):
                found.append((m.start(), m.end(), "PASSPORT", re.sub(r"\D", "", m.group())))
    if s.accounts:
        found += [(m.start(), m.end(), "ACCOUNT", m.group()) for m in _ACCOUNT_RU.finditer(text)]
    if s.phones:
        found += _phones(text)
    found += bare
    return found


def _payment_spans(text: str, s: MaskingSettings) -> list[Span]:
    """IBANs, card numbers and CVVs (after their keyword, or right after a card number)."""
    found: list[Span] = []
    if s.ibans:
        for m in _IBAN.finditer(text):
            if iban_valid(m.group()):
                found.append((m.start(), m.end(), "IBAN", re.sub(r"\s", "", m.group())))
    cards = _cards(text) if (s.cards or s.cvv) else []
    if s.cards:
        found += cards
    if s.cvv:
        found += [(m.start(1), m.end(1), "CVV", m.group(1)) for m in _KW_CVV.finditer(text)]
        for _, end, _, _ in cards:
            m = _AFTER_CARD_CVV.match(text, end)
            if m:
                found.append((m.start(1), m.end(1), "CVV", m.group(1)))
    return found


def _identifier_spans(text: str, s: MaskingSettings) -> tuple[list[Span], list[Span]]:
    """Passports, INN, SNILS, BIK, accounts and birth dates: (after their keyword, bare numbers)."""
    numbers = [(m.start(), m.end(), m.group()) for m in _NUMBER.finditer(text)]
    keyed: list[Span] = []
    bare: list[Span] = []

    def add(start: int, end: int, kind: str, value: str, keyword: re.Pattern[str]) -> None:
        (keyed if _after_keyword(text, start, keyword) else bare).append((start, end, kind, value))

    if s.passports:
        for m in _PASSPORT_KW_NUMBER.finditer(text):
            if _after_keyword(text, m.start(), _KW_PASSPORT):
                keyed.append((m.start(), m.end(), "PASSPORT", re.sub(r"\D", "", m.group(1)) + m.group(2)))
    if s.inns:
        for a, b, v in numbers:
            if len(v) in (10, 12) and inn_valid(v):
                add(a, b, "INN", v, _KW_INN)
        for m in _GROUPED_NUMBER.finditer(text):  # 7707 083 893, 7707-083-893: after the keyword only
            v = re.sub(r"\D", "", m.group())
            if len(v) in (10, 12) and inn_valid(v) and _after_keyword(text, m.start(), _KW_INN):
                keyed.append((m.start(), m.end(), "INN", v))
    if s.snils:
        for m in _SNILS_FORMATTED.finditer(text):
            if snils_valid(m.group()):
                keyed.append((m.start(), m.end(), "SNILS", re.sub(r"\D", "", m.group())))
        for a, b, v in numbers:
            if len(v) == 11 and snils_valid(v):
                add(a, b, "SNILS", v, _KW_SNILS)
    if s.biks:
        for a, b, v in numbers:
            if len(v) == 9 and v.startswith("04") and v[2:4] != "00":
                add(a, b, "BIK", v, _KW_BIK)
    if s.accounts:
        for m in _ACCOUNT_KW.finditer(text):
            keyed.append((m.start(1), m.end(1), "ACCOUNT", re.sub(r"\D", "", m.group(1))))
    if s.birth_dates:
        for m in _DATE.finditer(text):
            if _date_ok(m) and (_after_keyword(text, m.start(), _KW_DOB) or _DOB_AFTER.match(text, m.end())):
                keyed.append((m.start(), m.end(), "DOB", _norm(m.group())))
    return keyed, bare


def _resolve_overlaps(text: str, candidates: list[Span]) -> list[Span]:
    """Keep the candidates in priority order; one inside a kept span is dropped, one that
    overlaps kept spans partly is merged with them (the kept kind names the union)."""
    starts: list[int] = []
    kept: list[Span] = []  # sorted by start, disjoint
    for span in candidates:
        start, end = span[0], span[1]
        i = bisect.bisect_right(starts, start) - 1
        lo = i if i >= 0 and kept[i][1] > start else i + 1
        hi = lo
        while hi < len(kept) and kept[hi][0] < end:
            hi += 1
        if lo == hi:
            kept.insert(lo, span)
            starts.insert(lo, start)
            continue
        if hi - lo == 1 and kept[lo][0] <= start and end <= kept[lo][1]:
            continue
        new_start, new_end = min(start, kept[lo][0]), max(end, kept[hi - 1][1])
        merged = (new_start, new_end, kept[lo][2], _norm(text[new_start:new_end]))
        kept[lo:hi] = [merged]
        starts[lo:hi] = [new_start]
    return kept


def mask_text(text: str, settings: MaskingSettings | None = None) -> MaskResult:
    """Replace PII in ``text`` with placeholders that are consistent within this text."""
    s = settings or MaskingSettings()
    if not s.enabled or not text:
        return MaskResult(text, {})
    numbers: dict[tuple[str, str], int] = {}
    per_kind: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    out: list[str] = []
    pos = 0
    for start, end, kind, value in _resolve_overlaps(text, _find_spans(text, s)):
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
