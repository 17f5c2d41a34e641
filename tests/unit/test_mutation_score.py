"""The mutation score report (harness.mutation_score) read from mutmut's .meta files and the triage file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import mutation_score as ms
from harness.exit_codes import ExitCode

# mutmut's own exit-code vocabulary for the codes these tests write (mutmut.stats.status_by_exit_code)
STATUS = {1: "killed", 0: "survived", 33: "no tests", 36: "timeout", None: "not checked", -11: "segfault"}


def write_meta(root: Path, module: str, results: dict[str, int | None], hashes: dict[str, str]) -> None:
    meta = root / "mutants" / f"{module}.meta"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({"exit_code_by_key": results, "hash_by_function_name": hashes}))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    write_meta(tmp_path, "connector/claims.py", {
        "connector.claims.x_confirm_claim__mutmut_1": 1,
        "connector.claims.x_confirm_claim__mutmut_2": 0,
        "connector.claims.x_confirm_claim__mutmut_3": 0,
        "connector.claims.x_confirm_claim__mutmut_4": 36,
    }, {"x_confirm_claim": "aaaaaaaaaaaa"})
    write_meta(tmp_path, "connector/storefronts/square.py", {
        "connector.storefronts.square.xǁSquareǁrefund__mutmut_1": 1,
        "connector.storefronts.square.xǁSquareǁrefund__mutmut_2": 33,
        "connector.storefronts.square.xǁSquareǁrefund__mutmut_3": None,
        "connector.storefronts.square.xǁSquareǁrefund__mutmut_4": -11,
    }, {"xǁSquareǁrefund": "bbbbbbbbbbbb"})
    return tmp_path


def write_triage(root: Path, text: str) -> None:
    (root / "docs").mkdir(exist_ok=True)
    (root / ms.TRIAGE_FILE).write_text(text)


def triage_line(mutant: str, verdict: str, why: str, function: str = "aaaaaaaaaaaa", priority: str | None = None) -> str:
    """One line of the triage file, for a mutant of the ``project`` fixture's modules."""
    low = f', priority = "{priority}"' if priority else ""
    return f'"{mutant}" = {{ verdict = "{verdict}", function = "{function}", why = "{why}"{low} }}\n'


def report_triaged(root: Path, *lines: str) -> ms.Report:
    """The report of ``root``'s mutmut results with a triage file of ``lines``."""
    write_triage(root, "[survivors]\n" + "".join(lines))
    return ms.build_report(ms.load_mutants(root, STATUS.get), ms.load_triage(root / ms.TRIAGE_FILE))


def test_each_module_is_scored_killed_over_killed_and_survived(project: Path) -> None:
    report = ms.build_report(ms.load_mutants(project, STATUS.get), {})
    claims, square = report.modules
    assert (claims.module, claims.total, claims.counts["killed"], claims.counts["survived"],
            claims.counts["timeout"]) == ("connector/claims.py", 4, 1, 2, 1)
    assert claims.score == pytest.approx(1 / 3)
    assert (square.counts["killed"], square.counts["no tests"], square.counts["not checked"],
            square.counts["other"], square.score) == (1, 1, 1, 1, 1.0)
    assert [m.name for m in report.untriaged] == ["connector.claims.x_confirm_claim__mutmut_2",
                                                   "connector.claims.x_confirm_claim__mutmut_3"]
    assert report.unreached == {"connector.storefronts.square.xǁSquareǁrefund": 1}
    assert "connector.storefronts.square.xǁSquareǁrefund  (1)" in ms.render(report)


def test_mutants_of_a_function_no_scenario_runs_count_as_no_tests_before_they_are_tested(project: Path) -> None:
    (project / "mutants" / "mutmut-stats.json").write_text(json.dumps({"tests_by_mangled_function_name": {
        "connector.claims.x_confirm_claim": ["tests/acceptance/test_features.py::test_a[square]"],
        "connector.storefronts.square.xǁSquareǁrefund": []}}))
    report = ms.build_report(ms.load_mutants(project, STATUS.get), {})
    square = report.modules[1]
    assert (square.counts["no tests"], square.counts["not checked"]) == (2, 0)
    assert report.unreached == {"connector.storefronts.square.xǁSquareǁrefund": 2}


def test_an_equivalent_survivor_counts_in_neither_side_of_the_score(project: Path) -> None:
    report = report_triaged(
        project, triage_line("connector.claims.x_confirm_claim__mutmut_2", "equivalent", "the same query either way"),
        triage_line("connector.claims.x_confirm_claim__mutmut_3", "needs scenario", "a lost claim is not reported",
                    priority="low"))
    claims = report.modules[0]
    assert (claims.counts["equivalent"], claims.counts["survived"], claims.score) == (1, 1, 0.5)
    assert report.untriaged == []
    assert [(m.name, t.priority) for m, t in report.needs_scenario] == [
        ("connector.claims.x_confirm_claim__mutmut_3", "low")]
    text = ms.render(report)
    assert "1 survivor(s) triaged 'needs scenario' (1 of them low priority)" in text
    assert "not triaged" not in text


def test_a_triage_of_changed_code_or_of_a_killed_mutant_no_longer_applies(project: Path) -> None:
    report = report_triaged(
        project, triage_line("connector.claims.x_confirm_claim__mutmut_2", "equivalent",
                             "was equivalent before the function changed", function="000000000000"),
        triage_line("connector.claims.x_confirm_claim__mutmut_1", "equivalent", "a scenario kills it now"),
        triage_line("connector.claims.x_gone__mutmut_1", "equivalent", "gone"))
    assert report.modules[0].counts["equivalent"] == 0
    assert "connector.claims.x_confirm_claim__mutmut_2" in [m.name for m in report.untriaged]
    assert report.stale == [
        "connector.claims.x_confirm_claim__mutmut_2: its function changed since it was triaged "
        "(hash 000000000000, now aaaaaaaaaaaa); triage it again",
        "connector.claims.x_confirm_claim__mutmut_1: now killed",
        "connector.claims.x_gone__mutmut_1: no such mutant any more",
    ]


@pytest.mark.parametrize(("line", "problem"), [
    ('"m" = { verdict = "maybe", function = "a", why = "x" }', "has verdict 'maybe'; use one of equivalent, wording, needs scenario"),
    ('"m" = { verdict = "equivalent", why = "x" }', "m names no function hash"),
    ('"m" = { verdict = "equivalent", function = "a", why = " " }', "m says no why"),
    ('"m" = { verdict = "equivalent", function = "a", why = "x", priority = "high" }', "has priority 'high'"),
    ('"m" = { verdict = "equivalent", function = "a", why = "x", owner = "me" }', "unknown key(s) owner"),
    ('"m" = "equivalent"', "m must be an inline table"),
    ('"m" = { verdict = "equivalent"', "is not valid TOML"),
])
def test_a_bad_triage_line_is_an_error_that_names_the_problem(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "triage.toml"
    path.write_text(f"[survivors]\n{line}\n")
    with pytest.raises(ms.MutationScoreError) as raised:
        ms.load_triage(path)
    assert str(raised.value).startswith(str(path)) and problem in str(raised.value)


def test_the_sample_is_seeded_per_module_and_skips_mutants_already_tested(project: Path) -> None:
    mutants = ms.load_mutants(project, STATUS.get)
    assert ms.sample(mutants, None, seed=1) == ["connector.storefronts.square.xǁSquareǁrefund__mutmut_3"]
    untested = [ms.Mutant(f"connector.engine.x_run__mutmut_{i}", "connector/engine.py", "x_run", "h", "not checked")
                for i in range(1, 31)]
    first, again, other_seed = (ms.sample(untested, 5, seed) for seed in (7, 7, 8))
    assert len(first) == 5 and first == again and first != other_seed
    tested = [ms.Mutant(m.name, m.module, m.function, m.function_hash, "killed" if m.name in first[:2] else m.status)
              for m in untested]
    assert ms.sample(tested, 5, seed=7) == first[2:]
    assert ms.sample(untested, 8, seed=7)[:5] == first
    survived = [ms.Mutant(m.name, m.module, m.function, m.function_hash, "survived" if m.name in first else m.status)
                for m in untested]
    assert ms.sample(survived, 5, seed=7) == []
    assert sorted(ms.sample(survived, 5, seed=7, retest="survivors")) == sorted(first)


def engine_mutants(count: int, results: dict[str, str]) -> list[ms.Mutant]:
    names = [f"connector.engine.x_run__mutmut_{i}" for i in range(1, count + 1)]
    return [ms.Mutant(name, "connector/engine.py", "x_run", "h", results.get(name, "not checked")) for name in names]


def test_after_the_code_changes_the_sample_keeps_its_results_and_draws_only_what_mutmut_dropped() -> None:
    first = ms.sample(engine_mutants(30, {}), 5, seed=7)
    results = dict(zip(first, ("survived", "survived", "killed", "killed", "no tests")))
    # a changed function: mutmut drops the result of one sampled mutant, and the module gains two mutants,
    # which gives the module a new seeded order
    del results[first[2]]
    changed = engine_mutants(32, results)
    drawn = ms.sample(changed, 5, seed=7)
    assert len(drawn) == 1 and drawn[0] not in results
    retest = ms.sample(changed, 5, seed=7, retest="survivors")
    assert sorted(retest[:2]) == sorted(first[:2]) and len(retest) == 3
    # a loosened check can let a killed mutant survive: --retest-all tests every result again
    retest_all = ms.sample(changed, 5, seed=7, retest="all")
    assert sorted(retest_all[:4]) == sorted(results) and len(retest_all) == 5


def test_a_wording_survivor_counts_in_neither_side_but_the_score_counting_it_is_printed(project: Path) -> None:
    report = report_triaged(
        project, triage_line("connector.claims.x_confirm_claim__mutmut_2", "wording", "only the words of the refusal change"),
        triage_line("connector.claims.x_confirm_claim__mutmut_3", "equivalent", "the same query either way"))
    claims = report.modules[0]
    assert (claims.counts["wording"], claims.counts["equivalent"], claims.counts["survived"]) == (1, 1, 0)
    assert (claims.score, claims.score_counting_wording) == (1.0, 0.5)
    row = next(line for line in ms.render(report).splitlines() if line.startswith("connector/claims.py"))
    assert row.split()[-4:] == ["100%", "50%", "all", "tested"]


def test_report_command_without_results_says_what_to_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    assert ms.main(["--root", str(tmp_path), "report"]) == ExitCode.INTERNAL_ERROR
    assert "no mutmut results under" in capsys.readouterr().err


def test_run_refuses_a_sample_of_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    assert ms.main(["--root", str(tmp_path), "run", "--sample", "0"]) == ExitCode.INTERNAL_ERROR
    assert "--sample 0: sample at least 1 mutant per module" in capsys.readouterr().err


def test_a_sampled_module_reports_the_95_percent_wilson_interval_of_its_score() -> None:
    low, high = ms.wilson_interval(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.49, 0.943)
    assert ms.wilson_interval(0, 0) is None
    sampled = ms.ModuleScore("connector/engine.py")
    sampled.counts.update({"killed": 8, "survived": 2, "not checked": 30})
    assert "49%-94%" in ms.render(ms.Report([sampled], [], [], []))


def test_a_retest_forgets_which_scenarios_reach_each_function_so_changed_scenarios_count(tmp_path):
    # mutmut never re-reads the coverage of a changed scenario; the retest must make it collect it again
    stats = tmp_path / ms.MUTANTS_DIR / "mutmut-stats.json"
    stats.parent.mkdir(parents=True)
    stats.write_text("{}")
    assert ms.forget_test_coverage(tmp_path) is True and not stats.exists()
    assert ms.forget_test_coverage(tmp_path) is False
