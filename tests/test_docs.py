"""The documentation runs: the README's Python quick-start prints what the README says it prints
(issue 19). The docstring examples of the package run in `make test` too (``--doctest-modules``
over ``crm_analysis/`` in pyproject.toml)."""

from __future__ import annotations

import re
import subprocess
import sys

from crm_analysis.config import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"


def _blocks(section: str) -> dict[str, str]:
    """The fenced code blocks of a README section, by language."""
    text = README.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return {lang: code for lang, code in re.findall(r"```(\w+)\n(.*?)```", body, re.S)}


def test_the_quick_start_runs_and_prints_what_the_readme_shows():
    blocks = _blocks("Python quick-start")
    done = subprocess.run([sys.executable, "-c", blocks["python"]], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.rstrip("\n") == blocks["text"].rstrip("\n")
