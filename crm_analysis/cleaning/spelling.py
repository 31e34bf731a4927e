"""Canonical spellings of categorical text (categories, countries, channels).

Real exports spell one value many ways: case, stray whitespace, typos, native names. The
canonical spelling of a value is found from the data itself, so it works for vocabularies we have
never seen:

1. values that agree after folding case and whitespace are one value; its spelling is the most
   frequent one among them (ties: the first in sorted order);
2. known aliases (e.g. native country names and ISO codes) map onto their canonical name;
3. a rare value (at most ``rare_share`` of the rows of a frequent value) that is close to that
   frequent value (difflib ratio >= ``cutoff``) is taken for a typo of it.

Only the distinct values are examined, then mapped back with a vectorised ``map``.
"""

from __future__ import annotations

from collections.abc import Mapping
from difflib import SequenceMatcher

import pandas as pd

COUNTRY_ALIASES: dict[str, str] = {
    # native names and common short forms -> English name
    "deutschland": "Germany", "de": "Germany", "deu": "Germany",
    "österreich": "Austria", "oesterreich": "Austria", "at": "Austria", "aut": "Austria",
    "schweiz": "Switzerland", "suisse": "Switzerland", "svizzera": "Switzerland",
    "ch": "Switzerland", "che": "Switzerland",
    "nederland": "Netherlands", "the netherlands": "Netherlands", "holland": "Netherlands",
    "nl": "Netherlands", "nld": "Netherlands",
    "france": "France", "fr": "France", "fra": "France",
    "españa": "Spain", "espana": "Spain", "es": "Spain", "esp": "Spain",
    "italia": "Italy", "it": "Italy", "ita": "Italy",
    "belgië": "Belgium", "belgique": "Belgium", "be": "Belgium", "bel": "Belgium",
    "polska": "Poland", "pl": "Poland", "pol": "Poland",
    "danmark": "Denmark", "dk": "Denmark", "sverige": "Sweden", "se": "Sweden",
    "norge": "Norway", "no": "Norway", "suomi": "Finland", "fi": "Finland",
    "portugal": "Portugal", "pt": "Portugal", "éire": "Ireland", "eire": "Ireland",
    "uk": "United Kingdom", "u.k.": "United Kingdom", "gb": "United Kingdom",
    "great britain": "United Kingdom", "england": "United Kingdom",
    "usa": "United States", "us": "United States", "u.s.": "United States",
    "u.s.a.": "United States", "united states of america": "United States",
}
"""Aliases of country names (keys folded to lower case): ``Deutschland`` is ``Germany``."""


MAX_FUZZY_VALUES = 2_000
"""Above this many distinct values a column is free text, not a vocabulary: no typo matching."""


def fold(value: str) -> str:
    """Folded form for comparison: case, whitespace and ``and``/``&`` do not count.

    ``'  Home  and  kitchen '`` -> ``'home & kitchen'``.
    """
    return " ".join(value.split()).casefold().replace(" and ", " & ")


def canonical_spellings(
    values: pd.Series,
    *,
    aliases: Mapping[str, str] | None = None,
    cutoff: float = 0.75,
    rare_share: float = 0.1,
) -> dict[str, str]:
    """Map every distinct spelling in ``values`` to its canonical spelling.

    Parameters
    ----------
    values : pandas.Series of str
        The raw values (missing values are ignored).
    aliases : mapping, optional
        Folded alias -> canonical name (e.g. :data:`COUNTRY_ALIASES`).
    cutoff : float
        Minimum difflib similarity (0..1) for a rare value to count as a typo of a frequent one.
    rare_share : float
        A value is only merged into another that has at least ``1 / rare_share`` times its rows.

    Returns
    -------
    dict
        Original spelling -> canonical spelling, for every distinct present value.
    """
    counts = values.dropna().astype(str).value_counts()
    if counts.empty:
        return {}
    folded = pd.Series([fold(v) for v in counts.index], index=counts.index)
    alias_map = {fold(k): v for k, v in (aliases or {}).items()}
    group = folded.map(lambda f: fold(alias_map[f]) if f in alias_map else f)
    # canonical spelling per folded group: the alias target, else the most frequent spelling
    frame = pd.DataFrame(
        {"spelling": counts.index, "n": counts.to_numpy(), "group": group.to_numpy()}
    )
    frame = frame.sort_values(["group", "n", "spelling"], ascending=[True, False, True])
    best = frame.drop_duplicates("group").set_index("group")["spelling"].to_dict()
    targets = {fold(v): v for v in alias_map.values()}
    best.update({g: targets[g] for g in best if g in targets})
    size = frame.groupby("group")["n"].sum().sort_values(ascending=False)
    # rare groups close to a frequent one are typos of it (only for small vocabularies: the
    # comparison is over pairs of distinct values, never over rows)
    merged: dict[str, str] = {}
    for g, n in (size.items() if len(size) <= MAX_FUZZY_VALUES else ()):
        candidates = [
            h for h, m in size.items() if h != g and m * rare_share >= n and h not in merged
        ]
        scored = [(SequenceMatcher(None, g, h).ratio(), size[h], h) for h in candidates]
        scored = [s for s in scored if s[0] >= cutoff]
        if scored:
            merged[g] = max(scored)[2]
    final = {g: best[merged.get(g, g)] for g in size.index}
    return {s: final[g] for s, g in zip(frame["spelling"], frame["group"], strict=True)}
