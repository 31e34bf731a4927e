"""What a reader must never find on a report page (issue 18, item 6), as one check.

:func:`page_problems` reads a rendered page the way a stakeholder does (the visible text, split
into prose, headers and table cells, the body apart from the folded appendix) and lists each
slip with the page's name and the words around it:

* an unfilled placeholder: ``{...}`` or a bare ``N`` where a number belongs, ``nan``, ``None``,
  ``NaT`` or ``<NA>``;
* a raw snake_case name in prose or a header (file names such as ``target_list.csv`` are fine;
  code spans are the data team's);
* a number printed with more than three decimals;
* a sentence whose condition does not hold on this data (:data:`CONDITIONAL`);
* a table in the body wider than :data:`MAX_BODY_COLUMNS` columns or longer than
  :data:`MAX_BODY_ROWS` rows.

The end-to-end runs (the default data set, every export shape, the UCI export) call
:func:`run_problems` on their run folder, so the check costs no run of its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

MAX_BODY_COLUMNS = 8
"""At most about seven columns in the body (issue 18); eight leaves room for a label column."""
MAX_BODY_ROWS = 16
"""At most 15 rows in the body, plus the header row."""

_SKIPPED = {"style", "script"}
_CODE = {"code", "pre"}
_HEADERS = {"h1", "h2", "h3", "h4", "h5", "h6", "th", "summary"}
_BLOCKS = {"p", "li", "div", "section", "tr", "table", "br", "ul", "ol", "dl", "dt", "dd",
           "h1", "h2", "h3", "h4", "h5", "h6", "summary", "details", "nav", "footer"}

PLACEHOLDER = re.compile(r"\{[^{}\s]*\}|(?<![\w.,-])N(?![\w.,'\u2019-])|\bnan\b|\bNaN\b|\bNaT\b"
                         r"|<NA>|\bNone\b(?!\s+(?:of|were|was|is|are|bought|has|had)\b)")
"""``{share}``, a bare N, pandas' missing markers; "None of them" is English."""
SNAKE = re.compile(r"(?<![\w./-])(?=[a-z0-9_]*[a-z])[a-z0-9]+(?:_[a-z0-9]+)+(?![\w/-]|\.(?:csv|"
                   r"parquet|ipynb|html|json|log|png)\b)")
"""``value_at_risk`` or ``01_data_cleaning``; a file name (``target_list.csv``) is fine."""
LONG_DECIMALS = re.compile(r"(?<![\w.])\d[\d,]*\.\d{4,}(?!\d)")


@dataclass
class _Piece:
    kind: str  # "prose", "header" or "cell"
    appendix: bool
    text: str


@dataclass
class _Table:
    appendix: bool
    rows: int = 0
    columns: int = 0
    _cells: int = 0


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[_Piece] = []
        self.tables: list[_Table] = []
        self._stack: list[tuple[str, dict]] = []
        self._text: list[str] = []
        self._open_tables: list[_Table] = []

    def _inside(self, tag: str, cls: str | None = None) -> bool:
        return any(t == tag and (cls is None or cls in (a.get("class") or "").split())
                   for t, a in self._stack)

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._text)).strip()
        self._text = []
        if not text:
            return
        if any(t in _HEADERS for t, _ in self._stack):
            kind = "header"
        elif any(t == "td" for t, _ in self._stack):
            kind = "cell"
        else:
            kind = "prose"
        self.pieces.append(_Piece(kind, self._inside("section", "appendix"), text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS or tag in ("td", "th"):
            self._flush()
        if tag in ("br", "img", "meta", "input", "hr", "link"):
            return
        self._stack.append((tag, dict(attrs)))
        if tag == "table":
            table = _Table(self._inside("section", "appendix") or self._inside("details", "run"))
            self.tables.append(table)
            self._open_tables.append(table)
        elif tag == "tr" and self._open_tables:
            self._open_tables[-1].rows += 1
            self._open_tables[-1]._cells = 0
        elif tag in ("td", "th") and self._open_tables:
            table = self._open_tables[-1]
            table._cells += int(dict(attrs).get("colspan") or 1)
            table.columns = max(table.columns, table._cells)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS or tag in ("td", "th"):
            self._flush()
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break
        if tag == "table" and self._open_tables:
            self._open_tables.pop()

    def handle_data(self, data: str) -> None:
        if any(t in _SKIPPED or t in _CODE for t, _ in self._stack):
            return
        if self._inside("details", "run"):  # the run log on the front page, for the data team
            return
        self._text.append(data)


@dataclass(frozen=True)
class Facts:
    """What the data holds, for the sentences that depend on it."""

    has_items: bool
    has_amounts: bool
    has_tickets: bool
    has_campaigns: bool
    synthetic: bool
    data_words: frozenset[str] = frozenset()
    """Text values of the data (channels, categories, regions): shown as written, even when
    they look like snake_case."""


CONDITIONAL: tuple[tuple[re.Pattern[str], str, bool], ...] = (
    (re.compile(r"[Ww]ithout order items"), "has_items", False),
    (re.compile(r"carry no amounts|log without amounts"), "has_amounts", False),
    (re.compile(r"[Ss]ynthetic data:|[Oo]n this synthetic data|against the generator"),
     "synthetic", True),
    (re.compile(r"\b[1-9][\d,]* customers raised tickets"), "has_tickets", True),
    (re.compile(r"[Ee]ach campaign sent"), "has_campaigns", True),
)
"""A phrase, the fact it presumes and the value it presumes: "without order items" may only be
written when the export has none."""


def facts_of(data_root: Path, processed: Path) -> Facts:
    """The facts of a run, from its processed tables and the raw folder."""

    def rows(name: str) -> int:
        path = processed / f"{name}.parquet"
        return len(pd.read_parquet(path)) if path.is_file() else 0

    orders = processed / "orders.parquet"
    amounts = orders.is_file() and "amount" in pd.read_parquet(orders).columns and bool(
        pd.read_parquet(orders, columns=["amount"])["amount"].notna().any())
    words: set[str] = set()
    for path in processed.glob("*.parquet"):
        frame = pd.read_parquet(path)
        for column in frame.columns:
            values = frame[column]
            if values.dtype.kind == "O" or isinstance(values.dtype, (pd.StringDtype,
                                                                      pd.CategoricalDtype)):
                distinct = values.dropna().astype(str).unique()
                if len(distinct) <= 1_000:
                    words.update(distinct)
    return Facts(has_items=rows("order_items") > 0, has_amounts=amounts,
                 has_tickets=rows("service_tickets") > 0,
                 has_campaigns=rows("campaign_contacts") > 0 or rows("campaigns") > 0,
                 synthetic=(data_root / "raw" / "_truth").is_dir(),
                 data_words=frozenset(words))


def _around(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - 40): match.end() + 40]


def page_problems(page: Path, facts: Facts | None = None) -> list[str]:
    """Every slip of the reader's text on ``page``, each as ``"<page>: <what>: <words>"``."""
    reader = _Reader()
    reader.feed(page.read_text(encoding="utf-8"))
    reader.close()
    found: list[str] = []
    for piece in reader.pieces:
        if piece.kind != "cell":
            for m in PLACEHOLDER.finditer(piece.text):
                found.append(f"{page.name}: placeholder {m.group()!r}: {_around(piece.text, m)}")
            for m in SNAKE.finditer(piece.text):
                if facts is not None and m.group() in facts.data_words:
                    continue
                found.append(f"{page.name}: raw name {m.group()!r} in {piece.kind}: "
                             f"{_around(piece.text, m)}")
        elif re.fullmatch(r"nan|NaN|NaT|None|<NA>|inf|-inf", piece.text):
            found.append(f"{page.name}: a table cell reads {piece.text!r}")
        for m in LONG_DECIMALS.finditer(piece.text):
            found.append(f"{page.name}: {m.group()} has more than three decimals: "
                         f"{_around(piece.text, m)}")
        if facts is not None:
            for pattern, fact, presumed in CONDITIONAL:
                m = pattern.search(piece.text)
                if m and getattr(facts, fact) != presumed:
                    found.append(f"{page.name}: says {m.group()!r} but {fact} is "
                                 f"{getattr(facts, fact)}: {_around(piece.text, m)}")
    for table in reader.tables:
        if table.appendix:
            continue
        if table.columns > MAX_BODY_COLUMNS or table.rows > MAX_BODY_ROWS:
            found.append(f"{page.name}: a table of {table.rows} rows x {table.columns} columns "
                         "in the body")
    return found


def run_problems(run_dir: Path) -> list[str]:
    """:func:`page_problems` of every page of a run, the conditional sentences checked against
    the run's own data (its manifest names the data root and the processed set)."""
    manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    processed = Path(manifest.get("processed_dir") or "")
    facts = (facts_of(Path(manifest["data_dir"]), processed) if processed.is_dir() else None)
    return [p for page in sorted(run_dir.glob("*.html")) for p in page_problems(page, facts)]
