"""Which code a run measured or certified: the checkout's HEAD commit and whether tracked files differ
from it. Read with git; outside a git checkout, or without git, the commit is None."""
from __future__ import annotations

import subprocess
from pathlib import Path


def git(root: Path, *args: str) -> str | None:
    """``git ARGS`` run in ``root``: its output, or None when git is missing, fails or hangs."""
    try:
        done = subprocess.run(["git", *args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def code_state(root: Path, *, ignoring: Path | None = None) -> tuple[str | None, bool]:
    """(HEAD's commit id, or None outside a git checkout; whether tracked files differ from it, ``ignoring``
    one file under ``root`` that every run changes). Without a commit the tree counts as dirty."""
    head = git(root, "rev-parse", "--verify", "HEAD")
    if head is None or not head.strip():
        return None, True
    exclude = ([f":(exclude){ignoring.resolve().relative_to(root.resolve())}"]
               if ignoring is not None and ignoring.resolve().is_relative_to(root.resolve()) else [])
    status = git(root, "status", "--porcelain", "--untracked-files=no", "--", ".", *exclude)
    return head.strip(), bool(status and status.strip())
