"""What a run records about itself: data fingerprint, package versions, git commit."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from crm_analysis.config import PLACEHOLDER_FILES

VERSIONED = {
    "pandas": "pandas",
    "numpy": "numpy",
    "scipy": "scipy",
    "sklearn": "scikit-learn",
    "matplotlib": "matplotlib",
    "papermill": "papermill",
    "nbconvert": "nbconvert",
    "crm_analysis": "crm-analysis",
}
"""Key in ``run.json`` -> distribution name."""

_CHUNK = 1 << 20


def data_files(raw_dir: Path) -> list[Path]:
    """Files under ``raw_dir`` (recursive), sorted; hidden files and folders and the
    placeholder files that keep an empty folder in git (``README.md``) are left out."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return []
    return sorted(
        p
        for p in raw_dir.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(raw_dir).parts)
        and p.relative_to(raw_dir).as_posix() not in PLACEHOLDER_FILES
    )


def data_fingerprint(raw_dir: Path) -> dict[str, Any]:
    """A SHA-256 over the raw files' relative paths, sizes and content hashes.

    Files are read in 1 MiB chunks, so large exports do not fill memory.

    Returns
    -------
    dict
        ``{"sha256": hex digest, "files": count, "bytes": total size}``.
    """
    raw_dir = Path(raw_dir)
    total = hashlib.sha256()
    size_sum = 0
    files = data_files(raw_dir)
    for path in files:
        content = hashlib.sha256()
        size = 0
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                content.update(chunk)
                size += len(chunk)
        size_sum += size
        rel = path.relative_to(raw_dir).as_posix()
        total.update(f"{rel}\0{size}\0{content.hexdigest()}\n".encode())
    return {"sha256": total.hexdigest(), "files": len(files), "bytes": size_sum}


def package_versions() -> dict[str, str | None]:
    """Versions of Python and the packages that shape the results (``None`` if missing)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for key, dist in VERSIONED.items():
        try:
            versions[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[key] = None
    return versions


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state(root: Path) -> dict[str, Any]:
    """``{"commit": HEAD or None, "dirty": bool or None}`` of the repository at ``root``."""
    commit = _git(root, "rev-parse", "HEAD")
    status = _git(root, "status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}
