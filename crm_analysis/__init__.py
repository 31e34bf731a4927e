"""crm_analysis: tested helpers behind the crm-analytics notebooks and reports.

Layers, lowest first (nothing imports upward): ``config``, ``schema``, ``io``, ``synthetic``
-> ``cleaning``, ``features`` -> analysis modules -> ``reports``, ``cli``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("crm-analysis")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
