"""Service tickets that follow purchases.

After each purchase a ticket is opened with probability ``ticket_rate``: type inquiry /
feedback / complaint (``ticket_type_shares``), opened after a log-normal delay, first response
and resolution after log-normal delays (hours), a share never resolved. A ticket opened after
the export date does not exist (and has no effect); response/resolution times after the export
date are empty. The core (what the dropout effect needs) is drawn inside the purchase loop; the
descriptive attributes are drawn afterwards, all at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from crm_analysis.synthetic.config import (
    TICKET_CHANNELS,
    TICKET_TOPICS,
    TICKET_TYPES,
    SyntheticConfig,
)
from crm_analysis.synthetic.ids import categorical_strings, id_series
from crm_analysis.synthetic.timegrid import to_timestamps

INQUIRY, FEEDBACK, COMPLAINT = 0, 1, 2
TICKET_CHANNEL_SHARES = (0.4, 0.25, 0.2, 0.15)
SATISFACTION_MEAN = (4.2, 4.0, 2.6)
"""Mean satisfaction (1..5) by type before the slow (-0.7) and unresolved (-0.5) penalties."""
SATISFACTION_SD = 0.9


@dataclass
class TicketCore:
    """Tickets opened before the export date; ``purchase`` indexes the purchase rows."""

    purchase: np.ndarray  # int64
    type: np.ndarray  # int8 code into TICKET_TYPES
    opened_minute: np.ndarray  # int64
    first_response_hours: np.ndarray  # float
    resolution_hours: np.ndarray  # float, NaN if never resolved
    slow: np.ndarray  # bool: unresolved or resolution slower than slow_resolution_hours

    @staticmethod
    def concat(parts: list[TicketCore]) -> TicketCore:
        return TicketCore(
            **{
                f.name: np.concatenate([getattr(p, f.name) for p in parts])
                for f in fields(TicketCore)
            }
        )


def _lognormal_hours(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def draw_ticket_core(
    cfg: SyntheticConfig,
    rng: np.random.Generator,
    purchase_minute: np.ndarray,
    end_minute: int,
    offset: int = 0,
) -> TicketCore:
    """Tickets after a batch of purchases; ``purchase = offset + position in the batch``."""
    has = np.flatnonzero(rng.random(purchase_minute.size) < cfg.ticket_rate)
    m = has.size
    ttype = rng.choice(3, size=m, p=cfg.ticket_type_shares).astype(np.int8)
    delay = _lognormal_hours(
        rng, cfg.ticket_open_delay_median_hours, cfg.ticket_open_delay_sigma, m
    )
    opened = purchase_minute[has] + np.round(delay * 60).astype(np.int64)
    first = _lognormal_hours(rng, cfg.first_response_median_hours, cfg.first_response_sigma, m)
    resolution = first + _lognormal_hours(rng, cfg.resolution_median_hours, cfg.resolution_sigma, m)
    unresolved_p = np.where(ttype == COMPLAINT, cfg.complaint_unresolved_rate, cfg.unresolved_rate)
    unresolved = rng.random(m) < unresolved_p
    resolution[unresolved] = np.nan
    slow = unresolved | (resolution > cfg.slow_resolution_hours)
    keep = opened < end_minute
    return TicketCore(
        purchase=has[keep].astype(np.int64) + offset,
        type=ttype[keep],
        opened_minute=opened[keep],
        first_response_hours=first[keep],
        resolution_hours=resolution[keep],
        slow=slow[keep],
    )


def tickets_table(
    cfg: SyntheticConfig,
    core: TicketCore,
    purchase_customer: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The ``service_tickets`` table, ordered by opening time; ids ``T0000001``..."""
    order = np.argsort(core.opened_minute, kind="stable")
    m = order.size
    ttype = core.type[order]
    opened = core.opened_minute[order]
    first = core.first_response_hours[order]
    resolution = core.resolution_hours[order]
    slow = core.slow[order]
    end_minute = cfg.n_days * 1440

    first_min = opened + np.round(first * 60)
    first_min = np.where(first_min < end_minute, first_min, np.nan)
    res_min = opened + np.round(resolution * 60)  # NaN stays NaN
    res_min = np.where(res_min < end_minute, res_min, np.nan)

    channel = rng.choice(len(TICKET_CHANNELS), size=m, p=TICKET_CHANNEL_SHARES)
    topics: list[str] = []
    topic_start = []
    for t in TICKET_TYPES:
        topic_start.append(len(topics))
        topics.extend(TICKET_TOPICS[t])
    n_topics = np.array([len(TICKET_TOPICS[t]) for t in TICKET_TYPES])
    topic = np.asarray(topic_start)[ttype] + (rng.random(m) * n_topics[ttype]).astype(np.int64)

    score = (
        np.asarray(SATISFACTION_MEAN)[ttype]
        - 0.7 * slow
        - 0.5 * np.isnan(resolution)
        + SATISFACTION_SD * rng.standard_normal(m)
    )
    score = np.clip(np.round(score), 1, 5).astype(np.int64)
    missing = rng.random(m) < cfg.satisfaction_missing_rate
    satisfaction = pd.array(score, dtype="Int64")
    satisfaction[missing] = pd.NA

    customer = purchase_customer[core.purchase[order]]
    return pd.DataFrame(
        {
            "ticket_id": id_series("T", np.arange(1, m + 1), 7),
            "customer_id": id_series("CU", customer + 1, 7),
            "opened_at": to_timestamps(cfg, opened),
            "first_response_at": to_timestamps(cfg, first_min.astype(float)),
            "resolved_at": to_timestamps(cfg, res_min.astype(float)),
            "type": categorical_strings(TICKET_TYPES, ttype),
            "channel": categorical_strings(TICKET_CHANNELS, channel),
            "topic": categorical_strings(topics, topic),
            "satisfaction": satisfaction,
        }
    )
