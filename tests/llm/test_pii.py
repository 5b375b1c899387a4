"""PII masking: each kind, consistency of placeholders, Luhn / IBAN checks, config regexes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from wslab.llm.pii import MaskingSettings, iban_valid, luhn_valid, mask_text


@pytest.mark.parametrize("text", [
    "write to ivan.petrov+spam@mail.example.ru please",
    "Contact: J.Doe@Example.COM.",
])
def test_emails_are_masked(text):
    r = mask_text(text)
    assert "@" not in r.text and "<EMAIL_1>" in r.text and r.counts == {"EMAIL": 1}


@pytest.mark.parametrize("phone", [
    "+7 (912) 345-67-89", "+7 912 345 67 89", "8 912 345 67 89", "8(912)3456789", "89123456789",
    "+79123456789", "+44 20 7946 0958", "+1 (415) 555-2671", "+49 30 901820",
])
def test_phones_international_and_russian(phone):
    r = mask_text(f"звоните {phone} сегодня")
    assert r.text == "звоните <PHONE_1> сегодня", r.text
    assert r.counts == {"PHONE": 1}


def test_same_value_same_placeholder_within_a_document():
    r = mask_text("Mail a@b.io, A@B.IO, c@d.io; call 8 912 345 67 89 or +7 (912) 345-67-89")
    assert r.text == "Mail <EMAIL_1>, <EMAIL_1>, <EMAIL_2>; call <PHONE_1> or <PHONE_1>"
    assert r.counts == {"EMAIL": 3, "PHONE": 2}


def test_cards_need_a_valid_luhn_checksum():
    r = mask_text("paid with 4111 1111 1111 1111, tried 4111-1111-1111-1112, id 1234567890123")
    assert r.text == "paid with <CARD_1>, tried 4111-1111-1111-1112, id 1234567890123"
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")  # the Wikipedia example


def test_iban_and_accounts():
    r = mask_text("IBAN GB82 WEST 1234 5698 7654 32, DE89370400440532013000 bad GB82WEST12345698765433; "
                  "р/с 40817810099910004312, account no. 12345678, year 2024, order 12345")
    assert r.text == ("IBAN <IBAN_1>, <IBAN_2> bad GB82WEST12345698765433; "
                      "р/с <ACCOUNT_1>, account no. <ACCOUNT_2>, year 2024, order 12345")
    assert iban_valid("DE89 3704 0044 0532 0130 00")


def test_ordinary_numbers_are_left_alone():
    text = "Tariff 1999 rub from 2024-05-01, 15% off, ISBN 978-3-16-148410-0, 3.14159"
    assert mask_text(text).text == text


def test_config_patterns_and_switches():
    s = MaskingSettings(patterns={"order": r"ORD-\d{6}"}, emails=False)
    r = mask_text("ORD-123456 and ORD-123456, a@b.io", s)
    assert r.text == "<ORDER_1> and <ORDER_1>, a@b.io" and r.counts == {"ORDER": 2}
    assert mask_text("a@b.io", MaskingSettings(enabled=False)).text == "a@b.io"


@pytest.mark.parametrize("patterns, fragment", [
    ({"x": "("}, "invalid regex"), ({"x": "a*"}, "empty string"), ({"bad name": "x"}, "pattern name"),
])
def test_bad_config_patterns_are_rejected(patterns, fragment):
    with pytest.raises(ValidationError, match=fragment):
        MaskingSettings(patterns=patterns)
    with pytest.raises(ValidationError, match="extra"):
        MaskingSettings(unknown=True)


def _with_luhn_digit(body: str) -> str:
    for d in "0123456789":
        if luhn_valid(body + d):
            return body + d
    raise AssertionError


@settings(max_examples=60, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=15, max_size=15).filter(lambda s: s[0] in "3456"),
       sep=st.sampled_from(["", " ", "-"]))
def test_any_luhn_valid_card_is_masked(body, sep):
    number = _with_luhn_digit(body)
    grouped = sep.join(number[i:i + 4] for i in range(0, 16, 4))
    r = mask_text(f"card {grouped} thanks")
    assert r.text == "card <CARD_1> thanks"
    assert not re.search(r"\d{4}", r.text)
