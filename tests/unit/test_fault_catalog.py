"""The soak and the stateful machine draw every fault the fault plane can inject on a request or a
webhook delivery, from one catalog: an action added to the plane and drawn by neither fails here."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.fault_catalog import BY_NAME, TRANSIENT_FAULTS, actions_drawn
from harness.soak import Soak, SoakConfig
from simulators.core.faults import REQUEST_ACTIONS, WEBHOOK_ACTIONS, FaultRule
from tests.property.test_refund_state_machine import FAULTS as MACHINE_FAULTS

TRANSIENT_ACTIONS = set(REQUEST_ACTIONS) | set(WEBHOOK_ACTIONS)


def test_the_catalog_draws_every_request_and_webhook_action_of_the_fault_plane() -> None:
    assert TRANSIENT_ACTIONS <= actions_drawn(), f"not drawn: {sorted(TRANSIENT_ACTIONS - actions_drawn())}"


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS, ids=lambda f: f.name)
def test_every_catalog_fault_is_a_rule_the_plane_accepts(fault) -> None:
    assert FaultRule(**fault.rule_fields(times=1)).action == fault.action


def test_the_machine_draws_every_action() -> None:
    drawn = {BY_NAME[name].action for name in MACHINE_FAULTS}
    assert TRANSIENT_ACTIONS <= drawn, f"the stateful machine never draws {sorted(TRANSIENT_ACTIONS - drawn)}"


def test_the_soak_draws_every_action(tmp_path: Path) -> None:
    soak = Soak(SoakConfig(refunds=20, fault_rate=0.1, seed=1), tmp_path)
    try:
        rules = soak._faults_on()   # noqa: SLF001 - the rules a faulty sync run sets
    finally:
        soak.close()
    drawn = {rule.action for rule in rules}
    assert TRANSIENT_ACTIONS <= drawn, f"the soak never draws {sorted(TRANSIENT_ACTIONS - drawn)}"
    requests = [rule for rule in rules if rule.action in REQUEST_ACTIONS]
    missed = 1.0
    for rule in requests:
        missed *= 1 - rule.probability
    assert 1 - missed == pytest.approx(0.1), "the request faults together fire on the fault rate's share"
