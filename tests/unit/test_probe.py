"""The capability probe: a manual refund in each storefront, read back through its API, must agree
with what the registry declares about refunds by line."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from refund_harness.cli import main
from harness.platforms import platforms
from harness.probe import probe


@pytest.mark.parametrize("platform", platforms(), ids=lambda p: p.name)
def test_the_probe_agrees_with_the_registry(platform) -> None:
    result = probe(platform)
    assert result.agrees, result.describe()
    assert result.read_back != "no refund"
    # a storefront that refunds by line names them when read back; one that does not, never does
    assert result.read_back_names_lines == platform.capabilities.line_items


@pytest.mark.parametrize("platform", platforms(), ids=lambda p: p.name)
def test_a_wrong_declaration_is_caught(platform) -> None:
    """The probe does not echo the registry: flip a platform's line_items and the probe disagrees."""
    flipped = replace(platform, capabilities=replace(platform.capabilities,
                                                     line_items=not platform.capabilities.line_items))
    result = probe(flipped)
    assert not result.agrees
    assert "but the registry declares" in result.describe()


def test_probe_cli_prints_json_and_exits_zero_when_everything_agrees(capsys) -> None:
    first = platforms()[0]
    assert main(["probe", "--json", first.name]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["platform"] == first.name and printed["agrees"] is True


def test_probe_cli_refuses_an_unknown_storefront(capsys) -> None:
    assert main(["probe", "acme-nowhere"]) == 4
    assert "unknown storefront 'acme-nowhere'" in capsys.readouterr().err
