"""Fixtures shared by the fake NetSuite's tests: a simulator with a TBA-signing client, and a catalog."""
import pytest

from tests.unit.netsuite.helpers import Catalog, World, make_world, seed_catalog


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def catalog(world: World) -> Catalog:
    return seed_catalog(world)
