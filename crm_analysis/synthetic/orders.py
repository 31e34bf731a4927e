"""Orders and order lines from purchase events: spend, baskets, channels, returns.

Spend follows Gamma-Gamma: each order of a customer with ``nu`` has a value
``z ~ Gamma(p_spend, rate=nu)``. The order gets 1-4 lines (at most ``floor(z /
min_line_value)``), each with the budget ``z / n_lines``; a line's category comes from the
customer's category preference and its product is drawn uniformly among the products of that
category that the budget affords (the cheapest one if none); the quantity is the budget over the
net price, stochastically rounded (unbiased, at least 1), so that the order total approximates
``z`` without bias except for budgets below the cheapest product.

Returns: an order is fully cancelled (``cancel_rate``, 0-48 hours later) or partly returned
(``return_rate``, 2-30 days later, some units of one line, never all units); events after the
export date do not happen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crm_analysis.money import round_cents
from crm_analysis.synthetic.config import CATEGORIES, ORDER_CHANNELS, SyntheticConfig
from crm_analysis.synthetic.products import Catalogue
from crm_analysis.synthetic.timegrid import MINUTES_PER_DAY

NO_RETURN, CANCELLED, RETURNED = 0, 1, 2
CHUNK = 2_000_000


@dataclass
class Baskets:
    """Order lines of a set of orders (positions 0..n_orders-1)."""

    value: np.ndarray  # per order: drawn value z, currency units
    n_lines: np.ndarray  # per order
    order: np.ndarray  # per line: order position
    product: np.ndarray  # per line: product position (0-based) in the catalogue
    quantity: np.ndarray  # per line: whole number >= 1 (float64)
    price: np.ndarray  # per line: unit (list) price
    discount: np.ndarray  # per line: fraction
    line: np.ndarray  # per line: line number within the order (0-based)


def line_totals(order: np.ndarray, value: np.ndarray, n_orders: int) -> np.ndarray:
    """Sum per order of the line values, each rounded to cents first (``crm_analysis.money``)."""
    cents = np.rint(round_cents(value) * 100.0)
    return np.bincount(order, weights=cents, minlength=n_orders) / 100.0


def _draw_category(rng: np.random.Generator, cat_cum: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Category per line from the owner's cumulative preference (chunked to bound memory)."""
    out = np.empty(owner.size, dtype=np.int64)
    for lo in range(0, owner.size, CHUNK):
        sl = slice(lo, lo + CHUNK)
        u = rng.random(owner[sl].size, dtype=np.float32)
        out[sl] = (cat_cum[owner[sl]] < u[:, None]).sum(axis=1)
    return np.minimum(out, len(CATEGORIES) - 1)


def _distinct_within_order(
    order: np.ndarray, product: np.ndarray, category: np.ndarray, catalogue: Catalogue
) -> np.ndarray:
    """Move a repeated product of an order to the next product of its category, so that no two
    lines of an order are identical rows (every category has at least 4 products)."""
    size = catalogue.cat_start[1:] - catalogue.cat_start[:-1]
    for _ in range(8):
        key = order * catalogue.n + product
        sorter = np.argsort(key, kind="stable")
        repeat = np.zeros(key.size, dtype=bool)
        repeat[sorter[1:]] = key[sorter[1:]] == key[sorter[:-1]]
        if not repeat.any():
            break
        c = category[repeat]
        start = catalogue.cat_start[c]
        product[repeat] = start + (product[repeat] - start + 1) % size[c]
    return product


def draw_baskets(
    cfg: SyntheticConfig,
    rng: np.random.Generator,
    nu: np.ndarray,
    owner_cat_cum: np.ndarray,
    owner: np.ndarray,
    catalogue: Catalogue,
) -> Baskets:
    """Draw order values and lines for orders whose owners have ``nu`` (per order) and
    category preferences ``owner_cat_cum[owner]``."""
    n = nu.size
    value = rng.gamma(cfg.p_spend, 1.0 / nu)
    n_lines = rng.choice(4, size=n, p=cfg.items_per_order_probs) + 1
    cap = np.maximum(np.floor(value / cfg.min_line_value), 1).astype(np.int64)
    n_lines = np.minimum(n_lines, cap)
    order = np.repeat(np.arange(n, dtype=np.int64), n_lines)
    budget = (value / n_lines)[order]
    category = _draw_category(rng, owner_cat_cum, owner[order])
    m = order.size
    discount = np.where(
        rng.random(m) < cfg.discount_rate, rng.choice(np.asarray(cfg.discount_levels), size=m), 0.0
    )
    affordable = budget / (1.0 - discount)
    hi = np.searchsorted(catalogue.sort_key, category * 1e7 + affordable, side="right")
    start = catalogue.cat_start[category]
    n_aff = np.maximum(hi - start, 1)
    product = start + (rng.random(m) * n_aff).astype(np.int64)
    product = _distinct_within_order(order, product, category, catalogue)
    price = catalogue.price[product]
    x = budget / (price * (1.0 - discount))
    quantity = np.floor(x)
    quantity += rng.random(m) < (x - quantity)
    quantity = np.maximum(quantity, 1.0)
    line = (np.arange(m) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)).astype(np.int16)
    return Baskets(value, n_lines, order, product.astype(np.int32), quantity, price, discount, line)


def draw_order_channel(
    cfg: SyntheticConfig, rng: np.random.Generator, main_channel: np.ndarray
) -> np.ndarray:
    """The owner's main channel with probability ``channel_loyalty``, else any channel."""
    other = rng.integers(0, len(ORDER_CHANNELS), size=main_channel.size)
    return np.where(
        rng.random(main_channel.size) < cfg.channel_loyalty, main_channel, other
    ).astype(np.int8)


@dataclass
class Returns:
    """Per order: kind and time of the return event; per line: units returned."""

    kind: np.ndarray  # int8: NO_RETURN, CANCELLED, RETURNED
    minute: np.ndarray  # int64, -1 if none
    line_qty: np.ndarray  # int64 per line, units returned (0 if none)


def draw_returns(
    cfg: SyntheticConfig,
    rng: np.random.Generator,
    order_minute: np.ndarray,
    eligible: np.ndarray,
    baskets: Baskets,
) -> Returns:
    """Cancellations (all units) and partial returns (some units of one line)."""
    n = order_minute.size
    units = np.bincount(baskets.order, weights=baskets.quantity, minlength=n)
    u = rng.random(n)
    kind = np.where(u < cfg.cancel_rate, CANCELLED, NO_RETURN)
    kind = np.where(
        (u >= cfg.cancel_rate) & (u < cfg.cancel_rate + cfg.return_rate) & (units >= 2),
        RETURNED,
        kind,
    ).astype(np.int8)
    kind[~eligible] = NO_RETURN
    delay = np.where(
        kind == CANCELLED,
        rng.integers(0, 2 * MINUTES_PER_DAY, size=n),
        rng.integers(2 * MINUTES_PER_DAY, 30 * MINUTES_PER_DAY, size=n),
    )
    minute = order_minute + delay
    kind[minute >= cfg.n_days * MINUTES_PER_DAY] = NO_RETURN
    minute[kind == NO_RETURN] = -1

    line_qty = np.zeros(baskets.order.size, dtype=np.int64)
    cancel_line = kind[baskets.order] == CANCELLED
    line_qty[cancel_line] = baskets.quantity[cancel_line]
    first_line = np.concatenate([[0], np.cumsum(baskets.n_lines)[:-1]])
    ret = np.flatnonzero(kind == RETURNED)
    line = first_line[ret] + (rng.random(ret.size) * baskets.n_lines[ret]).astype(np.int64)
    q_line = baskets.quantity[line]
    max_k = np.where(q_line == units[ret], q_line - 1, q_line)
    line_qty[line] = 1 + (rng.random(ret.size) * max_k).astype(np.int64)
    return Returns(kind, minute, line_qty)
