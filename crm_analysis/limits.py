"""What the data cannot support: one exception that every analysis raises in the same way.

An analysis that finds too little data for a sound answer (too few customers, repeat buyers,
weeks of history, exposed cases, classes) raises :class:`NotEnoughData` with one sentence that
says what is missing and how much would be needed. The report steps catch only this exception:
they write the sentence in place of the section and go on, while any other exception (a bug)
still stops the notebook.

Where the data supports an analysis but not strongly, its :class:`Verdict` says how far to trust
it: reliable, use with care, or not reliable on this data, with the reason in one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_analysis.markup import Markup, md


class NotEnoughData(ValueError):
    """The data cannot support this analysis; the message is a sentence for a report page."""


RELIABLE = "reliable"
USE_WITH_CARE = "use with care"
NOT_RELIABLE = "not reliable on this data"
LEVELS: tuple[str, ...] = (RELIABLE, USE_WITH_CARE, NOT_RELIABLE)
"""The reliability verdicts, best first."""


@dataclass(frozen=True)
class Verdict:
    """How far to trust an analysis on this data: one of :data:`LEVELS` and one sentence why.

    Every report records one per analysis (``run.json``, the index page) and states it at the top
    of its findings; a verdict below :data:`RELIABLE` says so next to the numbers it concerns.
    """

    level: str
    reason: str

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"verdict level must be one of {LEVELS}, got {self.level!r}")

    def sentence(self, what: str) -> Markup:
        """``"**<what>: use with care.** <reason>"`` (Markdown, data escaped)."""
        return md("**{what}: {level}.** {reason}", what=what, level=self.level,
                  reason=_sentence(self.reason))

    def metric(self, name: str, label: str) -> dict:
        """The verdict as ``record_metric`` keyword arguments (the reason as its note)."""
        return {"name": name, "value": self.level, "label": label, "note": self.reason}


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else ""
