"""The step catalog QA reads must be true: every example matches its own pattern (that every step a
feature file uses is defined is the suite lint's job: tests/unit/test_suite_lint.py)."""
import json
from pathlib import Path

import pytest

from steps.vocabulary import example_matches, load_catalog


def test_every_example_matches_its_pattern():
    catalog = load_catalog()
    assert catalog, "no steps registered"
    broken = [f"{d.keyword} {d.pattern!r} vs {d.example!r}" for d in catalog if not example_matches(d)]
    assert not broken, broken


def test_the_cli_prints_the_catalog(capsys):
    from refund_harness.cli import main

    assert main(["steps"]) == 0
    out = capsys.readouterr().out
    assert "Given a {storefront:Storefront} store connected to NetSuite" in out
    assert "e.g. When the scheduled refund sync runs" in out


@pytest.mark.parametrize("argv,message,code", [(["certify", "--seed", "abc"], "not a whole number", 4),
                                               (["certify", "--seed", "-3"], "negative", 4),
                                               (["certify", "-n", "many"], "'many' is not a number of workers", 4),
                                               (["bogus"], "invalid choice", 4)])
def test_bad_cli_flags_are_named(argv, message, code, capsys):
    from refund_harness.cli import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == code
    err = capsys.readouterr().err
    assert message in err
    if argv[0] == "certify":
        assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("argv,message", [(["certify", "-k", "refund and"], "-k 'refund and' is not a valid expression"),
                                          (["certify", "features/nowhere.feature"], "no feature file"),
                                          (["certify", "--connector", "nowhere:factory"], "nowhere")])
def test_bad_certify_arguments_are_refused_in_one_line_before_the_run(argv, message, capsys):
    from refund_harness.cli import main

    assert main(argv) == 4
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_version(capsys):
    from refund_harness.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("refund-harness ")


def test_certify_one_feature_with_pytest_options_is_partial(tmp_path, capsys):
    from refund_harness.cli import main

    report = tmp_path / "certification.json"
    feature = Path(__file__).resolve().parents[2] / "features" / "activation.feature"
    code = main(["certify", str(feature), "--report", str(report), "--cucumber-json", str(tmp_path / "c.json"),
                 "--", "-p", "no:xdist", "--maxfail=50"])
    data = json.loads(report.read_text())
    # paths as the project names them, not as this machine lays them out
    assert data["run"]["selection"]["features"] == ["features/activation.feature"]
    assert data["run"]["selection"]["paths"] == ["tests/acceptance"] and data["scenarios"]["deselected"] > 0
    assert "refund-harness certify features/activation.feature --seed" in data["run"]["replay"]
    assert data["verdict"] != "certified" and code in (1, 6)
    assert (tmp_path / "certification.html").exists()
    cucumber = json.loads((tmp_path / "c.json").read_text())
    assert [f["uri"] for f in cucumber] == ["features/activation.feature"]
    assert f"--seed {data['run']['seed']}" in capsys.readouterr().out


def test_an_unwritable_report_path_is_refused_before_the_run(tmp_path, capsys):
    from refund_harness.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["certify", "--report", str(blocker / "sub" / "certification.json")]) == 4
    assert "cannot write" in capsys.readouterr().err
    assert main(["certify", "--cucumber-json", str(blocker / "c.json")]) == 4
    assert "cannot write" in capsys.readouterr().err
    assert main(["certify", "--report", str(tmp_path)]) == 4
    assert "is a directory" in capsys.readouterr().err


def test_certify_writes_allure_results_with_each_scenarios_steps(tmp_path):
    import json as _json

    from refund_harness.cli import main

    feature = Path(__file__).resolve().parents[2] / "features" / "activation.feature"
    allure = tmp_path / "allure"
    main(["certify", str(feature), "--report", str(tmp_path / "c.json"), "--allure-dir", str(allure),
          "-k", "square", "--", "-p", "no:xdist"])
    results = [_json.loads(p.read_text()) for p in allure.glob("*-result.json")]
    assert results and all(r["status"] == "passed" for r in results)
    assert all(r["steps"] and r["steps"][0]["name"].startswith("Given ") for r in results)
    assert {p["value"] for r in results for p in r["parameters"] if p["name"] == "storefront"} == {"'square'"}
