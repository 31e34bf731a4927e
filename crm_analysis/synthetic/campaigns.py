"""Marketing campaigns with randomised control groups and a known heterogeneous uplift.

``n_campaigns`` campaigns start on evenly spaced days between day 60 and ``n_days -
attribution_window_days - 7``. Each contacts a ``campaign_reach`` share of the eligible
customers (opted in, signed up before the start, last purchase within
``campaign_recency_days``); each contact is randomised into treatment (``treatment_share``) or
control. A treated contact causes an extra order at a uniform time inside the attribution window
with the true uplift probability (see :class:`~crm_analysis.synthetic.config.SyntheticConfig`);
control contacts get nothing. ``converted`` is read off the orders afterwards: any order of the
customer in ``[sent_at, sent_at + window]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis.synthetic.config import CAMPAIGN_CHANNELS, ORDER_CHANNELS, SyntheticConfig
from crm_analysis.synthetic.customers import Population
from crm_analysis.synthetic.ids import categorical_strings, id_series, string_series
from crm_analysis.synthetic.timegrid import MINUTES_PER_DAY, to_timestamps

COST_PER_CONTACT = (0.02, 0.08, 0.01, 0.85)
"""Cost per contact by campaign channel (email, sms, push, mail), currency units."""
APP = ORDER_CHANNELS.index("app")


@dataclass
class Campaigns:
    """Campaigns, contacts and the orders the campaigns caused."""

    table: pd.DataFrame  # the campaigns table
    campaign: np.ndarray  # per contact: campaign position
    customer: np.ndarray  # per contact: customer index
    sent_minute: np.ndarray  # per contact
    treatment: np.ndarray  # per contact: bool
    uplift: np.ndarray  # per contact: true uplift probability tau
    fired: np.ndarray  # per contact: the campaign caused an extra order
    opened: np.ndarray
    clicked: np.ndarray
    extra_contact: np.ndarray  # per caused order: contact position
    extra_minute: np.ndarray  # per caused order: time


def true_uplift(cfg: SyntheticConfig, main_channel: np.ndarray, age: np.ndarray) -> np.ndarray:
    """tau = clip(scale * base * exp(app_effect * [app] + age_effect * (age - 45) / 10), 0, max)."""
    log_tau = cfg.uplift_app_effect * (main_channel == APP) + cfg.uplift_age_effect * (
        (age - 45.0) / 10.0
    )
    return np.clip(cfg.uplift_scale * cfg.uplift_base * np.exp(log_tau), 0.0, cfg.uplift_max)


def draw_campaigns(
    cfg: SyntheticConfig,
    rng: np.random.Generator,
    pop: Population,
    purchase_customer: np.ndarray,
    purchase_minute: np.ndarray,
) -> Campaigns:
    """Draw campaigns, their contacts, and the extra orders caused by treatment."""
    k = cfg.n_campaigns
    window = cfg.attribution_window_days
    last_day = max(cfg.n_days - window - 7, 0)
    start_day = np.round(np.linspace(min(60, last_day), last_day, k)).astype(np.int64)
    channel = rng.integers(0, len(CAMPAIGN_CHANNELS), size=k)
    start_minute = start_day * MINUTES_PER_DAY
    starts = pd.DatetimeIndex(to_timestamps(cfg, start_minute))
    chan = np.asarray(CAMPAIGN_CHANNELS)[channel]
    table = pd.DataFrame(
        {
            "campaign_id": id_series("CMP", np.arange(1, k + 1), 3),
            "name": string_series(
                np.char.add(
                    np.char.add(chan, " campaign "), np.asarray(starts.strftime("%Y-%m"), dtype=str)
                )
            ),
            "channel": categorical_strings(CAMPAIGN_CHANNELS, channel),
            "start_date": starts.to_numpy(),
            "end_date": (starts + pd.Timedelta(days=window)).to_numpy(),
            "cost_per_contact": np.asarray(COST_PER_CONTACT)[channel],
        }
    )

    tau_customer = true_uplift(cfg, pop.main_channel, pop.age)
    parts: dict[str, list[np.ndarray]] = {
        n: [np.zeros(0, dtype=bool if n in ("treat", "open", "click") else np.int64)]
        for n in ("campaign", "customer", "sent", "treat", "open", "click")
    }
    for c in range(k):
        start = start_minute[c]
        before = purchase_minute < start
        last = np.full(pop.n, -(10**12), dtype=np.int64)
        np.maximum.at(last, purchase_customer[before], purchase_minute[before])
        eligible = (
            pop.opt_in
            & (pop.signup_minute < start)
            & (last >= start - cfg.campaign_recency_days * MINUTES_PER_DAY)
        )
        idx = np.flatnonzero(eligible & (rng.random(pop.n) < cfg.campaign_reach))
        m = idx.size
        treat = rng.random(m) < cfg.treatment_share
        opened = treat & (rng.random(m) < cfg.open_rates[channel[c]])
        parts["campaign"].append(np.full(m, c, dtype=np.int64))
        parts["customer"].append(idx)
        parts["sent"].append(start + 9 * 60 + rng.integers(0, 10 * 60, size=m))
        parts["treat"].append(treat)
        parts["open"].append(opened)
        parts["click"].append(opened & (rng.random(m) < cfg.click_rate))
    campaign = np.concatenate(parts["campaign"])
    customer = np.concatenate(parts["customer"])
    sent = np.concatenate(parts["sent"])
    treatment = np.concatenate(parts["treat"])
    uplift = tau_customer[customer]
    fired = treatment & (rng.random(customer.size) < uplift)
    extra_minute = sent + rng.integers(0, window * MINUTES_PER_DAY, size=customer.size)
    fired &= extra_minute < cfg.n_days * MINUTES_PER_DAY
    extra_contact = np.flatnonzero(fired)
    return Campaigns(
        table=table,
        campaign=campaign,
        customer=customer,
        sent_minute=sent,
        treatment=treatment,
        uplift=uplift,
        fired=fired,
        opened=np.concatenate(parts["open"]),
        clicked=np.concatenate(parts["click"]),
        extra_contact=extra_contact,
        extra_minute=extra_minute[extra_contact],
    )


def converted_flags(
    customer: np.ndarray,
    sent_minute: np.ndarray,
    window_days: int,
    order_customer: np.ndarray,
    order_minute: np.ndarray,
) -> np.ndarray:
    """Whether each contact's customer has an order in ``[sent, sent + window]`` (vectorised)."""
    shift = np.int64(1) << 32
    key = np.sort(order_customer.astype(np.int64) * shift + order_minute)
    lo = np.searchsorted(key, customer * shift + sent_minute, side="left")
    hi = np.searchsorted(
        key, customer * shift + sent_minute + window_days * MINUTES_PER_DAY, side="right"
    )
    return hi > lo


def contacts_table(cfg: SyntheticConfig, camp: Campaigns, converted: np.ndarray) -> pd.DataFrame:
    """The ``campaign_contacts`` table (ordered by campaign, then customer)."""
    return pd.DataFrame(
        {
            "campaign_id": id_series("CMP", camp.campaign + 1, 3),
            "customer_id": id_series("CU", camp.customer + 1, 7),
            "sent_at": to_timestamps(cfg, camp.sent_minute),
            "group": categorical_strings(("control", "treatment"), camp.treatment.astype(np.int8)),
            "opened": pd.array(camp.opened, dtype="boolean"),
            "clicked": pd.array(camp.clicked, dtype="boolean"),
            "converted": pd.array(converted, dtype="boolean"),
        }
    )
