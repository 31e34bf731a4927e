"""A synthetic CRM data set with known ground truth and optional dirt.

>>> from crm_analysis.synthetic import SyntheticConfig, generate, write_dataset
>>> data = generate(SyntheticConfig(n_customers=500, seed=7))          # doctest: +SKIP
>>> write_dataset(data, "data/raw/synthetic", fmt="csv")              # doctest: +SKIP

See ``docs/synthetic_data.md`` for the generative process, every parameter, the truth files and
the dirt kinds.
"""

from crm_analysis.synthetic.config import DirtRates, SyntheticConfig
from crm_analysis.synthetic.generator import TABLE_NAMES, SyntheticData, generate
from crm_analysis.synthetic.writer import write_dataset, write_default_dataset

__all__ = [
    "TABLE_NAMES",
    "DirtRates",
    "SyntheticConfig",
    "SyntheticData",
    "generate",
    "write_dataset",
    "write_default_dataset",
]
