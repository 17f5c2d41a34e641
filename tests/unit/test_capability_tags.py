"""A capability's name is the tag of the scenarios it admits: the mapping from tags to capabilities is the
identity, every capability tag used in features/ names a declared capability, and every declared
capability is the tag of some scenario."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from harness.platforms import UNIT_ALLOCATIONS, Capabilities, capability_flags, platforms
from harness.requirements import CAPABILITY_TAGS, DERIVED, REQUIREMENTS

ROOT = Path(__file__).resolve().parents[2]
TAG = re.compile(r"(?:^|\s)@(\w+)")


def _feature_tags() -> dict[str, list[str]]:
    """Each tag of features/ -> where it is used (file:line)."""
    used: dict[str, list[str]] = {}
    for path in sorted((ROOT / "features").glob("*.feature")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if line.strip().startswith("@"):
                for tag in TAG.findall(line):
                    used.setdefault(tag, []).append(f"{path.relative_to(ROOT)}:{number}")
    return used


def test_every_true_false_capability_is_the_tag_that_selects_the_platforms_declaring_it() -> None:
    assert set(capability_flags()) == set(CAPABILITY_TAGS)
    for tag in capability_flags():
        requirement = REQUIREMENTS[tag]
        for entry in platforms():
            assert requirement.fits(entry.capabilities) is getattr(entry.capabilities, tag), (tag, entry.name)
        flipped = [dataclasses.replace(e.capabilities, **{tag: not getattr(e.capabilities, tag)}) for e in platforms()
                   if not (tag == "read_only_refunds" and "from_netsuite" in e.capabilities.directions)]
        assert all(requirement.fits(c) is getattr(c, tag) for c in flipped), tag


def test_every_requirement_tag_is_a_capability_or_derived_from_the_registry_in_the_open() -> None:
    rules = {f"{rule}_unit_allocation" for rule in UNIT_ALLOCATIONS}
    assert set(REQUIREMENTS) == set(capability_flags()) | set(DERIVED) | rules
    assert not set(DERIVED) & {f.name for f in dataclasses.fields(Capabilities)}


def test_every_capability_tag_in_the_features_names_a_declared_capability_and_each_capability_is_used() -> None:
    used = _feature_tags()
    fields = {f.name for f in dataclasses.fields(Capabilities)}
    # a tag named after a capability that admits nothing by it (e.g. a non-flag field) would select every storefront
    misnamed = {tag: where for tag, where in used.items() if tag in fields and tag not in capability_flags()}
    assert not misnamed, f"tags naming a capability that is not a tag of its own: {misnamed}"
    unknown = {tag: where for tag, where in used.items()
               if tag in REQUIREMENTS and tag not in capability_flags() and tag not in DERIVED
               and not tag.endswith("_unit_allocation")}
    assert not unknown, f"requirement tags that name no capability: {unknown}"
    unused = [tag for tag in capability_flags() if tag not in used]
    assert not unused, f"capabilities no scenario is tagged with: {unused}"


def test_the_storefront_guide_lists_each_capability_as_its_own_tag() -> None:
    guide = (ROOT / "docs" / "adding-a-storefront.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)`[^|]*\| `@(\w+)`", guide, re.MULTILINE))
    assert {tag: rows.get(tag) for tag in capability_flags()} == {tag: tag for tag in capability_flags()}
