"""``python -m crm_analysis.reports``: the same as ``crm-analysis report``."""

import sys

from crm_analysis.reports.cli import main

sys.exit(main())
