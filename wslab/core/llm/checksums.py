"""Check digits of the identifiers :mod:`wslab.core.llm.pii` masks only when they are valid: card numbers
(Luhn), IBANs (ISO 13616 mod 97), Russian INNs and SNILS numbers. A mistyped number fails its
check and is left as written.
"""

from __future__ import annotations

import re

__all__ = ["luhn_valid", "iban_valid", "inn_valid", "snils_valid"]


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


_INN_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(c) * w for c, w in zip(digits, weights)) % 11 % 10


def inn_valid(inn: str) -> bool:
    """Check digits of a Russian INN: 10 digits (organisation) or 12 (person).

    >>> inn_valid("7707083893"), inn_valid("7707083894"), inn_valid("500100732259")
    (True, False, True)
    """
    if not (inn.isascii() and inn.isdigit()) or inn[:2] == "00":
        return False
    if len(inn) == 10:
        return _inn_digit(inn, _INN_W10) == int(inn[9])
    if len(inn) == 12:
        return _inn_digit(inn, _INN_W11) == int(inn[10]) and _inn_digit(inn, _INN_W12) == int(inn[11])
    return False


def snils_valid(snils: str) -> bool:
    """SNILS checksum (defined for numbers above 001-001-998); spaces and dashes are ignored.

    >>> snils_valid("112-233-445 95"), snils_valid("112-233-445 96")
    (True, False)
    """
    d = re.sub(r"[\s-]", "", snils)
    if not re.fullmatch(r"[0-9]{11}", d) or int(d[:9]) <= 1001998:
        return False
    total = sum(int(c) * w for c, w in zip(d[:9], range(9, 0, -1)))
    return total % 101 % 100 == int(d[9:])
