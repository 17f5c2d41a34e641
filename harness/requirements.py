"""What a scenario needs from a storefront, stated by Gherkin tags, and which platforms fit.

A scenario tagged with any tag below runs once for every registered platform whose capabilities
fit all of its tags (and, for ``@each_direction``, once per direction each platform offers). The
platform is the test's ``storefront`` parameter, so it shows in the test id and in the
certification row; feature files never list storefronts. ``@to_netsuite`` and ``@from_netsuite``
(on a feature or a scenario) narrow the platforms to those offering that direction.

``scenario_rows`` says which rows of the certification matrix (platform x direction) one run of a
scenario exercises, from its tags and parameters alone, so a scenario that fails before it switches
any direction on still counts against them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from operator import attrgetter
from typing import Callable, Iterable

from harness.directions import DIRECTIONS
from harness.platforms import UNIT_ALLOCATIONS, Capabilities, Platform, capability_flags, platforms


@dataclass(frozen=True)
class Requirement:
    tag: str
    meaning: str
    fits: Callable[[Capabilities], bool]
    # A behaviour a connector may choose not to offer (its claim says so, docs/connector-seam.md); the
    # scenarios of this tag then do not run for it. Robustness and money rules are never optional.
    optional: bool = False


# What each true/false capability of the registry (``harness.platforms.Capabilities``) admits: its tag
# is its name, and a scenario so tagged runs for the platforms declaring it true.
CAPABILITY_TAGS: dict[str, str] = {
    "line_items": "a storefront that refunds by line",
    "amount_refunds": "a storefront that accepts a refund of an amount with no lines",
    "shipping_refunds": "a storefront that refunds shipping as shipping",
    "refund_webhooks": "a storefront that announces refunds by webhook",
    "async_settlement": "a storefront whose refunds settle later (PENDING first)",
    "read_only_refunds": "a storefront whose API reads refunds but cannot create them",
    "settlement_visibility": "a storefront whose refunds appear only once a settlement report includes them",
    "shipped_lines_only": "a storefront that refunds only lines that have shipped",
    "buyer_requested_refunds": "a storefront where a seller refund without a buyer request is invisible",
    "offline_payments": "a storefront that refunds offline-paid orders through another route",
    "store_credit_refunds": "a storefront that can refund as store credit",
    "multi_currency": "a storefront that takes orders paid in a currency other than its own",
    "exchanges": "a storefront whose exchanges can leave a refund",
    "unpaid_orders": "a storefront whose orders can reach the seller before they are paid",
    "split_tender": "a storefront whose orders can be paid with several payments (split tender)",
    "cash_payments": "a storefront whose orders can be paid in cash at a point of sale",
    "idempotent_refunds": "a storefront whose refund requests carry an idempotency key",
    "refunds_per_order": "a storefront whose API lists refunds only order by order",
}
if set(CAPABILITY_TAGS) != set(capability_flags()):
    raise ValueError(f"every true/false capability is a tag of the same name: capabilities without a tag "
                     f"{sorted(set(capability_flags()) - set(CAPABILITY_TAGS))}, tags naming no capability "
                     f"{sorted(set(CAPABILITY_TAGS) - set(capability_flags()))}")
# a connector may find every refund on its schedule instead of listening for webhooks
OPTIONAL_CAPABILITIES = {"refund_webhooks"}

# Tags that are not a capability of their own: any storefront, the directions it offers, or the negation
# of ``line_items`` (a storefront that refunds only an amount).
DERIVED = {r.tag: r for r in (
    Requirement("storefront", "any registered storefront", lambda c: True),
    Requirement("each_direction", "any storefront, once per refund direction it offers", lambda c: True),
    Requirement("both_directions", "a storefront that offers refund sync in both directions",
                lambda c: len(c.directions) == len(DIRECTIONS)),
    Requirement("general_refunds", "a storefront that cannot refund by line (general, amount-only refunds)",
                lambda c: not c.line_items),
)}
REQUIREMENTS = {**DERIVED, **{tag: Requirement(tag, meaning, attrgetter(tag), optional=tag in OPTIONAL_CAPABILITIES)
                              for tag, meaning in CAPABILITY_TAGS.items()}}
# One tag per refund rule the registry can declare (``@cumulative_unit_allocation`` ...): a rule's
# scenario runs for every platform declaring that rule.
REQUIREMENTS.update({f"{rule}_unit_allocation": Requirement(
    f"{rule}_unit_allocation", f"a storefront whose refunds split a line so that {meaning}",
    lambda c, rule=rule: c.unit_allocation == rule) for rule, meaning in UNIT_ALLOCATIONS.items()})


# ``@sells_jpy``: the scenario's orders are in that currency, so it runs only for platforms that sell
# in it (a storefront's test orders are placed in its declared currencies).
CURRENCY_TAG = re.compile(r"sells_([a-z]{3})$")


def currencies_named(tags: Iterable[str]) -> list[str]:
    return [m.group(1).upper() for tag in tags if (m := CURRENCY_TAG.match(tag))]


OPTIONAL_BEHAVIOURS = tuple(tag for tag, requirement in REQUIREMENTS.items() if requirement.optional)


def needs_storefront(tags: Iterable[str]) -> bool:
    return any(tag in REQUIREMENTS for tag in tags)


def fitting(tags: Iterable[str]) -> list[tuple[Platform, str | None]]:
    """(platform, direction) for every run the tags ask for; direction is None unless ``each_direction``."""
    tags = set(tags)
    wanted = [REQUIREMENTS[t] for t in tags if t in REQUIREMENTS]
    directions = [d for d in DIRECTIONS if d in tags]
    currencies = currencies_named(tags)
    runs: list[tuple[Platform, str | None]] = []
    for entry in platforms():
        caps = entry.capabilities
        if not all(r.fits(caps) for r in wanted) or not all(d in caps.directions for d in directions):
            continue
        if not all(c in entry.currencies for c in currencies):
            continue
        if "each_direction" in tags:
            runs += [(entry, d) for d in caps.directions if not directions or d in directions]
        else:
            runs.append((entry, None))
    return runs


def scenario_rows(tags: Iterable[str], platform: Platform, direction_under_test: str | None = None) -> list[tuple[str, str]]:
    """The (platform name, direction) rows one run of a scenario exercises: the direction under test
    (``@each_direction``); every direction the platform offers for ``@both_directions``; the direction a
    ``@to_netsuite`` / ``@from_netsuite`` tag names; and, for a scenario that names no direction, every
    direction the platform offers (it may use any of them)."""
    tags = set(tags)
    offered = platform.capabilities.directions
    if direction_under_test is not None:
        directions = [direction_under_test]
    elif "both_directions" in tags:
        directions = list(offered)
    else:
        directions = [d for d in DIRECTIONS if d in tags and d in offered] or list(offered)
    return [(platform.name, direction) for direction in directions]
