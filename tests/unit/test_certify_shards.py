"""`refund-harness certify --shard I/N` and `refund-harness merge`: the shards of a run, merged, judge
it as the unsharded run does; a shard alone never reads certified; a merge missing a shard, given one
twice or given one of another run refuses and writes nothing."""
import json
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from harness.shards import (DURATIONS_FILE, ShardError, deal, default_weight, load_durations, parse_shard,
                            record_durations)
from refund_harness.cli import main

SQUARE_ONLY = "tests.unit.square_only_connector:square_to_netsuite"
NO_XDIST = ["--", "-p", "no:xdist"]
# a narrowed run of several rows and features, with a broken connector so some scenarios fail (those with
# shipping) and some pass (partial refunds without it); merging equals the unsharded run whatever the size,
# so a dozen scenarios prove it as well as the whole features would, in a quarter of the time
KEYWORD = "(square or bigcommerce) and (shipping or partial)"
NARROWED = ["features/refund_to_netsuite.feature", "features/validation.feature", "-k", KEYWORD,
            "--connector", "harness.mutants:drops_shipping"]


def judged(report: dict) -> dict:
    """What a report says about the connector, without when or how long the run took."""
    return {key: report[key] for key in ("verdict", "headline", "connector", "claim", "rows", "narrowed_by",
                                         "failure_groups", "scenarios")}


def junit_cases(path: Path) -> dict:
    return {(case.get("classname"), case.get("name")): [child.tag for child in case]
            for case in ElementTree.parse(path).getroot().iter("testcase")}


@pytest.fixture(scope="module")
def narrowed_run(tmp_path_factory) -> dict:
    """The narrowed run once unsharded and once as three shards (the second under two xdist workers)."""
    out = tmp_path_factory.mktemp("shards")
    codes = {"whole": main(["certify", *NARROWED, "--report", str(out / "whole.json"), *NO_XDIST])}
    for index in (1, 2, 3):
        workers = ["-n", "2"] if index == 2 else []
        pytest_args = [] if index == 2 else NO_XDIST
        codes[index] = main(["certify", *NARROWED, "--shard", f"{index}/3", *workers,
                             "--report", str(out / f"shard-{index}.json"), *pytest_args])
    return {"dir": out, "codes": codes}


def test_three_shards_merged_judge_the_run_exactly_as_the_unsharded_run(narrowed_run, capsys):
    out, codes = narrowed_run["dir"], narrowed_run["codes"]
    whole = json.loads((out / "whole.json").read_text())
    shards = [json.loads((out / f"shard-{index}.json").read_text()) for index in (1, 2, 3)]
    assert whole["verdict"] == "failed" and codes["whole"] == 1   # the mutant is caught, as the merge must say
    # shards on other machines check out elsewhere: the narrowing they must agree on names no local path
    assert whole["narrowed_by"][0] == (f"selected by -k '{KEYWORD}', feature features/refund_to_netsuite"
                                       ".feature, feature features/validation.feature")
    assert whole["scenarios"]["passed"] and whole["scenarios"]["failed"]
    assert len({row["platform"] for row in whole["rows"] if row["scenarios_passed"] + row["scenarios_failed"]}) == 2
    # every scenario ran in exactly one shard, and each shard ran some
    ran = [record["nodeid"] for shard in shards for record in shard["shard"]["scenarios"]]
    assert len(ran) == len(set(ran)) == whole["scenarios"]["selected"]
    assert all(shard["shard"]["scenarios"] for shard in shards)
    for index, shard in enumerate(shards, start=1):
        assert shard["verdict"] != "certified" and shard["headline"].startswith(f"Shard {index}/3 of the run, ")
        assert shard["narrowed_by"][-1].startswith(f"shard {index}/3 of the run")
        assert codes[index] == {"failed": 1, "partial": 6}[shard["verdict"]]
        assert f"--shard {index}/3" in shard["run"]["replay"]
    capsys.readouterr()
    merged_path = out / "merged.json"
    code = main(["merge", "--report", str(merged_path), *(str(out / f"shard-{index}.json") for index in (3, 1, 2))])
    merged = json.loads(merged_path.read_text())
    assert code == codes["whole"]
    assert judged(merged) == judged(whole)
    assert "shard" not in merged and merged["run"]["replay"] == whole["run"]["replay"]
    assert [entry["shard"] for entry in merged["run"]["shards"]] == ["1/3", "2/3", "3/3"]
    # JUnit: the same test cases with the same outcomes
    assert junit_cases(out / "merged.junit.xml") == junit_cases(out / "whole.junit.xml")
    assert (out / "merged.html").read_text().count("Failed: every storefront") >= 1
    printed = capsys.readouterr().out
    assert "merged 3 shards" in printed and "verdict: failed" in printed


def test_a_shard_never_reads_certified_but_the_merge_of_every_shard_does(tmp_path, capsys):
    reports = []
    for index in (1, 2):
        reports.append(tmp_path / f"shard-{index}.json")
        code = main(["certify", "--connector", SQUARE_ONLY, "--shard", f"{index}/2", "--report", str(reports[-1]),
                     "--cucumber-json", str(tmp_path / f"cucumber-{index}.json"), *NO_XDIST])
        shard = json.loads(reports[-1].read_text())
        # all its scenarios passed, yet a shard alone proves only its share
        assert shard["scenarios"]["failed"] == 0 and shard["scenarios"]["passed"] > 0
        assert (code, shard["verdict"]) == (6, "partial")
        assert shard["headline"] == f"Shard {index}/2 of the run, partial: Square → NetSuite"
        assert "Certified" not in (tmp_path / f"shard-{index}.html").read_text()
    merged = tmp_path / "merged" / "certification.json"
    code = main(["merge", "--report", str(merged), "--cucumber-json", str(tmp_path / "merged" / "cucumber.json"),
                 *map(str, reports)])
    data = json.loads(merged.read_text())
    assert (code, data["verdict"], data["headline"]) == (0, "certified", "Certified: Square → NetSuite")
    assert data["narrowed_by"] == []
    scenarios = [element for feature in json.loads((tmp_path / "merged" / "cucumber.json").read_text())
                 for element in feature["elements"]]
    assert len(scenarios) == data["scenarios"]["passed"]
    assert "Certified: Square → NetSuite" in capsys.readouterr().out


def _copy(source: Path, target: Path, change=None) -> Path:
    """A shard report (with its JUnit beside it) copied elsewhere, optionally altered."""
    target.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(source.read_text())
    if change:
        change(data)
    target.write_text(json.dumps(data))
    shutil.copy(source.parent / data["shard"]["files"]["junit"], target.parent / data["shard"]["files"]["junit"])
    return target


def _set_seed(data: dict) -> None:
    data["run"]["seed"] = 7


def _set_count(data: dict) -> None:
    data["shard"]["count"] = 4


def _set_commit(data: dict) -> None:
    data["run"]["git_commit"] = "0" * 40


def _damage(data: dict) -> None:
    del data["shard"]["scenarios"][0]["position"]


@pytest.mark.parametrize("case,message", [
    ("missing", "shard 2/3 missing (given: 1/3, 3/3); a merge of fewer than every shard is no verdict"),
    ("duplicate", "shard 1/3 given 2 times: "),
    ("other seed", "(shard 3/3) is not of the same run as "),
    ("other commit", "its commit is '0000000000000000000000000000000000000000'"),
    ("other shard count", "its shard count is 4, not 3"),
    ("not a shard", "is not a shard's report: it was written by `refund-harness certify` without --shard"),
    ("no cucumber", "--cucumber-json: "),
    ("damaged", "three.json is a damaged shard report: KeyError('position') is missing or malformed"),
])
def test_a_merge_missing_a_shard_or_given_a_wrong_one_refuses_names_it_and_writes_nothing(
        narrowed_run, tmp_path, capsys, case, message):
    out = narrowed_run["dir"]
    one, two, three = (out / f"shard-{index}.json" for index in (1, 2, 3))
    extra: list[str] = []
    given = {"missing": [one, three], "duplicate": [one, two, three, _copy(one, tmp_path / "again" / "one.json")],
             "other seed": [one, two, _copy(three, tmp_path / "seed" / "three.json", _set_seed)],
             "other commit": [one, two, _copy(three, tmp_path / "commit" / "three.json", _set_commit)],
             "other shard count": [one, two, _copy(three, tmp_path / "count" / "three.json", _set_count)],
             "not a shard": [one, two, three, out / "whole.json"],
             "no cucumber": [one, two, three],
             "damaged": [one, two, _copy(three, tmp_path / "damaged" / "three.json", _damage)]}[case]
    if case == "no cucumber":
        extra = ["--cucumber-json", str(tmp_path / "merged" / "cucumber.json")]
    report = tmp_path / "merged" / "certification.json"
    capsys.readouterr()
    assert main(["merge", "--report", str(report), *extra, *map(str, given)]) == 4
    err = capsys.readouterr().err
    assert message in err and err.strip().endswith("nothing written"), err
    if case == "other seed":
        assert "its seed is 7, not 20261128" in err
    assert not (tmp_path / "merged").exists() or not any((tmp_path / "merged").iterdir())


@pytest.mark.parametrize("text,message", [
    ("3", "shard '3' is not I/N"), ("0/3", "I must be 1 to N"), ("4/3", "I must be 1 to N"), ("a/b", "is not I/N")])
def test_a_bad_shard_is_a_usage_error_before_anything_runs(tmp_path, capsys, text, message):
    with pytest.raises(SystemExit) as exc:
        main(["certify", "--shard", text, "--report", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert exc.value.code == 4 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "r.json").exists()
    with pytest.raises(ShardError, match="I/N|1 to N"):
        parse_shard(text)


def test_the_deal_puts_every_scenario_in_exactly_one_shard_whatever_the_order_and_balances_the_seconds():
    durations = {f"t::s{n}": float(n % 7 + 1) for n in range(40)}
    nodeids = list(durations) + [f"t::new{n}" for n in range(5)]   # not recorded: the median's weight
    shares = deal(nodeids, durations, 3)
    assert sorted(n for share in shares for n in share) == sorted(nodeids)
    assert deal(list(reversed(nodeids)), durations, 3) == shares   # each process deals the same way
    fallback = default_weight(durations)
    assert fallback == 4.0
    loads = [sum(durations.get(n, fallback) for n in share) for share in shares]
    assert max(loads) - min(loads) <= max(durations.values())   # longest first: within one scenario
    assert deal(["t::a", "t::b"], {}, 3)[2] == []   # more shards than scenarios: some run none


def test_recorded_durations_keep_what_was_not_run_and_drop_what_the_suite_no_longer_has(tmp_path):
    path = tmp_path / "durations.json"
    record_durations(path, {"t::a": 1.234, "t::b": 2.0}, None)
    record_durations(path, {"t::c": 0.5}, None)   # a narrowed run: a and b stay
    assert load_durations(path) == {"t::a": 1.23, "t::b": 2.0, "t::c": 0.5}
    record_durations(path, {"t::c": 0.7}, {"t::a", "t::c"})   # the whole suite collected: b is gone
    assert load_durations(path) == {"t::a": 1.23, "t::c": 0.7}
    path.write_text("{not json")
    with pytest.raises(ShardError, match="regenerate it with `refund-harness certify --record-durations`"):
        load_durations(path)



def test_the_committed_durations_cover_the_suite_with_positive_seconds():
    durations = load_durations(DURATIONS_FILE)
    assert len(durations) > 100 and min(durations.values()) > 0
    assert all(nodeid.startswith("tests/acceptance/test_features.py::") for nodeid in durations)


def test_a_shard_dealt_nothing_still_reports_so_the_merge_is_complete(tmp_path, capsys):
    """More shards than scenarios: the empty shards say so in a report, exit 6 like any shard."""
    narrow = ["--claim", "square:to_netsuite", "-k", "matches_for_a_full_refund or whole_order"]
    reports = [tmp_path / f"shard-{index}.json" for index in (1, 2)]
    codes = [main(["certify", *narrow, "--shard", f"{index}/2", "--report", str(report), *NO_XDIST])
             for index, report in enumerate(reports, start=1)]
    shards = [json.loads(report.read_text()) for report in reports]
    assert codes == [6, 6]
    assert sorted(len(shard["shard"]["scenarios"]) for shard in shards) == [0, 1]
    assert main(["merge", "--report", str(tmp_path / "merged.json"), *map(str, reports)]) == 6
    merged = json.loads((tmp_path / "merged.json").read_text())
    assert merged["scenarios"]["passed"] == merged["scenarios"]["selected"] == 1

