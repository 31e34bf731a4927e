"""The latent purchase process: BG/NBD with seasonality, plus the complaint effect on dropout.

Vectorised over customers, looping over the purchase *index*: at step k all customers still
active draw their k-th purchase at once and the arrays shrink as customers drop out or run past
the export date. Never a loop over customers or rows.

Per customer: the first purchase is at signup (no dropout there, BG/NBD convention). Inter-
purchase gaps are exponential with rate ``lambda`` in *operational time* (cumulative seasonal
intensity, days), mapped back to a calendar day with ``searchsorted`` on the daily grid; the
position within that day's intensity becomes a minute of the day through the daytime profile
(monotone, so a customer's purchases keep their order and never share a minute by artefact).
After each repeat purchase the customer drops out with probability ``p``, multiplied by
``complaint_dropout_factor`` (and ``complaint_slow_factor`` when slow or unresolved) if that
purchase was followed by a complaint ticket opened before the export date, capped at 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crm_analysis.synthetic.config import SyntheticConfig
from crm_analysis.synthetic.customers import Population
from crm_analysis.synthetic.service import COMPLAINT, TicketCore, draw_ticket_core
from crm_analysis.synthetic.timegrid import (
    MINUTES_PER_DAY,
    cumulative_intensity,
    fraction_of_day_at,
    minute_of_day_at,
    seasonal_profile,
)


@dataclass
class LatentPurchases:
    """Every latent purchase (one row each) and per-customer outcomes."""

    customer: np.ndarray  # int64 customer index
    minute: np.ndarray  # int64 minutes since the start
    index: np.ndarray  # int32 purchase number per customer, 0 = first
    complaint: np.ndarray  # bool: followed by a (visible) complaint ticket
    p_effective: np.ndarray  # float: dropout probability applied (NaN at the first purchase)
    dropped: np.ndarray  # bool: the customer dropped out right after this purchase
    tickets: TicketCore
    n_purchases: np.ndarray  # per customer
    dropout_minute: np.ndarray  # per customer, -1 while alive


def simulate_purchases(
    cfg: SyntheticConfig, pop: Population, rng: np.random.Generator
) -> LatentPurchases:
    """Simulate the latent purchase process and the tickets that follow purchases."""
    profile = seasonal_profile(cfg)
    cum = cumulative_intensity(profile)
    total_op = cum[-1]
    end_minute = cfg.n_days * MINUTES_PER_DAY

    n = pop.n
    active = np.arange(n, dtype=np.int64)
    minute = pop.signup_minute.astype(np.int64)
    day0 = minute // MINUTES_PER_DAY
    op = cum[day0] + profile[day0] * fraction_of_day_at(minute % MINUTES_PER_DAY)

    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("customer", "minute", "index", "complaint", "p_eff", "dropped")
    }
    ticket_parts: list[TicketCore] = []
    dropout_minute = np.full(n, -1, dtype=np.int64)
    k = 0
    n_done = 0
    while active.size:
        if k > 0:
            new_op = op + rng.standard_exponential(active.size) / pop.lam[active]
            keep = new_op < total_op
            active, new_op, prev = active[keep], new_op[keep], minute[keep]
            if not active.size:
                break
            day = np.minimum(np.searchsorted(cum, new_op, side="right") - 1, cfg.n_days - 1)
            within = (new_op - cum[day]) / profile[day]
            minute = np.maximum(day * MINUTES_PER_DAY + minute_of_day_at(within), prev)
            op = new_op
        tickets = draw_ticket_core(cfg, rng, minute, end_minute, offset=n_done)
        ticket_parts.append(tickets)
        local = tickets.purchase - n_done
        is_c = tickets.type == COMPLAINT
        complaint = np.zeros(active.size, dtype=bool)
        slow = np.zeros(active.size, dtype=bool)
        complaint[local[is_c]] = True
        slow[local[is_c & tickets.slow]] = True
        n_done += active.size

        parts["customer"].append(active)
        parts["minute"].append(minute)
        parts["index"].append(np.full(active.size, k, dtype=np.int32))
        parts["complaint"].append(complaint)
        if k == 0:
            p_eff = np.full(active.size, np.nan)
            dropped = np.zeros(active.size, dtype=bool)
        else:
            factor = np.where(
                complaint,
                cfg.complaint_dropout_factor * np.where(slow, cfg.complaint_slow_factor, 1.0),
                1.0,
            )
            p_eff = np.minimum(pop.p[active] * factor, 1.0)
            dropped = rng.random(active.size) < p_eff
            dropout_minute[active[dropped]] = minute[dropped]
        parts["p_eff"].append(p_eff)
        parts["dropped"].append(dropped)
        stay = ~dropped
        active, minute, op = active[stay], minute[stay], op[stay]
        k += 1

    customer = np.concatenate(parts["customer"])
    return LatentPurchases(
        customer=customer,
        minute=np.concatenate(parts["minute"]),
        index=np.concatenate(parts["index"]),
        complaint=np.concatenate(parts["complaint"]),
        p_effective=np.concatenate(parts["p_eff"]),
        dropped=np.concatenate(parts["dropped"]),
        tickets=TicketCore.concat(ticket_parts),
        n_purchases=np.bincount(customer, minlength=n),
        dropout_minute=dropout_minute,
    )
