"""`refund-harness mutants --shard I/N` and `refund-harness merge` of its shards: every certification
(the reference connector's and each mutant's) runs in exactly one shard, dealt by recorded seconds, and
the merge gives the table, kill rate and exit code of the unsharded run; a merge missing a shard, given
one twice or one of another run refuses and writes nothing."""
import json

import pytest

from harness.mutants.fanout import UNRECORDED_MUTANT_SECONDS, shares
from harness.mutants.run import REFERENCE, Outcome, connector_of
from refund_harness.cli import main

# one walmart scenario: it catches the two mutants that lose tax or shipping; the one that lets an
# operator enable both directions survives it (the activation scenarios are not selected)
MUTANTS = ["allows_both_directions", "drops_shipping"]
NARROWED = ["--", "-k", "walmart and shipping_refund_lands_on_the_shipping_item"]


def judged(report: dict) -> dict:
    """What a mutants report says about each connector, without how long each certification took."""
    def outcome(data):
        return {key: value for key, value in data.items() if key != "seconds"}

    return {"run": {key: value for key, value in report["run"].items() if key != "workers"},
            "reference": outcome(report["reference"]),
            "mutants": {name: outcome(data) for name, data in report["mutants"].items()}}


@pytest.fixture(scope="module")
def sharded_run(tmp_path_factory) -> dict:
    """The same narrowed mutants run once unsharded and once as three shards."""
    out = tmp_path_factory.mktemp("mutant-shards")
    codes = {"whole": main(["mutants", "-n", "1", "--report", str(out / "whole.json"), *MUTANTS, *NARROWED])}
    for index in (1, 2, 3):
        codes[index] = main(["mutants", "-n", "1", "--shard", f"{index}/3", "--report", str(out / f"shard-{index}.json"),
                             *MUTANTS, *NARROWED])
    return {"dir": out, "codes": codes}


def test_three_mutant_shards_merged_equal_the_unsharded_run(sharded_run, capsys):
    out, codes = sharded_run["dir"], sharded_run["codes"]
    whole = json.loads((out / "whole.json").read_text())
    # the run proves something: one mutant caught, one surviving the narrow selection, the reference passing
    assert whole["mutants"]["drops_shipping"]["verdict"] == "failed"
    assert whole["mutants"]["allows_both_directions"]["verdict"] == "partial"
    assert whole["reference"]["verdict"] == "partial" and whole["reference"]["narrowed"]
    assert codes["whole"] == 1   # an unexplained survivor
    shards = [json.loads((out / f"shard-{index}.json").read_text()) for index in (1, 2, 3)]
    dealt = [connector for shard in shards for connector in shard["shard"]["connectors"]]
    assert sorted(dealt) == sorted([REFERENCE, *map(connector_of, MUTANTS)]) and len(dealt) == len(set(dealt))
    assert all(shard["shard"]["connectors"] for shard in shards)
    # a shard alone is never the verdict: 1 for the shard holding the survivor, else 6
    survivor_shard = next(i for i, s in enumerate(shards, 1) if "allows_both_directions" in s["mutants"])
    assert {index: codes[index] for index in (1, 2, 3)} == {i: 1 if i == survivor_shard else 6 for i in (1, 2, 3)}
    capsys.readouterr()
    code = main(["merge", "--report", str(out / "merged.json"), *(str(out / f"shard-{i}.json") for i in (3, 1, 2))])
    merged = json.loads((out / "merged.json").read_text())
    assert code == codes["whole"]
    assert judged(merged) == judged(whole)
    assert [entry["shard"] for entry in merged["shards"]] == ["1/3", "2/3", "3/3"]
    printed = capsys.readouterr().out
    assert "kill rate: 1/2 = 50%" in printed and "survivor allows_both_directions" in printed


def rewritten(source, target, change) -> str:
    data = json.loads(source.read_text())
    change(data)
    target.write_text(json.dumps(data))
    return str(target)


@pytest.mark.parametrize("case, expected", [
    ("missing", "shard 2/3 missing"),
    ("twice", "shard 1/3 given 2 times"),
    ("other commit", "is not of the same run as"),
    ("other mutants", "its mutants is"),
    ("whole run", "is a whole run's report already"),
    ("certification shard", "a merge joins shards of one kind"),
    ("dealt differently", "ran in both"),
])
def test_a_mutants_merge_missing_a_shard_or_given_a_wrong_one_refuses_and_writes_nothing(
        sharded_run, tmp_path, capsys, case, expected):
    out = sharded_run["dir"]
    shard = {index: str(out / f"shard-{index}.json") for index in (1, 2, 3)}
    given = {
        "missing": [shard[1], shard[3]],
        "twice": [shard[1], shard[1], shard[2], shard[3]],
        "other commit": [shard[1], shard[2], rewritten(out / "shard-3.json", tmp_path / "commit.json",
                                                       lambda d: d["run"].update(git_commit="0" * 40))],
        "other mutants": [shard[1], rewritten(out / "shard-2.json", tmp_path / "mutants.json",
                                              lambda d: d["run"].update(mutants=["drops_tax"])), shard[3]],
        "whole run": [str(out / "whole.json"), shard[1]],
        "certification shard": [shard[1], shard[2], rewritten(
            out / "shard-3.json", tmp_path / "cert.json", lambda d: d.update(kind="certification"))],
        # shard 3 claims shard 1's certifications too, as a shard dealt by another seconds file would
        "dealt differently": [shard[1], shard[2], rewritten(out / "shard-3.json", tmp_path / "dealt.json", lambda d: (
            d["shard"].update(connectors=d["shard"]["connectors"] + json.loads((out / "shard-1.json").read_text())[
                "shard"]["connectors"]),
            d["mutants"].update(json.loads((out / "shard-1.json").read_text())["mutants"]),
            d.update(reference=d["reference"] or json.loads((out / "shard-1.json").read_text())["reference"])))],
    }[case]   # every case's files are written, each under its own name
    capsys.readouterr()
    assert main(["merge", "--report", str(tmp_path / "merged.json"), *given]) == 4
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "merged.json").exists()


def test_the_deal_balances_recorded_seconds_and_weighs_what_was_never_recorded():
    names = ["a", "b", "c", "d", "e"]
    recorded = {REFERENCE: 50.0, connector_of("a"): 30.0, connector_of("b"): 10.0, connector_of("c"): 10.0,
                connector_of("d"): 10.0}   # "e" never recorded: it weighs the median mutant, 10
    dealt, weight = shares(names, 2, recorded, scenario_seconds={})
    assert weight[connector_of("e")] == 10.0
    assert dealt == [[REFERENCE, connector_of("d")], [connector_of("a"), connector_of("b"), connector_of("c"),
                                                      connector_of("e")]]
    assert [sum(weight[c] for c in share) for share in dealt] == [60.0, 60.0]
    # the deal depends on the names and the seconds only, never on the order they are given in
    assert shares(list(reversed(names)), 2, recorded, scenario_seconds={})[0] == dealt
    # nothing recorded at all: the reference weighs every scenario's recorded seconds, a mutant a default
    _, weight = shares(["a"], 2, {}, scenario_seconds={"s1": 40.0, "s2": 2.0})
    assert weight == {REFERENCE: 42.0, connector_of("a"): UNRECORDED_MUTANT_SECONDS}


def test_a_narrowed_run_holds_connectors_to_partial_an_unnarrowed_one_to_certified():
    assert Outcome("m", "partial", (), 1.0, narrowed=True).passed
    assert Outcome("m", "partial", (), 1.0, narrowed=False).rejected   # a claimed row left uncovered
    assert Outcome("m", "failed", (), 1.0, narrowed=True).rejected
    assert not Outcome("m", "error", (), 1.0).rejected and not Outcome("m", "error", (), 1.0).passed


@pytest.mark.parametrize("argv, message", [
    (["mutants", "--shard", "1/2", "drops_tax"], "--shard needs --report"),
    (["mutants", "--shard", "1/2", "--report", "{tmp}/x.json", "--learn"], "cannot be given with --shard"),
    (["mutants", "--shard", "3/2", "--report", "{tmp}/x.json"], "I must be 1 to N"),
])
def test_a_bad_mutants_shard_is_a_usage_error_before_anything_runs(argv, message, tmp_path, capsys):
    try:   # argparse exits on a flag it cannot parse; the command returns on one it refuses
        code = main([arg.format(tmp=tmp_path) for arg in argv])
    except SystemExit as exc:
        code = exc.code
    assert code == 4 and message in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
