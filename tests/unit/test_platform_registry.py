"""The platform registry: each platform declared once, in its own modules, and named nowhere else."""
import importlib
import json
import re
from pathlib import Path

import pytest

from connector.storefronts import storefronts
from refund_harness.cli import main
from harness.platforms import UNIT_ALLOCATIONS, Capabilities, UnknownPlatform, names, platform, platforms, registry
from harness.requirements import fitting

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("common", "connector", "harness", "simulators", "steps", "bench")


def _owner(path: Path, names: set[str]) -> str | None:
    """The platform a file belongs to: a folder named after it, or a file whose name starts with it."""
    relative = path.relative_to(ROOT)
    for part in relative.parts[:-1]:
        if part in names:
            return part
    return next((name for name in names if relative.stem.startswith(name)), None)


def test_no_product_code_outside_a_platforms_own_modules_names_a_platform():
    names = {p.name for p in platforms()}
    words = {p.name for p in platforms()} | {p.display_name for p in platforms()}
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(words)) + r")", re.IGNORECASE)
    offenders = []
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*.py")):
            owner = _owner(path, names)
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                for found in pattern.finditer(line):
                    if found.group(1).lower() != owner and platform(found.group(1)).name != owner:
                        offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "platform named outside its own modules:\n" + "\n".join(offenders)


def test_every_platform_has_its_module_adapter_and_simulator_hosts():
    shipped = storefronts()
    for entry in platforms():
        assert entry.connector_adapter == f"connector.storefronts.{entry.name}"
        assert entry.name in shipped, f"the shipped connector has no adapter for {entry.name}"
        assert set(entry.credentials) >= set(shipped[entry.name].credentials)
        importlib.import_module(entry.connector_adapter)
        assert entry.hosts and entry.currencies and entry.card_gateway


def test_the_platform_names_read_without_loading_are_the_registry():
    assert names() == list(registry())


def test_an_unknown_platform_is_refused_by_name_everywhere():
    known = ", ".join(p.display_name for p in platforms())
    with pytest.raises(UnknownPlatform, match=f"unknown storefront 'no-such-cart'; this harness knows {known}"):
        platform("no-such-cart")
    from connector.storefronts import storefront
    from connector.errors import ConnectorError

    with pytest.raises(ConnectorError, match="Unknown platform 'no-such-cart'"):
        storefront("no-such-cart")


def test_capabilities_refuse_inconsistent_declarations():
    base = dict(best_practice_direction="to_netsuite", line_items=True, shipping_refunds=True, amount_refunds=True,
                async_settlement=False, refund_webhooks=False, read_only_refunds=False,
                settlement_visibility=False)
    with pytest.raises(ValueError, match="directions must be a non-empty subset"):
        Capabilities(directions=("sideways",), **base)
    with pytest.raises(ValueError, match="best_practice_direction 'to_netsuite' is not one of"):
        Capabilities(directions=("from_netsuite",), **base)
    with pytest.raises(ValueError, match="read-only cannot take refunds from NetSuite"):
        Capabilities(directions=("to_netsuite", "from_netsuite"), **{**base, "read_only_refunds": True})
    with pytest.raises(ValueError, match="unit_allocation must be one of cumulative, per_unit"):
        Capabilities(directions=("to_netsuite",), **base, unit_allocation="rounded_alone")


def test_each_declared_refund_rule_has_a_tag_that_selects_the_platforms_declaring_it():
    declared = {p.capabilities.unit_allocation for p in platforms()} - {None}
    assert declared <= set(UNIT_ALLOCATIONS)
    for rule in UNIT_ALLOCATIONS:
        assert {p.name for p, _ in fitting({f"{rule}_unit_allocation"})} == \
            {p.name for p in platforms() if p.capabilities.unit_allocation == rule}
    # every storefront refunding by line says how it splits a line, so some rule scenario holds it to that
    assert all(p.capabilities.unit_allocation for p in platforms() if p.capabilities.line_items)


def test_scenario_tags_select_platforms_by_capability():
    line_items = {p.name for p in platforms() if p.capabilities.line_items}
    assert {p.name for p, _ in fitting({"line_items"})} == line_items
    assert {p.name for p, _ in fitting({"general_refunds"})} == {p.name for p in platforms()} - line_items
    runs = fitting({"each_direction", "to_netsuite"})
    assert runs and all(d == "to_netsuite" for _, d in runs)
    assert len(fitting({"each_direction"})) == sum(len(p.capabilities.directions) for p in platforms())


def test_the_storefronts_command_prints_the_registry(capsys):
    assert main(["storefronts", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in listed] == [p.name for p in platforms()]
    for entry in listed:
        assert {"name", "directions", "best_practice_direction", "line_items", "shipping_refunds", "amount_refunds",
                "async_settlement", "refund_webhooks", "read_only_refunds", "settlement_visibility"} <= set(entry)
    assert main(["storefronts"]) == 0
    table = capsys.readouterr().out
    assert all(p.name in table for p in platforms())


NEW_PLATFORM_CONFTEST = '''
import dataclasses

import harness.platforms as registry_module

_original = registry_module.registry


def pytest_configure(config):   # this nested run only: the outer process gets its registry back
    shipped = _original()
    template = next(iter(shipped.values()))
    acme = dataclasses.replace(template, name="acme", display_name="Acme", capabilities=dataclasses.replace(
        template.capabilities, directions=("to_netsuite",), best_practice_direction="to_netsuite"))
    registry_module.registry = lambda: {**shipped, "acme": acme}


def pytest_unconfigure(config):
    registry_module.registry = _original
'''


def test_a_new_platform_gets_its_scenarios_without_editing_a_feature_file(pytester: pytest.Pytester):
    """A registry entry is all it takes: every scenario whose tags fit runs for it, none that do not."""
    import shutil

    shutil.copytree(ROOT / "features", pytester.path / "features")
    shutil.copy(ROOT / "pyproject.toml", pytester.path / "pyproject.toml")
    pytester.makeconftest(NEW_PLATFORM_CONFTEST)
    pytester.makepyfile(test_suite="from pytest_bdd import scenarios\nscenarios('features')\n")
    result = pytester.runpytest_inprocess("-p", "no:xdist", "--collect-only", "-q", "-o", "bdd_features_base_dir=.")
    ids = [line for line in result.outlines if "::" in line]
    acme = [i for i in ids if "[acme" in i]
    assert acme, "no scenario was collected for the new platform"
    # it offers only refunds to NetSuite: nothing from NetSuite, nothing needing both directions
    assert not [i for i in acme if "from_netsuite" in i or "second_direction" in i or "both_directions" in i]
    assert "test_a_refund_on_an_order_billed_as_a_cash_sale_becomes_a_cash_refund[acme]" in " ".join(acme)
    assert not [i for i in acme if "pushed" in i]   # the from-NetSuite feature's scenarios
    assert "acme" not in registry(), "the nested run's registry leaked into this process"


def test_a_currency_tag_narrows_a_scenario_to_the_platforms_selling_in_it() -> None:
    for code in ("JPY", "EUR", "CAD"):
        chosen = {p.name for p, _ in fitting({"storefront", f"sells_{code.lower()}"})}
        assert chosen == {p.name for p in platforms() if code in p.currencies}
    assert {p.name for p, _ in fitting({"storefront"})} == {p.name for p in platforms()}
