"""What the data cannot support: one exception that every analysis raises in the same way.

An analysis that finds too little data for a sound answer (too few customers, repeat buyers,
weeks of history, exposed cases, classes) raises :class:`NotEnoughData` with one sentence that
says what is missing and how much would be needed. The report steps catch only this exception:
they write the sentence in place of the section and go on, while any other exception (a bug)
still stops the notebook.
"""

from __future__ import annotations


class NotEnoughData(ValueError):
    """The data cannot support this analysis; the message is a sentence for a report page."""
