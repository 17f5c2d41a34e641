"""``make screenshots``: the pictures in README.md and docs/, made anew from real certifications.

It certifies the shipped connector (what ``make certify`` runs) and a deliberately broken one
(``harness.mutants:drops_tax``), each into a temporary directory, and takes a screenshot of each HTML
report's first screen in headless Chromium: ``docs/certification-report.png`` and
``docs/certification-report-failed.png``. Nothing in the pictures is typed by hand, so they show the
matrix as it is today.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from harness.browser import NoBrowser, screenshot

ROOT = Path(__file__).resolve().parents[1]
PICTURES = (("certification-report.png", None), ("certification-report-failed.png", "harness.mutants:drops_tax"))


def certify_into(workdir: Path, connector: str | None) -> Path:
    from refund_harness.cli import main

    report = workdir / "certification.json"
    argv = ["certify", "--report", str(report), "-n", "auto"] + (["--connector", connector] if connector else [])
    code = main(argv)
    if not report.exists():
        raise RuntimeError(f"`refund-harness {' '.join(argv)}` wrote no report (exit {code})")
    return report.with_suffix(".html")


def main() -> int:
    try:
        with tempfile.TemporaryDirectory(prefix="refund-harness-screenshots-") as tmp:
            for name, connector in PICTURES:
                page = certify_into(Path(tmp) / name.removesuffix(".png"), connector)
                shot = screenshot(page, ROOT / "docs" / name, height=1100)
                print(f"wrote {shot.relative_to(ROOT)}")
    except NoBrowser as exc:
        print(f"make screenshots: {exc}", file=sys.stderr)
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
