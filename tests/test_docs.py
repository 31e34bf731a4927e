"""The documentation runs (issue 19): the README's Python quick-start prints what the README says
it prints, and the room-by-room guide (docs/api.md) runs block by block. The docstring examples
of the package run in `make test` too (``--doctest-modules`` over ``crm_analysis/`` in
pyproject.toml)."""

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


def test_the_api_guide_runs_room_by_room():
    """docs/api.md: every Python block, in order, in one interpreter (each builds on the ones
    before it)."""
    guide = (PROJECT_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", guide, re.S)
    assert len(blocks) >= 7  # reading, features, value, demand, behaviour, churn, potential
    done = subprocess.run([sys.executable, "-c", "\n".join(blocks)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "orders up to 2025-12-31" in done.stdout
