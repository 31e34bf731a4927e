"""The lists stakeholders act on, published with the run they came from.

The call list (notebook 05), the win-back list (03) and the target list (06) are written to the
run's processed set. At the end of a run they are copied into the run's report folder as
``lists/<name>.csv``, so the front page and the report pages link to files that sit beside them,
in any copy of the folder, offline. They are lists for people: customer ids only, plain column
names, formula-safe (written by :func:`crm_analysis.io.write_people_csv`). The import file for
the CRM (``churn_crm_export.csv``) is for systems and stays in ``data/processed/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection
from pathlib import Path

PEOPLE_LISTS = ("churn_call_list.csv", "win_back_list.csv", "target_list.csv")
"""The lists for people, in the order the front page names them."""

WRITTEN_BY = {"churn_call_list.csv": "05_churn_prediction", "win_back_list.csv":
              "03_customer_value", "target_list.csv": "06_customer_potential"}
"""The notebook that writes each list."""

FOLDER = "lists"


def publish_lists(processed_dir: Path, run_dir: Path,
                  succeeded: Collection[str] | None = None) -> dict[str, str]:
    """Copy the lists this run wrote into ``run_dir/lists/``.

    ``succeeded`` names the notebooks that finished in this run (None: all): a list whose
    notebook did not run now is an earlier run's (a partial run starts from a copy of the
    published set) and is not published with this one.

    Returns
    -------
    dict
        List file name -> link relative to the run folder (``lists/<name>``), for the lists
        that exist (a notebook that did not run wrote none).
    """
    found = [name for name in PEOPLE_LISTS if (processed_dir / name).is_file()
             and (succeeded is None or WRITTEN_BY[name] in succeeded)]
    if not found:
        return {}
    (run_dir / FOLDER).mkdir(exist_ok=True)
    for name in found:
        shutil.copyfile(processed_dir / name, run_dir / FOLDER / name)
    return {name: f"{FOLDER}/{name}" for name in found}


def list_link(name: str, customers: int) -> str:
    """A Markdown link from a report page to a list published with its run (``lists/<name>``,
    beside the page), with the number of customers on it. The link works on the report pages;
    in JupyterLab the list is in the processed set."""
    if name not in PEOPLE_LISTS:
        raise ValueError(f"{name!r} is not a published list; choose one of {PEOPLE_LISTS}")
    return f"[The whole list: {name} ({customers:,} customers)]({FOLDER}/{name})"
