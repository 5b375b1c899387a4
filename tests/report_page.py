"""The report page's tables and summary cards as text, for the tests that read report.html."""

from __future__ import annotations

from html.parser import HTMLParser


class Tables(HTMLParser):
    """Every table of the page as rows of cell texts, with the id of its section; the summary cards."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.cards: list[str] = []
        self.section, self.cell, self.card, self.depth = "", None, None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.section = a.get("id", "")
        elif tag == "table":
            self.tables.append((self.section, []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "div" and "card" in (a.get("class") or "").split():
            self.card, self.depth = [], 0
        if tag == "div" and self.card is not None:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][1][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "div" and self.card is not None:
            self.depth -= 1
            if self.depth == 0:
                self.cards.append(" ".join("".join(self.card).split()))
                self.card = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.card is not None:
            self.card.append(data)

    def first(self, section: str, *head: str) -> list[list[str]]:
        """The first table of ``section`` whose header row starts with ``head``."""
        return next(rows for sid, rows in self.tables if sid == section and rows and rows[0][:len(head)] == list(head))


def parse(page: str) -> Tables:
    p = Tables()
    p.feed(page)
    return p
