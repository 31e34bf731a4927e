"""Text from the data on a report page: shown as written, never read as markup.

Product and category names, campaign names, regions, channels, ticket topics and ids come from
systems that customers, suppliers and colleagues type into. Whatever of theirs reaches a page goes
through this module, the one place where data meets Markdown and HTML:

* :func:`escape` turns a data value into Markdown that shows it literally (and is inert HTML);
* :func:`md` fills a sentence written by us with data values, escaping each text value;
* :class:`Markup` is the type of text that is safe to show: only :func:`escape`, :func:`md` and
  :func:`bullets` make it, and :func:`show` escapes anything else it is given;
* :func:`styled` is the pandas Styler of a frame whose text cells and labels are HTML-escaped;
* :func:`show` displays Markdown in a notebook (the only way the notebooks write sentences);
* :func:`plain` turns such Markdown back into plain text for logs and files.

Numbers and dates formatted into a sentence cannot carry markup and are left as formatted; every
other value is escaped. Keep data out of Markdown code spans (backticks): entities are shown
literally there.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import numbers
import re
import string
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

_MARKDOWN_SYNTAX = frozenset("\\`*_{}[]()#+-.!|~$<>&\"':=^")
"""Characters that Markdown (CommonMark with nbconvert's plugins: tables, strikethrough, math,
autolinks, definition lists) or HTML may read as syntax; written as numeric character references
they are shown as the characters themselves."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""Line breaks, tabs and other control characters: a data value stays on its line."""

_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Direction marks and overrides (e.g. U+202E): kept, but isolated so they cannot reorder the
sentence around the value."""


class Markup(str):
    """Markdown that is safe to show: written by us, with every data value escaped.

    Concatenating a Markup with a plain string gives a plain string again, which :func:`show`
    and :func:`bullets` escape: forgetting :func:`md` makes a sentence look odd, never unsafe.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Markup({str.__repr__(self)})"


def escape(value: object) -> Markup:
    """A data value as Markdown (and HTML) that shows it exactly as written.

    Characters that Markdown or HTML could read as syntax become numeric character references,
    control characters (line breaks, tabs) become spaces, and a value with direction overrides is
    wrapped in ``<bdi>`` so it cannot reorder the text around it. A :class:`Markup` is returned
    unchanged.

    Examples
    --------
    >>> print(escape("Kids <3 & *toys*"))
    Kids &#60;3 &#38; &#42;toys&#42;
    """
    if isinstance(value, Markup):
        return value
    text = _CONTROL.sub(" ", str(value))
    text = "".join(f"&#{ord(c)};" if c in _MARKDOWN_SYNTAX else c for c in text)
    if _BIDI.search(text):
        text = f"<bdi>{text}</bdi>"
    return Markup(text)


_PLAIN_TYPES = (Markup, numbers.Number, dt.date, dt.time, dt.timedelta, pd.Period,
                pd.Timedelta, np.datetime64, np.timedelta64)
"""Values whose formatted text cannot carry markup (numbers, dates) or already is safe."""


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        text = format(value, format_spec)
        if isinstance(value, _PLAIN_TYPES) and value is not pd.NA:
            return text
        return escape(text)


_FORMATTER = _EscapingFormatter()


def md(template: str, /, *args: Any, **values: Any) -> Markup:
    """Fill a Markdown sentence written by us with data values, each escaped.

    Parameters
    ----------
    template : str
        Markdown with ``str.format`` fields (``{name}``, ``{share:.0%}``, ``{row[label]}``);
        written by us, never taken from the data. Literal braces are doubled.
    *args, **values
        The values. Numbers and dates are formatted as the field says; text, and anything else
        that is not a :class:`Markup`, is escaped after formatting.

    Examples
    --------
    >>> print(md("Top category: **{name}** ({share:.0%})", name="<b>Toys</b>", share=0.25))
    Top category: **&#60;b&#62;Toys&#60;/b&#62;** (25%)
    """
    return Markup(_FORMATTER.vformat(template, args, values))


def plain(text: str) -> str:
    """Markdown written by :func:`md` as plain text again (for logs, ``run.json`` and CSVs):
    character references decoded, bold markers and direction isolates dropped."""
    return re.sub(r"\*\*|</?bdi>", "", html.unescape(str(text)))


def join(parts: Iterable[object], separator: str = ", ") -> Markup:
    """Values joined into one Markup (each escaped unless it already is Markup).

    ``separator`` is written by us (it is not escaped).
    """
    return Markup(separator.join(escape(p) for p in parts))


def bullets(lines: Iterable[object]) -> Markup:
    """A Markdown bullet list, one line per item (an item that is not Markup is escaped)."""
    return Markup("\n".join(f"- {escape(line)}" for line in lines))


def show(text: str, /, *, handle: Any = None, display_id: bool = False,
         **values: Any) -> Any:
    """Display Markdown in the notebook: a :class:`Markup` as it is, else a template for :func:`md`.

    Parameters
    ----------
    text : str
        A :class:`Markup` (from :func:`md`, :func:`bullets`, a ``key_findings`` function), or
        a template written by us that :func:`md` fills with ``values``.
    handle : IPython DisplayHandle, optional
        Replace what this handle shows (e.g. the key findings placeholder at the top of a report)
        instead of displaying below the current cell.
    display_id : bool
        Return a handle to replace this output later.

    Returns
    -------
    IPython DisplayHandle or None
    """
    from IPython.display import Markdown, display

    shown = text if isinstance(text, Markup) and not values else md(text, **values)
    if handle is not None:
        handle.update(Markdown(shown))
        return handle
    return display(Markdown(shown), display_id=True if display_id else None)


def _escape_html_values(values: pd.Series | pd.Index) -> pd.Series | pd.Index:
    """HTML-escape the text elements of a column or index; other elements are kept."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if not (getattr(dtype, "kind", "") == "O" or pd.api.types.is_string_dtype(dtype)):
        return values
    return values.map(lambda v: html.escape(v) if isinstance(v, str) else v)


def _escape_labels(index: pd.Index) -> pd.Index:
    names = [html.escape(n) if isinstance(n, str) else n for n in index.names]
    if isinstance(index, pd.MultiIndex):
        levels = [_escape_html_values(level) for level in index.levels]
        return index.set_levels(levels).set_names(names)
    return pd.Index(_escape_html_values(index), name=names[0])


@functools.cache
def _page_styler() -> type[Styler]:
    """The Styler class of report pages (made on first use: pandas imports its Styler, and
    jinja2 with it, only when asked)."""
    from pandas.io.formats.style import Styler

    class PageStyler(Styler):
        """A Styler whose every ``format`` call shows two decimals and a dash for a missing
        value unless it says otherwise (a plain Styler resets the cells a call does not name to
        six decimals and ``nan``)."""

        def format(self, formatter: Any = None, subset: Any = None, na_rep: str | None = None,
                   precision: int | None = None, **options: Any) -> Styler:
            return super().format(formatter, subset, na_rep="\u2013" if na_rep is None else na_rep,
                                  precision=2 if precision is None else precision, **options)

    return PageStyler


def _shown_index(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a meaningful index (named, or not plain row numbers) as its first
    columns, so a page never shows a row of index names under the header; plain row numbers
    are dropped."""
    index = frame.index
    numbered = index.nlevels == 1 and index.name is None and pd.api.types.is_integer_dtype(
        index.dtype)
    if numbered:
        return frame.reset_index(drop=True)
    names = [n if n is not None else "" for n in index.names]
    if any(n in frame.columns for n in names):
        return frame.reset_index(drop=True)
    return frame.rename_axis(names).reset_index()


def styled(frame: pd.DataFrame | pd.Series) -> Styler:
    """The pandas Styler of ``frame`` as a page shows it: text escaped, headers in words.

    * Every text cell, label and index name is HTML-escaped, on a display copy of the frame, so
      the Styler's own ``format`` (number formats, ``na_rep``), ``hide`` and ``set_properties``
      chain on as usual and cannot undo it. Column labels written by us that contain
      ``& < > " '`` change with the escaping; refer to such columns by position.
    * Column headers are shown in words (:func:`crm_analysis.labels.column_words`); the frame
      keeps its names, so ``format`` and ``subset`` refer to them as usual.
    * A meaningful index becomes the first columns and the row numbers are hidden: no row of
      index names under the header.
    * Numbers show two decimals and missing values a dash unless a later ``format`` says
      otherwise, and do not wrap; text is left-aligned.
    """
    from crm_analysis.labels import column_words

    shown = frame.to_frame() if isinstance(frame, pd.Series) else frame.copy(deep=False)
    shown = _shown_index(shown)
    for position in range(shown.shape[1]):
        column = shown.iloc[:, position]
        escaped = _escape_html_values(column)
        if escaped is not column:
            shown.isetitem(position, escaped)
    shown.columns = _escape_labels(shown.columns).set_names([None] * shown.columns.nlevels)
    text = [c for c in shown.columns if shown[c].dtype.kind == "O"
            or isinstance(shown[c].dtype, (pd.CategoricalDtype, pd.StringDtype))]
    style = (_page_styler()(shown).format()
             .format_index(column_words, axis="columns")
             .hide(axis="index"))
    if text:
        style = style.set_properties(subset=text, **{"text-align": "left"})
    numbers = [c for c in shown.columns if c not in text]
    if numbers:  # 2,504,098 stays on one line; long text may wrap
        style = style.set_properties(subset=numbers, **{"white-space": "nowrap"})
    return style
