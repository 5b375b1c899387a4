"""Issue 22: PII of the README's kinds written in ways that were sent raw. Each text goes through
``wslab llm-label`` to the fake server; what the server received holds no digit of the value."""

from __future__ import annotations

import polars as pl
from typer.testing import CliRunner

from fake_openai_server import user_text
from wslab.app.cli import app

# name: (text, the value that must not reach the server, placeholder kind)
CASES = {
    "phone_minus_sign": ("call me at +7 912 345\u221267\u221289 tonight", "912 345\u221267\u221289", "PHONE"),
    "phone_spaced_minus_signs": ("тел. 8 (912) 345 \u2212 67 \u2212 89", "345 \u2212 67 \u2212 89", "PHONE"),
    "card_spaced_dashes": ("card 4111 - 1111 - 1111 - 1111 was declined", "4111 - 1111 - 1111 - 1111", "CARD"),
    "card_underscores": ("my card 5500_0000_0000_0004 expired", "5500_0000_0000_0004", "CARD"),
    "card_slashes": ("paid with 4111/1111/1111/1111 yesterday", "4111/1111/1111/1111", "CARD"),
    "card_wrapped_across_a_line": ("the card is 4111 1111\n1111 1111, please block it", "1111\n1111", "CARD"),
    "passport_dashes": ("паспорт 45-03-123456 выдан в 2005", "45-03-123456", "PASSPORT"),
    "passport_dashes_no_keyword": ("документ 45-03-123456 приложен", "45-03-123456", "PASSPORT"),
    "inn_grouped_spaces": ("ИНН 7707 083 893, КПП 773601001", "7707 083 893", "INN"),
    "inn_grouped_dashes": ("ИНН организации 7707-083-893", "7707-083-893", "INN"),
    "inn_12_grouped": ("inn 500 100 732 259", "500 100 732 259", "INN"),
}
KEEP = ["order 7707 083 893 shipped", "ISBN 978-3-16-148410-0", "on 01/02/2024 we paid 1500/2000"]


def test_pii_written_these_ways_is_masked(server, tmp_path):
    srv = server(lambda body: {"label": "ham"})
    names = sorted(CASES)
    texts = [f"case {n}: {CASES[n][0]}" for n in names] + KEEP
    corpus = tmp_path / "corpus.csv"
    pl.DataFrame({"id": [f"t{i}" for i in range(len(texts))], "text": texts}).write_csv(corpus)
    res = CliRunner().invoke(app, ["llm-label", "--corpus", str(corpus), "--labels", "ham,spam", "--model", "fake",
                                   "--base-url", srv.base_url, "--out", str(tmp_path / "llm.csv"), "-q"])
    assert res.exit_code == 0, res.output
    sent = [user_text(r.body) for r in srv.requests]
    assert len(sent) == len(texts)
    for name in names:
        text, value, kind = CASES[name]
        doc = next(s for s in sent if f"case {name}:" in s)
        assert value not in doc and f"<{kind}_1>" in doc, (name, doc)
    for text in KEEP:  # not PII: sent as written
        assert any(text in s for s in sent), text

