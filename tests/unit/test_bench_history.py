"""bench/history.py: reading and writing bench/history.jsonl, and which record a run is compared with (the
newest clean record on the nearest ancestor commit), in a temporary git repository. No timings."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bench import history
from bench.history import HistoryError, Record


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.test", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout.strip()


def _commit(repo: Path, name: str) -> str:
    (repo / f"{name}.txt").write_text(name)   # a file of its own, so branches merge without conflict
    _git(repo, "add", f"{name}.txt")
    _git(repo, "commit", "-q", "-m", name)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "bench").mkdir()
    return tmp_path


def test_records_round_trip_in_the_order_written(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    first = Record("bench", "a" * 40, False, {"one refund / bare request": 29.5, "HTTP calls per refund": 6})
    second = Record("bench-suite", None, True, {"speed-up of -n 2 over -n 0": 1.7})
    history.append(first, path)
    history.append(second, path)
    assert history.read(path) == [first, second]
    assert len(path.read_text().splitlines()) == 2


def test_a_missing_history_is_empty(tmp_path: Path) -> None:
    assert history.read(tmp_path / "absent.jsonl") == []


@pytest.mark.parametrize("line, problem", [
    ("{not json", "not JSON"),
    ('["bench"]', "a JSON object"),
    ('{"bench": "soak", "commit": null, "dirty": false, "at": "x", "figures": {}}', "bench is 'soak'"),
    ('{"bench": "bench", "commit": null, "dirty": "no", "at": "x", "figures": {}}', "dirty is 'no'"),
    ('{"bench": "bench", "commit": null, "dirty": false, "at": "x", "figures": {"a": "fast"}}', "figures must map"),
])
def test_a_bad_line_is_refused_naming_its_line_and_problem(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "history.jsonl"
    history.append(Record("bench", None, False, {"a": 1.0}), path)
    with path.open("a") as out:
        out.write(line + "\n")
    with pytest.raises(HistoryError, match=f"history.jsonl line 2: .*{problem}"):
        history.read(path)


def test_a_clean_run_is_compared_with_the_nearest_ancestor_with_a_record(repo: Path) -> None:
    first = _commit(repo, "first")
    second = _commit(repo, "second")
    _commit(repo, "third")   # HEAD: no record yet
    records = [Record("bench", first, False, {"x": 1.0}), Record("bench", second, False, {"x": 2.0}),
               Record("bench", second, True, {"x": 9.0}),            # uncommitted code: never a baseline
               Record("bench-suite", second, False, {"x": 7.0})]     # another bench
    chosen = history.baseline(records, "bench", _git(repo, "rev-parse", "HEAD"), False, repo)
    assert chosen is records[1]


def test_a_clean_run_is_not_compared_with_its_own_commit_a_dirty_one_is(repo: Path) -> None:
    parent = _commit(repo, "parent")
    head = _commit(repo, "head")
    records = [Record("bench", parent, False, {"x": 1.0}), Record("bench", head, False, {"x": 2.0})]
    assert history.baseline(records, "bench", head, False, repo) is records[0]
    assert history.baseline(records, "bench", head, True, repo) is records[1]


def test_the_newest_record_of_a_commit_wins(repo: Path) -> None:
    parent = _commit(repo, "parent")
    head = _commit(repo, "head")
    records = [Record("bench", parent, False, {"x": 1.0}), Record("bench", parent, False, {"x": 3.0})]
    assert history.baseline(records, "bench", head, False, repo) is records[1]


def test_nearest_means_fewest_parent_steps_across_a_merge(repo: Path) -> None:
    base = _commit(repo, "base")
    _git(repo, "checkout", "-q", "-b", "side")
    side = _commit(repo, "side")
    _git(repo, "checkout", "-q", "main")
    far = _commit(repo, "main-1")
    _commit(repo, "main-2")
    _git(repo, "merge", "-q", "--no-ff", "-m", "merge", "side")
    merge = _git(repo, "rev-parse", "HEAD")
    # side is one step from the merge, far two: side wins though main is the first parent
    records = [Record("bench", far, False, {"x": 1.0}), Record("bench", side, False, {"x": 2.0}),
               Record("bench", base, False, {"x": 3.0})]
    assert history.baseline(records, "bench", merge, False, repo) is records[1]
    assert history.ancestors_by_distance(repo, merge)[0] == merge


def test_a_record_of_a_commit_off_the_ancestry_is_no_baseline(repo: Path) -> None:
    _commit(repo, "base")
    _git(repo, "checkout", "-q", "-b", "side")
    side = _commit(repo, "side")
    _git(repo, "checkout", "-q", "main")
    head = _commit(repo, "main")
    assert history.baseline([Record("bench", side, False, {"x": 1.0})], "bench", head, False, repo) is None


def test_dirty_means_tracked_changes_other_than_the_history(repo: Path) -> None:
    log = repo / "bench" / "history.jsonl"
    log.write_text("")
    _git(repo, "add", "bench/history.jsonl")
    head = _commit(repo, "head")
    assert history.code_state(repo, log) == (head, False)
    history.append(Record("bench", head, False, {"x": 1.0}), log)
    (repo / "untracked.txt").write_text("not part of the code")
    assert history.code_state(repo, log) == (head, False)
    (repo / "head.txt").write_text("changed")
    assert history.code_state(repo, log) == (head, True)


def test_report_prints_each_figure_beside_the_baseline_and_records_the_run(repo: Path) -> None:
    log = repo / "bench" / "history.jsonl"
    parent = _commit(repo, "parent")
    history.append(Record("bench", parent, False, {"one refund / bare request": 40.0, "gone": 1.0}), log)
    _git(repo, "add", "bench/history.jsonl")
    head = _commit(repo, "head")
    printed = history.report("bench", {"one refund / bare request": 30.0, "HTTP calls per refund": 6.0}, repo, log)
    assert f"nearest ancestor commit's record, {parent[:10]}" in printed
    rows = {line.split("  ")[1].strip(): line for line in printed.splitlines() if line.startswith("  ") and "  " in line[2:]}
    assert rows["one refund / bare request"].split()[-3:] == ["30.00", "40.00", "-25%"]
    assert rows["HTTP calls per refund"].split()[-4:] == ["6.00", "-", "new", "figure"]
    assert "not measured any more: gone" in printed
    assert history.read(log)[-1].commit == head and not history.read(log)[-1].dirty


def test_report_says_when_no_ancestor_has_a_record(repo: Path) -> None:
    log = repo / "bench" / "history.jsonl"
    _commit(repo, "only")
    printed = history.report("bench-suite", {"speed-up of -n 2 over -n 0": 1.6}, repo, log)
    assert "No clean `make bench-suite` record on an ancestor of this commit" in printed
    assert [r.figures for r in history.read(log)] == [{"speed-up of -n 2 over -n 0": 1.6}]


def test_nearest_is_breadth_first_not_down_one_branch_first(repo: Path) -> None:
    _commit(repo, "base")
    _git(repo, "checkout", "-q", "-b", "side")
    far = _commit(repo, "side-1")
    _commit(repo, "side-2")
    _git(repo, "checkout", "-q", "main")
    near = _commit(repo, "main-1")
    _git(repo, "merge", "-q", "--no-ff", "-m", "merge", "side")
    # main-1 is one step from the merge, side-1 two: a walk down the side branch first would pick side-1
    records = [Record("bench", far, False, {"x": 1.0}), Record("bench", near, False, {"x": 2.0})]
    assert history.baseline(records, "bench", _git(repo, "rev-parse", "HEAD"), False, repo) is records[1]
