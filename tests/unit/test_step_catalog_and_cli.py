"""The step catalog QA reads must be true: every example matches its own pattern, and every step
used in a feature file is defined."""
import json
import re
from pathlib import Path

import pytest
from pytest_bdd import parsers

from steps.vocabulary import TYPES, example_matches, load_catalog

FEATURES = Path(__file__).resolve().parents[2] / "features"


def test_every_example_matches_its_pattern():
    catalog = load_catalog()
    assert catalog, "no steps registered"
    broken = [f"{d.keyword} {d.pattern!r} vs {d.example!r}" for d in catalog if not example_matches(d)]
    assert not broken, broken


def _feature_steps():
    for path in sorted(FEATURES.glob("*.feature")):
        keyword = None
        for raw in path.read_text().splitlines():
            line = raw.strip()
            m = re.match(r"(Given|When|Then|And|But) (.*)", line)
            if not m:
                continue
            if m.group(1) in ("Given", "When", "Then"):
                keyword = m.group(1)
            yield path.name, keyword, m.group(2)


@pytest.mark.parametrize("feature,keyword,text", list(_feature_steps()))
def test_every_feature_step_has_a_definition(feature, keyword, text):
    catalog = load_catalog()
    candidates = [d for d in catalog if d.keyword == keyword]
    # outline placeholders stand for any value of the right kind
    concrete = re.sub(r"<storefront>", "Shopify", text)
    concrete = re.sub(r"<direction>", "to NetSuite", concrete)
    assert any(parsers.parse(d.pattern, extra_types=TYPES).is_matching(concrete) for d in candidates), (
        f"{feature}: no {keyword} step matches {text!r}")


def test_the_cli_prints_the_catalog(capsys):
    from harness.cli import main

    assert main(["steps"]) == 0
    out = capsys.readouterr().out
    assert "Given a {storefront:Storefront} store connected to NetSuite" in out
    assert "e.g. When the scheduled refund sync runs" in out


@pytest.mark.parametrize("argv,message,code", [(["certify", "--seed", "abc"], "not a whole number", 4),
                                               (["certify", "--seed", "-3"], "negative", 4),
                                               (["certify", "-n", "many"], "'many' is not a number of workers", 4),
                                               (["bogus"], "invalid choice", 2)])
def test_bad_cli_flags_are_named(argv, message, code, capsys):
    from harness.cli import main

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
    from harness.cli import main

    assert main(argv) == 4
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_version(capsys):
    from harness.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("refund-harness ")


def test_certify_one_feature_with_pytest_options_is_partial(tmp_path, capsys):
    from harness.cli import main

    report = tmp_path / "certification.json"
    feature = Path(__file__).resolve().parents[2] / "features" / "activation.feature"
    code = main(["certify", str(feature), "--report", str(report), "--cucumber-json", str(tmp_path / "c.json"),
                 "--", "-p", "no:xdist", "--maxfail=50"])
    data = json.loads(report.read_text())
    assert data["run"]["selection"]["features"] == [str(feature)] and data["scenarios"]["deselected"] > 0
    assert data["verdict"] != "certified" and code in (1, 6)
    assert (tmp_path / "certification.html").exists()
    cucumber = json.loads((tmp_path / "c.json").read_text())
    assert [f["uri"] for f in cucumber] == ["features/activation.feature"]
    assert f"--seed {data['run']['seed']}" in capsys.readouterr().out


def test_an_unwritable_report_path_is_refused_before_the_run(tmp_path, capsys):
    from harness.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["certify", "--report", str(blocker / "sub" / "certification.json")]) == 4
    assert "cannot write" in capsys.readouterr().err
    assert main(["certify", "--cucumber-json", str(blocker / "c.json")]) == 4
    assert "cannot write" in capsys.readouterr().err
    assert main(["certify", "--report", str(tmp_path)]) == 4
    assert "is a directory" in capsys.readouterr().err
