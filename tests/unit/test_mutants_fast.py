"""`refund-harness mutants` in minutes: each mutant's certification stops at its first failing scenario,
names it, and runs first the scenarios that caught that mutant (or the most others) before."""
import json

import harness.mutants.run as mutants_run
from harness.mutants import MUTANTS
from harness.mutants.run import certify, learn, load_catches, scenario_order, Outcome


def test_a_mutant_meets_its_own_catchers_first_then_the_most_frequent_ones():
    catches = {"drops_tax": ["tax scenario"], "doubles_tax": ["tax scenario", "totals scenario"],
               "loses_cents": ["totals scenario", "cents scenario"], "no_claims": ["claims scenario"]}
    assert scenario_order("loses_cents", catches) == [
        "totals scenario", "cents scenario", "tax scenario", "claims scenario"]
    assert scenario_order("a_new_mutant", catches)[:2] == ["tax scenario", "totals scenario"]
    assert scenario_order("a_new_mutant", {}) == []


def test_every_recorded_catch_names_a_mutant_that_exists():
    assert set(load_catches()) <= set(MUTANTS)
    assert all(isinstance(s, list) and s for s in load_catches().values())


def test_learning_keeps_the_newest_catch_first_and_a_few_per_mutant(tmp_path, monkeypatch):
    monkeypatch.setattr(mutants_run, "CATCHES_PATH", tmp_path / "catches.json")
    catches = {"drops_tax": ["b", "c", "d"], "loses_cents": ["x"]}
    outcomes = [Outcome("harness.mutants:drops_tax", "failed", ("why",), 1.0, ("a",)),
                Outcome("harness.mutants:loses_cents", "certified", (), 1.0)]   # survived: nothing to learn
    learn(["drops_tax", "loses_cents"], outcomes, catches)
    assert json.loads((tmp_path / "catches.json").read_text()) == {"drops_tax": ["a", "b", "c"], "loses_cents": ["x"]}


def test_the_certification_stops_at_the_first_failing_scenario_and_runs_the_learned_one_first(tmp_path):
    narrowed = ["-k", "walmart and to_netsuite"]   # walmart charges tax: dropping it shows
    first = certify("harness.mutants:drops_tax", tmp_path, options=narrowed)
    report = json.loads((tmp_path / "drops_tax.json").read_text())
    assert first.rejected and len(first.caught_by) == 1 and report["scenarios"]["failed"] == 1
    assert report["scenarios"]["passed"] + 1 < report["scenarios"]["selected"]   # stopped early
    again = certify("harness.mutants:drops_tax", tmp_path, first=["no such scenario", *first.caught_by],
                    options=narrowed)
    report = json.loads((tmp_path / "drops_tax.json").read_text())
    assert again.caught_by == first.caught_by and again.rejected
    assert (report["scenarios"]["passed"], report["scenarios"]["failed"]) == (0, 1)   # it ran first
