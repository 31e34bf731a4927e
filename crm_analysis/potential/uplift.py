"""Two-model uplift from randomised campaign contacts, with the checks that make it causal.

Uplift is the change in a customer's probability to convert (order within the campaign's
attribution window) caused by contacting her: P(convert | contacted, x) - P(convert | not
contacted, x). It can only be learned where *who is contacted* was decided by chance: then the
control group shows what the treated would have done without the contact. In a log where
marketing chose whom to contact (e.g. the best spenders), the two groups differ before any
contact and the "uplift" is mostly that difference. So the model is fitted **only** after
:func:`check_randomisation` passes:

1. both groups are present;
2. the treatment share is stable across campaigns (no campaign deviates from the pooled share by
   more than ``max_share_gap``, or by more than 4 binomial standard errors if that is larger);
3. pre-contact covariates are balanced: the absolute standardised mean difference (SMD) of every
   covariate is below ``max_smd`` (0.1, the usual rule) or below 4 standard errors of an SMD
   under randomisation, sqrt(1/n_t + 1/n_c), if that is larger (small control groups).

Otherwise :class:`NotRandomisedError` says which check failed and why that matters.

Model (:class:`TwoModelUplift`): one classifier on the treated contacts, one on the controls;
the predicted uplift is the difference of their probabilities. Evaluation on contacts held out
by customer: the Qini curve (:func:`qini_curve`), its coefficient and the observed uplift among
the top 10/20/30% by predicted uplift (:func:`uplift_at`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupShuffleSplit
from sklearn.utils.validation import check_is_fitted

from crm_analysis.behaviour.campaigns import window_spend
from crm_analysis.features import channel_shares
from crm_analysis.limits import NotEnoughData
from crm_analysis.potential.future_value import value_frame
from crm_analysis.potential.spend_models import TARGET, threads_for

__all__ = ["STRATEGIES", "NotRandomisedError", "RandomisationCheck", "TwoModelUplift",
           "UpliftEvaluation", "check_randomisation", "contact_features", "evaluate_uplift",
           "observed_strategies", "prepare_contacts", "qini_coefficient", "qini_curve",
           "uplift_at"]


class NotRandomisedError(ValueError):
    """The contact log is not a randomised experiment: no uplift model is fitted."""


def prepare_contacts(
    contacts: pd.DataFrame,
    purchases: pd.DataFrame | None = None,
    *,
    window_days: float = 14.0,
) -> pd.DataFrame:
    """Contacts with a boolean ``treated`` and ``converted`` and the ``sent_day``.

    Parameters
    ----------
    contacts : DataFrame
        ``campaign_id``, ``customer_id``, ``sent_at``, ``group`` (treatment/control, any case),
        optional ``converted``.
    purchases : DataFrame, optional
        Needed only when ``converted`` is absent: a contact converted if her customer bought in
        ``[sent_at, sent_at + window_days]``.
    window_days : float, default 14.0

    Returns
    -------
    DataFrame
        Rows with a known group: ``campaign_id``, ``customer_id``, ``sent_at``, ``sent_day``,
        ``treated`` (bool), ``converted`` (bool).
    """
    missing = [c for c in ("campaign_id", "customer_id", "sent_at", "group")
               if c not in contacts.columns]
    if missing:
        raise ValueError(f"campaign_contacts lacks column(s) {missing}")
    group = contacts["group"].astype("string").str.strip().str.lower()
    known = (group.isin(["treatment", "control"]).fillna(False).to_numpy(bool)
             & contacts["customer_id"].notna().to_numpy(bool))
    out = contacts.loc[known, ["campaign_id", "customer_id", "sent_at"]].reset_index(drop=True)
    out["sent_at"] = pd.to_datetime(out["sent_at"])
    out["sent_day"] = out["sent_at"].dt.normalize()
    out["treated"] = (group[known] == "treatment").to_numpy(bool)
    if "converted" in contacts.columns:
        out["converted"] = contacts.loc[known, "converted"].astype("boolean").fillna(
            False).to_numpy(bool)
    elif purchases is not None:  # a purchase in the window; a visit log counts its visits
        counted = purchases if "amount" in purchases else purchases.assign(amount=1.0)
        out["converted"] = window_spend(out, counted, window_days) > 0
    else:
        raise ValueError("campaign_contacts has no converted column and no purchases were given")
    return out


def contact_features(
    contacts: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    horizon_days: int,
    inputs=None,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Features of each contact's customer as of the day before her campaign started.

    One feature frame per campaign (cutoff = the day before its first ``sent_at``), so nothing
    the contact could have caused is used. Contacts whose customer had not bought by then are
    dropped.

    Returns
    -------
    DataFrame
        ``contacts`` (prepared) joined with the features (float columns), same order of rows
        minus the dropped ones.
    """
    frames = []
    starts = contacts.groupby("campaign_id", sort=True)["sent_day"].min()
    for campaign, start in starts.items():  # one frame per campaign (tens), each vectorised
        cutoff = start - pd.Timedelta(days=1)
        feats = value_frame(orders, cutoff, horizon_days=horizon_days, inputs=inputs,
                            with_target=False, random_state=random_state)
        feats = feats.join(channel_shares(orders, cutoff), how="left")
        rows = contacts[(contacts["campaign_id"] == campaign).to_numpy(bool)]
        frames.append(rows.join(feats, on="customer_id", how="inner"))
    out = pd.concat(frames).sort_index()
    feature_cols = [c for c in out.columns if c not in contacts.columns]
    out[feature_cols] = out[feature_cols].astype(float).fillna(0.0)
    return out


@dataclass(frozen=True)
class RandomisationCheck:
    """Outcome of :func:`check_randomisation`.

    Attributes
    ----------
    ok : bool
    reasons : list of str
        Why the log is not randomised (empty when ``ok``).
    shares : DataFrame
        Per campaign: ``contacts``, ``treated``, ``treatment_share``, ``allowed_gap``.
    balance : DataFrame
        Per covariate: ``mean_treatment``, ``mean_control``, ``smd``, ``threshold``,
        ``balanced``.
    pooled_share : float
    """

    ok: bool
    reasons: list[str]
    shares: pd.DataFrame
    balance: pd.DataFrame
    pooled_share: float

    def raise_if_failed(self) -> None:
        """Raise :class:`NotRandomisedError` with the reasons when the check failed."""
        if not self.ok:
            raise NotRandomisedError(
                "campaign contacts do not look randomised, so no uplift model is fitted: "
                + "; ".join(self.reasons) + ". Uplift needs a random control group: without "
                "it the difference between contacted and not contacted customers mixes the "
                "campaign's effect with how they were chosen.")


def _smd(x: np.ndarray, treated: np.ndarray) -> tuple[float, float, float]:
    a, b = x[treated], x[~treated]
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2) if len(a) > 1 and len(b) > 1 else 0
    diff = a.mean() - b.mean()
    smd = diff / pooled if pooled > 0 else (0.0 if diff == 0 else np.inf)
    return float(a.mean()), float(b.mean()), float(smd)


def check_randomisation(
    contacts: pd.DataFrame,
    covariates: list[str] | None = None,
    *,
    max_share_gap: float = 0.1,
    max_smd: float = 0.1,
    min_per_group: int = 20,
) -> RandomisationCheck:
    """Is the contact log a randomised experiment? Three checks, see the module docstring.

    Parameters
    ----------
    contacts : DataFrame
        Prepared contacts (``campaign_id``, ``treated``) with covariate columns measured before
        the contact (e.g. from :func:`contact_features`).
    covariates : list of str, optional
        Columns to balance-check (default: every numeric column except ids and outcomes).
    max_share_gap : float, default 0.1
        Largest allowed gap between a campaign's treatment share and the pooled share.
    max_smd : float, default 0.1
        Largest allowed absolute standardised mean difference.
    min_per_group : int, default 20
        Fewer treated or control contacts than this fails the first check.

    Returns
    -------
    RandomisationCheck
    """
    treated = contacts["treated"].to_numpy(bool)
    n_t, n_c = int(treated.sum()), int((~treated).sum())
    reasons: list[str] = []
    if n_t < min_per_group or n_c < min_per_group:
        reasons.append(f"{n_t:,} treated and {n_c:,} control contacts: both groups need at "
                       f"least {min_per_group}")
    pooled = n_t / max(n_t + n_c, 1)
    shares = (contacts.assign(treated=treated).groupby("campaign_id", sort=True)
              .agg(contacts=("treated", "size"), treated=("treated", "sum")))
    shares["treatment_share"] = shares["treated"] / shares["contacts"]
    shares["allowed_gap"] = np.maximum(
        max_share_gap, 4 * np.sqrt(pooled * (1 - pooled) / shares["contacts"]))
    off = shares[(shares["treatment_share"] - pooled).abs() > shares["allowed_gap"]]
    if len(off):
        reasons.append(
            f"the treatment share varies across campaigns (pooled {pooled:.0%}; "
            + ", ".join(f"campaign {c}: {s:.0%}" for c, s in off["treatment_share"].head(5)
                        .items()) + ")")
    if covariates is None:
        skip = {"campaign_id", "customer_id", "sent_at", "sent_day", "treated", "converted",
                TARGET}
        covariates = [c for c in contacts.columns if c not in skip
                      and pd.api.types.is_numeric_dtype(contacts[c])]
    rows = []
    threshold = max(max_smd, 4 * np.sqrt(1 / max(n_t, 1) + 1 / max(n_c, 1)))
    if n_t > 1 and n_c > 1:
        for col in covariates:  # a loop over covariates (tens), each vectorised
            x = contacts[col].to_numpy(dtype=float)
            mt, mc, smd = _smd(x, treated)
            rows.append({"covariate": col, "mean_treatment": mt, "mean_control": mc,
                         "smd": smd, "threshold": threshold})
    balance = pd.DataFrame(rows, columns=["covariate", "mean_treatment", "mean_control", "smd",
                                          "threshold"])
    balance["balanced"] = ~(balance["smd"].abs() > balance["threshold"])
    bad = balance[~balance["balanced"]].sort_values("smd", key=np.abs, ascending=False)
    if len(bad):
        reasons.append(
            "treated and control contacts differ before the contact ("
            + ", ".join(f"{r.covariate}: SMD {r.smd:+.2f}" for r in bad.head(4).itertuples())
            + f"; allowed {threshold:.2f})")
    return RandomisationCheck(not reasons, reasons, shares.reset_index(), balance, pooled)


def _flags(name: str, values: object, n_rows: int) -> np.ndarray:
    """``values`` as a boolean array of ``n_rows``; missing values are refused, not read as True."""
    if pd.isna(pd.Series(values, dtype=object)).any():
        raise ValueError(f"{name} has missing values: each contact is treated or not, "
                         "converted or not")
    flags = np.asarray(values, dtype=bool)
    if len(flags) != n_rows:
        raise ValueError(f"{name} has {len(flags):,} values for {n_rows:,} rows of X")
    return flags


class TwoModelUplift(BaseEstimator):
    """Two-model (T-learner) uplift: P(convert | treated, x) - P(convert | control, x).

    A scikit-learn estimator (``clone``, ``get_params``; scikit-learn's ``NotFittedError``).
    ``treated`` and ``converted`` with missing values or of another length than ``X``, and a
    frame to predict without the fitted features, are refused with a ``ValueError``; the
    prediction is a numpy float64 array, one uplift per row.

    Parameters
    ----------
    random_state : int or None, default 0
    max_iter : int, default 200
        Boosting iterations (early stopping on 15% of each group's rows picks fewer).
    min_samples_leaf : int, default 100
        Large leaves: conversion is a noisy outcome and the control group is small.

    Attributes
    ----------
    treatment_model_, control_model_ : HistGradientBoostingClassifier
    feature_names_ : list of str
    """

    def __init__(self, random_state: int | None = 0, max_iter: int = 200,
                 min_samples_leaf: int = 100) -> None:
        self.random_state = random_state
        self.max_iter = max_iter
        self.min_samples_leaf = min_samples_leaf

    def _learner(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=0.05, max_depth=3,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=1.0, early_stopping=True,
            validation_fraction=0.15, n_iter_no_change=15, random_state=self.random_state)

    def fit(self, X: pd.DataFrame, treated, converted) -> TwoModelUplift:
        """Fit one classifier per group.

        Parameters
        ----------
        X : DataFrame
            Pre-contact features (float).
        treated, converted : array-like of bool
            One per row of ``X``, no missing value.
        """
        t, y = (_flags(name, values, len(X)) for name, values in
                (("treated", treated), ("converted", converted)))
        for name, rows in (("treatment", t), ("control", ~t)):
            if len(np.unique(y[rows])) < 2:
                raise NotEnoughData(f"the {name} group needs contacts who converted and "
                                    "contacts who did not")
        self.feature_names_ = list(X.columns)
        with threads_for(len(X)):
            self.treatment_model_ = self._learner().fit(X[t], y[t])
            self.control_model_ = self._learner().fit(X[~t], y[~t])
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted uplift (difference of conversion probabilities, -1..1)."""
        check_is_fitted(self, "feature_names_",
                        msg="TwoModelUplift is not fitted yet: call fit first")
        missing = [c for c in self.feature_names_ if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks feature(s) {missing} the uplift model was fitted on")
        X = X[self.feature_names_].astype(float).fillna(0.0)
        with threads_for(len(X)):
            return (self.treatment_model_.predict_proba(X)[:, 1]
                    - self.control_model_.predict_proba(X)[:, 1])


def qini_curve(converted, treated, score) -> pd.DataFrame:
    """Qini curve: incremental conversions when targeting the top-k contacts by ``score``.

    ``Q(k) = Y_t(k) - Y_c(k) * N_t(k) / N_c(k)`` where ``Y`` counts conversions and ``N``
    contacts of each group among the top k (ties in score keep input order); 0 while no control
    contact is among the top k.

    Returns
    -------
    DataFrame
        ``n_targeted`` (0..n), ``share_targeted``, ``incremental`` (Q), ``random`` (the straight
        line from 0 to Q(n)).
    """
    y = np.asarray(converted, dtype=float)
    t = np.asarray(treated, dtype=bool)
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    y, t = y[order], t[order]
    n_t = np.concatenate(([0.0], np.cumsum(t)))
    n_c = np.concatenate(([0.0], np.cumsum(~t)))
    y_t = np.concatenate(([0.0], np.cumsum(y * t)))
    y_c = np.concatenate(([0.0], np.cumsum(y * ~t)))
    q = y_t - np.divide(y_c * n_t, n_c, out=np.zeros_like(y_c), where=n_c > 0)
    n = len(y)
    k = np.arange(n + 1)
    return pd.DataFrame({"n_targeted": k, "share_targeted": k / max(n, 1), "incremental": q,
                         "random": q[-1] * k / max(n, 1)})


def qini_coefficient(curve: pd.DataFrame) -> float:
    """Area between the Qini curve and the random line per contact (trapezoids over the share
    targeted, divided by the number of contacts): incremental conversions per contact that
    ranking by the model adds on average over random targeting. 0 = no better than random."""
    share = curve["share_targeted"].to_numpy()
    gap = (curve["incremental"] - curve["random"]).to_numpy()
    n = max(int(curve["n_targeted"].iloc[-1]), 1)
    return float(np.sum((gap[1:] + gap[:-1]) / 2 * np.diff(share)) / n)


def uplift_at(converted, treated, score, shares=(0.1, 0.2, 0.3, 1.0),
              true_uplift=None) -> pd.DataFrame:
    """Observed uplift among the top shares of contacts by predicted uplift.

    Returns
    -------
    DataFrame
        ``top_share``, ``contacts``, ``treated_rate``, ``control_rate`` (conversion rates),
        ``observed_uplift`` (their difference), ``predicted_uplift`` (mean score) and, when
        ``true_uplift`` is given, ``true_uplift`` (its mean).
    """
    y = np.asarray(converted, dtype=float)
    t = np.asarray(treated, dtype=bool)
    s = np.asarray(score, dtype=float)
    order = np.argsort(-s, kind="stable")
    rows = []
    for share in shares:  # a handful of cut points
        top = order[: int(np.ceil(share * len(y) - 1e-9))]
        tt, yy = t[top], y[top]
        rt = yy[tt].mean() if tt.any() else np.nan
        rc = yy[~tt].mean() if (~tt).any() else np.nan
        row = {"top_share": share, "contacts": len(top), "treated_rate": rt, "control_rate": rc,
               "observed_uplift": rt - rc, "predicted_uplift": s[top].mean()}
        if true_uplift is not None:
            row["true_uplift"] = np.asarray(true_uplift, dtype=float)[top].mean()
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class UpliftEvaluation:
    """Held-out evaluation of the two-model uplift.

    Attributes
    ----------
    model : TwoModelUplift
        Fitted on the training contacts.
    test : DataFrame
        Held-out contacts with ``predicted_uplift`` (and ``true_uplift`` when given).
    qini : DataFrame
        :func:`qini_curve` on the held-out contacts.
    qini_coefficient : float
    top : DataFrame
        :func:`uplift_at` on the held-out contacts.
    truth_correlation : float or None
        Pearson correlation of predicted and true uplift on held-out contacts (synthetic data).
    feature_names : list of str
    """

    model: TwoModelUplift
    test: pd.DataFrame
    qini: pd.DataFrame
    qini_coefficient: float
    top: pd.DataFrame
    truth_correlation: float | None
    feature_names: list[str] = field(default_factory=list)


def evaluate_uplift(
    data: pd.DataFrame,
    feature_names: list[str],
    *,
    test_size: float = 0.3,
    random_state: int | None = 0,
    true_uplift: str | None = None,
) -> UpliftEvaluation:
    """Fit on contacts of 70% of customers, evaluate on the contacts of the others.

    Parameters
    ----------
    data : DataFrame
        Contacts with features (:func:`contact_features`) that passed
        :func:`check_randomisation`.
    feature_names : list of str
    test_size : float, default 0.3
        Share of customers held out (all their contacts).
    random_state : int or None
    true_uplift : str, optional
        Column with the true uplift probability (synthetic data) to compare with.

    Returns
    -------
    UpliftEvaluation
    """
    split = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=random_state)
    train_rows, test_rows = next(split.split(data, groups=data["customer_id"].to_numpy()))
    train, test = data.iloc[train_rows], data.iloc[test_rows].copy()
    model = TwoModelUplift(random_state=random_state).fit(
        train[feature_names], train["treated"], train["converted"])
    test["predicted_uplift"] = model.predict(test[feature_names])
    truth = test[true_uplift].to_numpy(float) if true_uplift else None
    curve = qini_curve(test["converted"], test["treated"], test["predicted_uplift"])
    corr = None
    if truth is not None and np.ptp(truth) > 0:
        corr = float(np.corrcoef(test["predicted_uplift"].to_numpy(), truth)[0, 1])
    top = uplift_at(test["converted"], test["treated"], test["predicted_uplift"],
                    true_uplift=truth)
    return UpliftEvaluation(model, test, curve, qini_coefficient(curve), top, corr,
                            list(feature_names))


STRATEGIES: dict[str, str] = {
    "uplift model": "predicted_uplift",
    "spend in the last window": "spend_last_window",
    "churn risk (longest silent first)": "recency_days",
}
"""Rankings of contacts the target list is compared with: name -> column of the held-out
contacts (highest first)."""


def observed_strategies(evaluation: UpliftEvaluation, share: float) -> pd.DataFrame:
    """Each ranking's top ``share`` of the held-out contacts, judged on what they then did.

    The uplift model is never judged on its own predictions: for each ranking in
    :data:`STRATEGIES` the held-out contacts (customers the model never saw) it ranks highest
    are compared, treated against control, on their observed conversions. On synthetic data the
    generator's true uplift of the same contacts is shown too.

    Parameters
    ----------
    evaluation : UpliftEvaluation
    share : float
        Share of contacts each ranking picks (0 < share <= 1), e.g. the share of customers on
        the target list.

    Returns
    -------
    DataFrame
        ``strategy``, ``contacts``, ``treated_rate``, ``control_rate``, ``observed_uplift``
        (difference of conversion rates) with ``observed_uplift_lo``/``_hi`` (95% normal
        interval), and ``true_uplift`` when known; then the row "everyone" (all held-out
        contacts).
    """
    test = evaluation.test
    share = float(min(max(share, 1.0 / max(len(test), 1)), 1.0))
    truth = test.get("true_uplift")
    y, t = test["converted"], test["treated"]
    rows = []
    for name, column in [*STRATEGIES.items(), ("everyone", None)]:
        if column is not None and column not in test:
            continue
        score = test[column] if column else pd.Series(0.0, index=test.index)
        row = uplift_at(y, t, score, shares=(share if column else 1.0,),
                        true_uplift=truth).iloc[0]
        order = np.argsort(-score.to_numpy(dtype=float), kind="stable")[:int(row["contacts"])]
        tt = t.to_numpy(bool)[order]
        n_t, n_c = int(tt.sum()), int((~tt).sum())
        rt, rc = row["treated_rate"], row["control_rate"]
        se = np.sqrt(rt * (1 - rt) / max(n_t, 1) + rc * (1 - rc) / max(n_c, 1))
        rows.append({"strategy": name, "contacts": int(row["contacts"]), "treated_rate": rt,
                     "control_rate": rc, "observed_uplift": row["observed_uplift"],
                     "observed_uplift_lo": max(row["observed_uplift"] - 1.96 * se, -1.0),
                     "observed_uplift_hi": min(row["observed_uplift"] + 1.96 * se, 1.0),
                     **({"true_uplift": row["true_uplift"]} if truth is not None else {})})
    return pd.DataFrame(rows)
