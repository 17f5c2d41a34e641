"""Capabilities as protocols: a platform declaring a capability whose scenarios need more of its driver
than ``StorefrontDriver`` is refused when its registry entry is made unless the driver has every method of
that capability's protocol; steps reach those methods through ``driver_with``; and a driver says its name,
display name and line refunds only as its registry entry does."""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from harness.platforms import Platform, PlatformDriver, capability_flags, platforms
from harness.scenario import ScenarioWorld
from harness.storefronts import (CAPABILITY_DRIVERS, CapabilityNotDeclared, PlacedOrder, StorefrontDriver,
                                 driver_with, missing_members)


def _declaring(capability: str) -> Platform:
    return next(p for p in platforms() if getattr(p.capabilities, capability))


def _not_declaring(capability: str) -> Platform:
    return next(p for p in platforms() if not getattr(p.capabilities, capability))


def _with_capability(entry: Platform, capability: str, *, driver: type | None = None) -> Platform:
    return dataclasses.replace(entry, capabilities=dataclasses.replace(entry.capabilities, **{capability: True}),
                               driver=driver or entry.driver)


def test_every_capability_with_a_driver_protocol_is_declared_by_some_platform_whose_driver_has_it() -> None:
    for capability, protocol in CAPABILITY_DRIVERS.items():
        assert capability in capability_flags()
        entry = _declaring(capability)
        assert missing_members(entry.driver, protocol) == []


@pytest.mark.parametrize("capability", sorted(CAPABILITY_DRIVERS))
def test_an_entry_declaring_a_capability_its_driver_lacks_is_refused_naming_platform_capability_and_method(
        capability: str) -> None:
    entry = _not_declaring(capability)
    protocol = CAPABILITY_DRIVERS[capability]
    lacking = missing_members(entry.driver, protocol)
    assert lacking, f"{entry.driver.__name__} already has every member of {protocol.__name__}"
    with pytest.raises(ValueError) as refused:
        _with_capability(entry, capability)
    message = str(refused.value)
    assert f"platform {entry.name!r}" in message and f"the capability {capability}" in message
    assert all(member.split(" ")[0] in message for member in lacking), message


def test_a_method_that_cannot_be_called_as_the_protocol_says_is_refused_with_both_signatures() -> None:
    entry = _declaring("exchanges")

    class ExchangesTakingNoBalance(entry.driver):
        def exchange(self, order: PlacedOrder, lines: tuple[tuple[int, int], ...]) -> str:   # noqa: D102
            raise AssertionError("never called")

    with pytest.raises(ValueError, match=r"the capability exchanges: exchange\(self, order: PlacedOrder, lines: "
                                         r"tuple\[tuple\[int, int\], \.\.\.\], balance: Decimal\) \(it has "
                                         r"exchange\(self, order: PlacedOrder, lines: .*\)\)"):
        dataclasses.replace(entry, driver=ExchangesTakingNoBalance)


def test_a_method_with_more_optional_parameters_than_the_protocol_still_fits() -> None:
    entry = _declaring("store_credit_refunds")

    class MoreOptions(entry.driver):
        def store_credit_refunded(self, order: PlacedOrder, *, include_expired: bool = False) -> Decimal:   # noqa: D102
            raise AssertionError("never called")

    assert dataclasses.replace(entry, driver=MoreOptions).driver is MoreOptions


def test_a_driver_lacking_a_storefront_driver_method_is_refused() -> None:
    entry = platforms()[0]

    class Mute(entry.driver):
        refunds = None   # not a method any more

    with pytest.raises(ValueError, match=rf"platform {entry.name!r}: its driver Mute lacks what it needs for "
                                         r"the storefront driver: refunds \(not a method\)"):
        dataclasses.replace(entry, driver=Mute)


def test_a_driver_that_is_not_a_platform_driver_is_refused() -> None:
    entry = platforms()[0]

    class Standalone:
        pass

    with pytest.raises(ValueError, match="its driver must be a PlatformDriver subclass"):
        dataclasses.replace(entry, driver=Standalone)


def test_every_driver_reads_its_name_display_name_and_line_refunds_from_its_entry(tmp_path: Path) -> None:
    world = ScenarioWorld(seed=3, workdir=tmp_path)
    try:
        for entry in platforms():
            for restated in ("platform", "display_name", "supports_line_items"):
                assert getattr(entry.driver, restated) is getattr(PlatformDriver, restated), \
                    f"{entry.driver.__name__} restates {restated}"
            driver = world.runtime(entry).store(1)
            assert isinstance(driver, entry.driver)
            assert (driver.platform, driver.display_name, driver.supports_line_items) == \
                (entry.name, entry.display_name, entry.capabilities.line_items)
            assert [driver.declares(c) for c in capability_flags()] == \
                [getattr(entry.capabilities, c) for c in capability_flags()]
    finally:
        world.close()


def test_driver_with_refuses_a_storefront_not_declaring_the_capability_naming_its_tag(tmp_path: Path) -> None:
    world = ScenarioWorld(seed=3, workdir=tmp_path)
    try:
        for capability, protocol in CAPABILITY_DRIVERS.items():
            declaring: StorefrontDriver = world.runtime(_declaring(capability)).store(1)
            assert driver_with(declaring, protocol) is declaring
            other = _not_declaring(capability)
            with pytest.raises(CapabilityNotDeclared, match=rf"{other.display_name} does not declare the "
                                                            rf"capability {capability}; tag the scenario @{capability}"):
                driver_with(world.runtime(other).store(1), protocol)
        with pytest.raises(TypeError, match="StorefrontDriver is not the driver protocol of any capability"):
            driver_with(declaring, StorefrontDriver)
        with pytest.raises(ValueError, match="'amount_only' is not a capability; known: line_items"):
            declaring.declares("amount_only")
    finally:
        world.close()
