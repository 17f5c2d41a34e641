"""A scheduled run's report (seam.RunReport) held to what the harness saw the run do
(harness/run_reports.py): each count that disagrees is named, in words a QA person reads."""
import pytest

from harness import seam
from harness.connectors.reference import ReferenceConnector, build_engine
from harness.run_reports import LedgerSnapshot, RunObservation, problems
from harness.scenario import ScenarioWorld
from tests.world_setups import synced_square_store


def row(number: int, status: str, error: str | None = None, direction: str = seam.TO_NETSUITE) -> seam.RefundView:
    return seam.RefundView(id=str(number), account_id="1", order_id="A1", source_id=f"R{number}",
                           direction=direction, status=status, error=error)


def seen(before=(), after=(), *, error_answers=(), alone=True, every_account_due=True,
         direction=seam.TO_NETSUITE) -> RunObservation:
    return RunObservation(LedgerSnapshot({r.id: r for r in before}, {"1": direction}),
                          LedgerSnapshot({r.id: r for r in after}, {"1": direction}),
                          list(error_answers), alone=alone, every_account_due=every_account_due)


def test_a_report_that_counts_what_the_run_did_agrees():
    run = seen([row(1, seam.RETRIEVED), row(2, seam.RETRIEVED)],
               [row(1, seam.POSTED), row(2, seam.ERROR, "closed period"), row(3, seam.RETRIEVED)])
    assert problems([seam.RunReport(posted=1, errors=1, pending=1)], run) == []


def test_a_run_that_reports_nothing_has_nothing_to_disagree_with():
    assert problems([], seen([], [row(1, seam.POSTED)])) == []


@pytest.mark.parametrize("report, named", [
    (seam.RunReport(posted=0), "it says it posted 0 refund(s), but the run posted 1 (refund 1 of order A1)"),
    (seam.RunReport(posted=2), "it says it posted 2 refund(s), but the run posted 1"),
    (seam.RunReport(posted=-1), "its posted count is -1, not a whole number of refunds"),
    (seam.RunReport(posted=1, skipped=1), "it says it skipped 1 refund(s) another worker held, but no other worker ran"),
    ("posted: 1", "it returned 'posted: 1', not a seam.RunReport"),
])
def test_a_posted_count_is_what_the_run_posted(report, named):
    found = problems([report], seen([row(1, seam.RETRIEVED)], [row(1, seam.POSTED)]))
    assert any(named in problem for problem in found), found


def test_errors_count_at_least_the_refunds_the_run_put_in_error():
    run = seen([row(1, seam.RETRIEVED)], [row(1, seam.ERROR, "throttled")], error_answers=["netsuite answered 429"])
    assert "it says 0 error(s), but the run left 1 refund(s) in error" in problems([seam.RunReport()], run)[0]
    assert problems([seam.RunReport(errors=2)], run) == []   # and a listing that failed too


def test_an_error_no_system_answered_and_no_refund_holds_is_the_run_failing_on_its_own():
    run = seen([row(1, seam.POSTED)], [row(1, seam.POSTED)])
    [problem] = problems([seam.RunReport(errors=1, messages=("looking for new refunds failed: TypeError",))], run)
    assert "no system answered it an error" in problem and "TypeError" in problem
    assert problems([seam.RunReport(errors=1)], seen([row(1, seam.POSTED)], [row(1, seam.POSTED)],
                                                     error_answers=["shop answered 500"])) == []


def test_pending_counts_every_refund_left_to_post_when_the_run_covered_every_account_alone():
    run = seen([row(1, seam.RETRIEVED), row(2, seam.RETRIEVED)], [row(1, seam.RETRIEVED), row(2, seam.RETRIEVED)])
    assert "it says 1 refund(s) pending, but it left 2 refund(s) to post" in problems([seam.RunReport(pending=1)], run)[0]
    assert "but only 2 refund(s) are left to post" in problems([seam.RunReport(pending=3)], run)[0]
    assert problems([seam.RunReport(pending=2)], run) == []
    # another worker live, or an account not due: fewer may be counted, never more
    assert problems([seam.RunReport(pending=1)], seen(run.before.rows.values(), run.after.rows.values(),
                                                      alone=False)) == []
    assert problems([seam.RunReport()], seen(run.before.rows.values(), run.after.rows.values(),
                                             every_account_due=False)) == []


def test_refunds_of_the_direction_the_account_left_are_not_left_to_post():
    run = seen([row(1, seam.RETRIEVED)], [row(1, seam.RETRIEVED)], direction=seam.FROM_NETSUITE)
    assert problems([seam.RunReport()], run) == []


def test_workers_that_ran_together_are_held_to_the_run_together():
    run = seen([row(1, seam.RETRIEVED), row(2, seam.RETRIEVED)], [row(1, seam.POSTED), row(2, seam.POSTED)],
               alone=False)
    assert problems([seam.RunReport(posted=1), seam.RunReport(posted=1, skipped=0)], run) == []
    assert "it says it posted 1 refund(s), but the run posted 2" in problems(
        [seam.RunReport(posted=1), seam.RunReport(skipped=1)], run)[0]


class _Silent(ReferenceConnector):
    """The reference connector, saying nothing of its runs (as a connector without reports would)."""

    def run_scheduled(self) -> None:
        super().run_scheduled()


class _PostsUncounted(ReferenceConnector):
    """The reference connector, whose report never counts a refund it posted."""

    def run_scheduled(self) -> seam.RunReport:
        report = super().run_scheduled()
        return seam.RunReport(errors=report.errors, pending=report.pending, skipped=report.skipped)


def _refunded_square_store(world: ScenarioWorld) -> None:
    _, order = synced_square_store(world)
    world.refund_at_storefront(order, lines=((1, 1),), as_amount=True)


@pytest.mark.parametrize("connector, checked, not_checked", [
    (ReferenceConnector, 1, 0), (_Silent, 0, 1)])
def test_a_run_s_report_is_checked_and_one_without_is_counted_as_not_checked(tmp_path, connector, checked, not_checked):
    world = ScenarioWorld(seed=5, workdir=tmp_path, connector_factory=lambda context: connector(build_engine(context)))
    try:
        _refunded_square_store(world)
        world.run_schedule()
        assert [row.status for row in world.connector.refunds(world.scenario.accounts[0].id)] == [seam.POSTED]
        evidence = world.evidence()
        assert (evidence.run_reports_checked, evidence.run_reports_not_checked) == (checked, not_checked)
    finally:
        world.close()


def test_a_run_whose_report_misses_what_it_posted_fails_the_scenario_saying_so(tmp_path):
    world = ScenarioWorld(seed=5, workdir=tmp_path,
                          connector_factory=lambda context: _PostsUncounted(build_engine(context)))
    try:
        _refunded_square_store(world)
        with pytest.raises(AssertionError, match=r"report of its scheduled run disagrees .* it says it posted 0 "
                                                 r"refund\(s\), but the run posted 1"):
            world.run_schedule()
    finally:
        world.close()
