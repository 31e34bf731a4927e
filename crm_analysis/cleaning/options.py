"""The settings of the cleaning rules: :class:`CleaningOptions` and its defaults."""

from __future__ import annotations

from dataclasses import dataclass

NON_PRODUCT_CODES: tuple[str, ...] = (
    "POST", "FEE", "ADJ", "DOT", "M", "MANUAL", "BANK CHARGES", "AMAZONFEE", "CRUK", "C2",
    "D", "S", "B", "PADS", "SHIPPING", "DISCOUNT",
)
"""Product ids of order lines that are not products: postage, fees, discounts, adjustments
(the synthetic set's codes and those of common retail invoice exports; case-insensitive)."""


@dataclass(frozen=True)
class CleaningOptions:
    """Settings of the cleaning rules.

    Parameters
    ----------
    non_product_codes : tuple of str
        Product ids of lines that are not products (compared case-insensitively).
    age_range : (int, int)
        Plausible customer ages in years, both ends included; others become missing.
    spelling_cutoff : float
        Similarity (0..1) above which a rare spelling counts as a typo of a frequent one.
    """

    non_product_codes: tuple[str, ...] = NON_PRODUCT_CODES
    age_range: tuple[int, int] = (14, 110)
    spelling_cutoff: float = 0.75
