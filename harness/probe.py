"""Does a storefront refund by line? Found out the way the connector's documentation advises: make a
manual refund in the storefront and read back what its API returns.

The probe places a two-line order in the platform's simulator, asks its admin to refund one unit of
the first line, and reads the order's refunds back through the storefront API. A storefront refunds by
line when its admin took the line refund and the refund read back names the line and its quantity.
Where the admin offers only amounts (the driver raises ``LineRefundsUnsupported``), the probe refunds
that unit's worth as an amount instead, so the read-back still shows what a refund there looks like.
"""
from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.platforms import Platform
from harness.storefronts import LineRefundsUnsupported, StorefrontRefundRequest


@dataclass(frozen=True)
class ProbeResult:
    platform: str
    display_name: str
    admin_took_line_refund: bool    # the storefront's admin accepted a refund of one unit of a line
    read_back_names_lines: bool     # the refund, read through the API, names lines and quantities
    declared_line_items: bool       # what the registry says
    read_back: str                  # what came back, in a few words

    @property
    def refunds_by_line(self) -> bool:
        return self.admin_took_line_refund and self.read_back_names_lines

    @property
    def agrees(self) -> bool:
        return self.refunds_by_line == self.declared_line_items

    def as_dict(self) -> dict:
        return {**asdict(self), "refunds_by_line": self.refunds_by_line, "agrees": self.agrees}

    def describe(self) -> str:
        found = "refunds by line" if self.refunds_by_line else "makes general (amount-only) refunds"
        admin = ("its admin took a refund of one unit of a line" if self.admin_took_line_refund
                 else "its admin refunds only amounts")
        verdict = ("as the registry declares" if self.agrees
                   else f"but the registry declares line_items={self.declared_line_items}")
        return f"{self.display_name} {found}: {admin}; the API read back {self.read_back}; {verdict}."


def probe(platform: Platform, seed: int = 1) -> ProbeResult:
    # imported here: the World starts simulators and a connector, which `refund-harness --help` need not load
    from harness.expected import worth
    from harness.scenario import ScenarioWorld

    with tempfile.TemporaryDirectory(prefix="refund-harness-probe-") as workdir:
        world = ScenarioWorld(seed=seed, workdir=Path(workdir))
        try:
            account = world.connect(platform)
            order = world.place_order(account, lines=2, quantity_first=2, discount=False)
            driver = account.driver
            try:
                driver.refund(order.placed, StorefrontRefundRequest(lines=((1, 1),)))
                took_line = True
            except LineRefundsUnsupported:
                took_line = False
                unit = worth(order.spec, units={1: 1}, shipping=False)
                driver.refund(order.placed, StorefrontRefundRequest(amount=unit))
            refunds = driver.refunds(order.placed)
        finally:
            world.close()
    names_lines = any(refund.lines for refund in refunds)
    if not refunds:
        read_back = "no refund"
    else:
        read_back = "; ".join(
            (f"a refund of {r.total} {r.currency} naming " + ", ".join(f"{q} x {key}" for key, q in r.lines))
            if r.lines else f"a refund of {r.total} {r.currency} with no lines" for r in refunds)
    return ProbeResult(platform.name, platform.display_name, took_line, names_lines,
                       platform.capabilities.line_items, read_back)
