"""Customer value: buy-till-you-die models (BG/NBD, Pareto/NBD, Gamma-Gamma) and CLV.

Each model lives in its own module with the paper's equations referenced in comments; the shared
maximum-likelihood machinery (validation, compression to unique histories, multi-start fitting,
standard errors, :class:`ConvergenceError`) is in ``_fitting``. See docs/value_models.md.
"""

from crm_analysis.value._base import NotFittedError
from crm_analysis.value._fitting import ConvergenceError
from crm_analysis.value.beta_geo import BetaGeo
from crm_analysis.value.clv import customer_lifetime_value, per_period_rate
from crm_analysis.value.gamma_gamma import GammaGamma
from crm_analysis.value.pareto_nbd import ParetoNBD

__all__ = [
    "BetaGeo",
    "ConvergenceError",
    "GammaGamma",
    "NotFittedError",
    "ParetoNBD",
    "customer_lifetime_value",
    "per_period_rate",
]
