"""Text from the data never runs in a reader's browser or spreadsheet (issue 20).

The whole report suite runs on an export whose every text column is hostile
(tests/hostile_data.py). The pages are parsed as a browser would parse them: every tag and
attribute must be one our pages use, every image embedded, every link local. The human-facing CSV
lists must be formula-safe, the import file exact. The unit tests pin the escaping rules.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from hostile_data import HOSTILE, LONG_NAME

from crm_analysis import markup
from crm_analysis.io import spreadsheet_safe, write_import_csv, write_people_csv
from crm_analysis.reports.html import CONTENT_SECURITY_POLICY

PAGE_TAGS = frozenset((
    "html", "head", "meta", "title", "style", "body", "nav", "main", "footer", "div", "p", "span",
    "ul", "ol", "li", "strong", "em", "a", "small", "code", "pre", "h1", "h2", "h3", "h4", "table",
    "caption", "thead", "tbody", "tr", "th", "td", "img", "br", "hr", "dl", "dt", "dd", "bdi",
    "del", "details", "summary", "section", "svg", "polyline", "circle",
))
"""Every tag our pages are made of. A ``b``, ``i``, ``script`` or ``h1`` inside a table cell
would be the data's own markup."""

LOCAL_LINK = re.compile(r"^(#\S*|[\w.-]+\.(html|ipynb|json|log)|lists/[\w.-]+\.csv)$")
"""Links within the page or to the run's own files (its published lists included)."""


class _PageParser(HTMLParser):
    """Collects what a browser would build: tags, attributes, and the text of headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[str] = []
        self._in_heading = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "h1":
            self._in_heading += 1
            self.headings.append("")

    def handle_endtag(self, tag):
        if tag == "h1" and self._in_heading:
            self._in_heading -= 1

    def handle_data(self, data):
        if self._in_heading:
            self.headings[-1] += data


def _pages(report) -> list[Path]:
    pages = sorted(report.result.run_dir.glob("*.html"))
    assert len(pages) == 7, [p.name for p in pages]
    return pages


def test_pages_hold_no_markup_from_the_data(hostile_report):
    for page in _pages(hostile_report):
        text = page.read_text(encoding="utf-8")
        parser = _PageParser()
        parser.feed(text)
        names = {tag for tag, _ in parser.tags}
        assert names <= PAGE_TAGS, f"{page.name}: tags from the data {names - PAGE_TAGS}"
        for tag, attrs in parser.tags:
            handlers = [a for a in attrs if a.startswith("on")]
            assert not handlers, f"{page.name}: <{tag}> with event handlers {handlers}"
            if tag == "img":
                assert (attrs.get("src") or "").startswith("data:image/"), page.name
            if tag == "a":
                assert LOCAL_LINK.match(attrs.get("href") or ""), (page.name, attrs)
        assert len(parser.headings) == 1, f"{page.name}: headings {parser.headings}"


def test_pages_carry_the_content_security_policy(hostile_report):
    for page in _pages(hostile_report):
        head = page.read_text(encoding="utf-8").split("</head>")[0]
        assert f'content="{CONTENT_SECURITY_POLICY}"' in head, page.name
        assert "script-src" not in CONTENT_SECURITY_POLICY  # default-src 'none' covers scripts


def test_text_from_the_data_shows_as_written(hostile_report):
    """The hostile categories appear on the demand page as text, escaped exactly once."""
    page = (hostile_report.result.run_dir / "02_demand_analysis.html").read_text(encoding="utf-8")
    categories = set(hostile_report.tables["products"]["category"].dropna())
    shown = {c for c in categories if html.escape(c, quote=False) in page
             or html.escape(c) in page}
    assert len(shown) >= len(categories) - 1, categories - shown
    assert "Fish &amp;amp; Chips" in page  # the literal "&amp;" of the data, escaped once
    assert "&amp;lt;" not in page.replace("&amp;lt;P0", "")  # no double escaping elsewhere


def _cells(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", ["churn_call_list.csv", "target_list.csv"])
def test_lists_for_people_are_spreadsheet_safe(hostile_report, name):
    cells = _cells(hostile_report.processed / name)
    assert len(cells) > 0
    text = cells.stack()
    risky = text[text.str.match(r"[=+\-@\t\r]") & ~text.map(_is_number)]
    assert risky.empty, f"{name}: cells that start a formula: {risky.head().tolist()}"
    customers = cells.iloc[:, 1] if name == "churn_call_list.csv" else cells["customer_id"]
    assert customers.str.startswith("'=").any(), "no hostile id reached the list"


def test_the_import_file_keeps_exact_ids(hostile_report):
    export = _cells(hostile_report.processed / "churn_crm_export.csv")
    ids = set(export["External_Customer_ID__c"])
    assert any(i.startswith("=CU") for i in ids) and not any(i.startswith("'") for i in ids)


# ------------------------------------------------------------------------------- unit tests
@pytest.mark.parametrize("text", HOSTILE)
def test_escape_keeps_the_text_and_drops_the_markup(text):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    rendered = markdown2html_mistune(f"- **{markup.escape(text)}**")
    parser = _PageParser()
    parser.feed(rendered)
    assert [tag for tag, _ in parser.tags] == ["ul", "li", "strong"] + (
        ["bdi"] if "\u202e" in text else [])
    assert html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip() == text


def test_escape_folds_line_breaks_and_isolates_direction():
    assert markup.escape("a\nb\r\tc") == "a b  c"
    assert markup.escape("\u202eabc").startswith("<bdi>")
    assert markup.escape(markup.Markup("**kept**")) == "**kept**"


def test_md_escapes_text_fields_and_formats_numbers():
    out = markup.md("**{name}** {share:.0%} {day:%d %b %Y} {n:,}", name="<b>x</b>", share=0.25,
                    day=pd.Timestamp("2024-01-02"), n=12345)
    assert out == "**&#60;b&#62;x&#60;/b&#62;** 25% 02 Jan 2024 12,345"
    assert isinstance(out, markup.Markup)
    assert markup.md("{x}", x=markup.md("*{y}*", y="<")) == "*&#60;*"


def test_plain_strings_lose_their_markup_when_shown():
    assert markup.bullets(["*a*", markup.Markup("*b*")]) == "- &#42;a&#42;\n- *b*"
    assert markup.join(["<a>", markup.Markup("**b**")]) == "&#60;a&#62;, **b**"
    assert type(markup.Markup("x") + "y") is str  # a concatenation is no longer trusted


def test_styled_tables_escape_cells_labels_and_names():
    frame = pd.DataFrame({"<th>": ["<script>x</script>", "&amp;"], "n": [1.5, 2.0]},
                         index=pd.Index(["<i>row</i>", "ok"], name="<name>"))
    frame["cat"] = pd.Categorical(["<b>", "x"])
    page = markup.styled(frame).format({"n": "{:.1f}"}).to_html()
    parser = _PageParser()
    parser.feed(page)
    assert {tag for tag, _ in parser.tags} <= {"style", "table", "thead", "tbody", "tr", "th",
                                                 "td"}
    for text in ("&lt;script&gt;x&lt;/script&gt;", "&amp;amp;", "&lt;i&gt;row&lt;/i&gt;",
                 "&lt;name&gt;", "&lt;th&gt;", "&lt;b&gt;", "1.5"):
        assert text in page, text
    assert frame.iloc[0, 0] == "<script>x</script>"  # the caller's frame is not changed


def test_spreadsheet_safe_neutralises_formula_cells_only():
    frame = pd.DataFrame({"=id": ["=1+1", "+x", "-y", "@z", "\tt", "\rr", "ok", None],
                          "n": [-1.0, 2, 3, 4, 5, 6, 7, 8]})
    safe = spreadsheet_safe(frame)
    assert safe["'=id"].tolist()[:7] == ["'=1+1", "'+x", "'-y", "'@z", "'\tt", "'\rr", "ok"]
    assert pd.isna(safe["'=id"].iloc[7])
    assert safe["n"].tolist() == frame["n"].tolist()  # numbers stay numbers
    assert frame["=id"].iloc[0] == "=1+1"


def test_people_and_import_csvs(tmp_path):
    frame = pd.DataFrame({"customer": ["=HYPERLINK(1)", "\U0001f6d2 " + LONG_NAME],
                          "value": [-3.5, 1.0]})
    people = write_people_csv(frame, tmp_path / "people.csv")
    raw = people.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a byte-order mark
    back = _cells(people)
    assert back["customer"].tolist() == ["'=HYPERLINK(1)", frame["customer"].iloc[1]]
    assert back["value"].tolist() == ["-3.5", "1.0"]
    exact = _cells(write_import_csv(frame, tmp_path / "import.csv"))
    assert exact["customer"].tolist() == frame["customer"].tolist()
    assert not list(tmp_path.glob(".tmp-*"))


def test_plain_turns_escaped_markdown_back_into_text():
    """Metric reasons in run.json and log lines are plain text, not Markdown entities."""
    for text in HOSTILE:
        assert markup.plain(markup.md("**{x}**", x=text)) == text


def test_styled_tables_show_headers_in_words_without_index_name_rows():
    """Issue 18: ``p_no_purchase`` reads "P(no purchase)", a named index is a first column
    (no row of index names under the header), numbers show two decimals and a missing value a
    dash even after a ``format`` call that names other columns, text is left-aligned."""
    frame = pd.DataFrame({"p_no_purchase": [0.123456, None], "return_rate_lo": [0.5, 0.25],
                          "orders": [3, 4]},
                         index=pd.Index(["high", "low"], name="risk_tier"))
    frame.columns.name = "statistic"
    page = markup.styled(frame).format({"orders": "{:,}"}).to_html()
    headers = re.findall(r"<th[^>]*>(.*?)</th>", page)
    assert headers == ["risk", "P(no purchase)", "return rate, low", "orders"]
    assert "0.12" in page and "0.123456" not in page and "nan" not in page
    assert "\u2013" in page and "text-align: left" in page
    assert "statistic" not in page and "index_name" not in page


def test_column_words_read_snake_case_names_and_keep_written_headers():
    from crm_analysis.labels import column_words, significant

    assert column_words("first_response_p90_hours") == "first response, 9 in 10 within (hours)"
    assert column_words("uplift_p") == "uplift, p-value"
    assert column_words("n_exposed") == "exposed (n)"
    assert column_words("vs year before") == "vs year before"
    assert column_words(2025) == 2025
    assert significant(float("-inf")) == "unbounded" and significant(0.0) == "0"
