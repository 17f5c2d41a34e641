"""Fixtures for serve mode: a World whose simulators answer on loopback sockets."""
from __future__ import annotations

import httpx
import pytest

from harness.scenario import ScenarioWorld


@pytest.fixture
def served_world(tmp_path):
    world = ScenarioWorld(seed=11, workdir=tmp_path, transport="loopback")
    world.start_storefronts()
    try:
        yield world
    finally:
        world.close()


@pytest.fixture
def plain_http():
    """A client that talks to loopback base URLs directly, as an SDK or another process would."""
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def control_http(served_world):
    """A client holding the served World's control token, as the owner of a serve run is."""
    with httpx.Client(timeout=10, headers={"Authorization": f"Bearer {served_world.wiring.control_token}"}) as client:
        yield client
