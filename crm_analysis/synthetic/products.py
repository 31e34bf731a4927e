"""The product catalogue: ``n_products`` products over the 8 categories with list prices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis.synthetic.config import CATEGORIES, CATEGORY_MEDIAN_PRICE, SyntheticConfig
from crm_analysis.synthetic.ids import categorical_strings, id_series, string_series

PRICE_SIGMA = 0.7
"""Log-sd of list prices around each category's median."""


@dataclass
class Catalogue:
    """Products sorted by (category, list price); product number = position + 1."""

    category: np.ndarray  # int code into CATEGORIES
    price: np.ndarray  # list price, currency units (x.99 or x.49 endings)
    cat_start: np.ndarray  # first position of each category, length n_categories + 1
    sort_key: np.ndarray  # category * 1e7 + price, ascending

    @property
    def n(self) -> int:
        return len(self.price)


def draw_catalogue(cfg: SyntheticConfig, rng: np.random.Generator) -> Catalogue:
    """Products spread evenly over the categories; prices log-normal around the median."""
    n_cat = len(CATEGORIES)
    category = rng.permutation(np.arange(cfg.n_products) % n_cat)
    median = np.asarray(CATEGORY_MEDIAN_PRICE)[category]
    raw = median * np.exp(PRICE_SIGMA * rng.standard_normal(cfg.n_products))
    price = np.maximum(np.floor(raw) + rng.choice([0.49, 0.99], size=cfg.n_products), 0.99)
    order = np.lexsort((price, category))
    category, price = category[order], price[order]
    cat_start = np.searchsorted(category, np.arange(n_cat + 1))
    return Catalogue(
        category=category,
        price=price,
        cat_start=cat_start,
        sort_key=category * 1e7 + price,
    )


def product_ids(numbers: np.ndarray) -> pd.Series:
    """``P00001`` .. for product numbers (1-based)."""
    return id_series("P", numbers, 5)


def products_table(cat: Catalogue) -> pd.DataFrame:
    """The clean ``products`` table."""
    num = np.arange(1, cat.n + 1)
    names = id_series("", num, 5)
    cats = categorical_strings(CATEGORIES, cat.category)
    return pd.DataFrame(
        {
            "product_id": product_ids(num),
            "product_name": string_series((cats + " item " + names).array),
            "category": cats,
            "list_price": cat.price.astype(float),
        }
    )
