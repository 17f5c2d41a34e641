"""Headless Chromium, offline, for what a person sees of an HTML report: its rendered text and a
screenshot. Debian's ``chromium`` package (``apt-get install -y chromium``) is what ``.ci/run`` installs."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

INSTALL = "apt-get update && apt-get install -y chromium"
# Chromium as root, offline: no sandbox, no GPU, and none of its background connections.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--hide-scrollbars")


class NoBrowser(RuntimeError):
    pass


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run(*args: str) -> str:
    """Chromium with ``args`` in a throwaway profile; its standard output."""
    binary = chromium()
    if binary is None:
        raise NoBrowser(f"no Chromium on this machine; install it with: {INSTALL}")
    with tempfile.TemporaryDirectory(prefix="refund-harness-chromium-") as profile:
        done = subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"Chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def screenshot(page: Path, shot: Path, *, width: int = 1280, height: int = 1000) -> Path:
    run(f"--window-size={width},{height}", f"--screenshot={shot.resolve()}", page.resolve().as_uri())
    return shot
