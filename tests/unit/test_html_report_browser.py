"""The HTML certification report as a person sees it: opened in a real headless Chromium.

The page is rendered by the browser and read back as its text (what is on screen, not the source),
and a screenshot is taken. Where no Chromium is installed the test says how to install it and
skips; `.ci/run` installs it, so CI runs this test.
"""
import re
from html.parser import HTMLParser

import pytest

from harness import browser
from harness.certification import Evidence, MatrixRow, ScenarioOutcome, build_report
from harness.html_report import write_html

pytestmark = pytest.mark.skipif(browser.chromium() is None,
                                reason=f"no Chromium on this machine; install it with: {browser.INSTALL}")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script", "head")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script", "head")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def test_a_person_sees_the_verdict_the_matrix_and_why_a_scenario_failed(tmp_path):
    matrix = [MatrixRow("alpha", "Alpha", "to_netsuite", True), MatrixRow("alpha", "Alpha", "from_netsuite", True)]
    outcomes = [
        ScenarioOutcome("a", "Refund synced to NetSuite", True, Evidence.from_json({
            "cells": [{"platform": "alpha", "direction": "to_netsuite"}],
            "orders": [{"order_id": "1001", "platform": "alpha", "direction": "to_netsuite", "currency": "USD",
                        "storefront_total": "10.00", "netsuite_total": "10.00", "matches": True,
                        "description": "order 1001: refunds match"}]})),
        ScenarioOutcome("f", "Refund pushed from NetSuite", False,
                        Evidence.from_json({"cells": [{"platform": "alpha", "direction": "from_netsuite"}]}),
                        why="Failed step: Then the refund totals match on both sides -- totals differ by 1.00 USD"),
    ]
    page = tmp_path / "certification.html"
    write_html(page, build_report(outcomes, matrix, "team.sync:connector"))

    rendered = browser.run("--dump-dom", page.as_uri())
    reader = _VisibleText()
    reader.feed(rendered)
    text = " ".join(reader.parts)
    assert re.search(r"Refund sync certification:\s*FAILED", text), text[:500]
    assert "team.sync:connector" in text
    assert "Alpha to_netsuite" in text or ("Alpha" in text and "to_netsuite" in text)
    assert "certified" in text and "failed" in text
    assert "10.00 USD" in text
    assert "totals differ by 1.00 USD" in text

    shot = browser.screenshot(page, tmp_path / "report.png", height=900)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
