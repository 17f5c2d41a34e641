"""Generated mutants as the measure of the certification (``make mutation-score``, docs/mutants.md).

mutmut (the ``mutation`` extra) mutates the connector modules named in pyproject.toml's
``[tool.mutmut]`` one change at a time and runs the certification scenarios that reach each change.
This module drives it and reads its results: ``run`` tests the mutants not tested yet (all of them,
or a seeded sample per module) and then reports; ``report`` only reports. The score of a module is
killed / (killed + survived), where a survivor triaged as equivalent in docs/mutation-triage.toml
counts in neither; nor does one triaged as wording (only the words of a message change, and the
certification holds no connector to its words), but the report prints the score counting those as
survived beside it. Timeouts, mutants no scenario reaches and mutants not tested yet are counted
beside it; the functions no scenario runs are known from mutmut's recorded stats without testing
their mutants, and are listed. A low score is a measurement, not an error: only a failed run or a bad triage file makes
the command exit non-zero.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from harness.exit_codes import ExitCode

MUTANTS_DIR = Path("mutants")
TRIAGE_FILE = Path("docs") / "mutation-triage.toml"
VERDICTS = ("equivalent", "wording", "needs scenario")
PRIORITIES = ("low",)
DEFAULT_SEED = 20261206
# the packages pyproject.toml ships ([tool.setuptools.packages.find]); the scenarios import each of them
SHIPPED_PACKAGES = ("common", "simulators", "connector", "harness", "steps")

# mutmut's exit-code vocabulary (mutmut.stats.status_by_exit_code) folded into the report's columns
COLUMN = {"killed": "killed", "survived": "survived", "timeout": "timeout", "no tests": "no tests",
          "not checked": "not checked"}


class MutationScoreError(Exception):
    """The run or its inputs are broken (not: the score is low)."""


@dataclass(frozen=True)
class Triage:
    verdict: str
    function_hash: str
    why: str
    priority: str | None = None


@dataclass
class Mutant:
    name: str            # mutmut's key: connector.engine.x_run__mutmut_3
    module: str          # connector/engine.py
    function: str        # x_run, as mutmut names it in the .meta file
    function_hash: str   # mutmut's hash of the function's source; a triage is for that source only
    status: str          # mutmut's status name
    reached: bool = True   # some scenario runs the function (mutmut's recorded stats); else 'no tests' untested

    @property
    def qualified_function(self) -> str:
        return self.name.partition("__mutmut_")[0]   # as mutmut keys its stats


@dataclass
class ModuleScore:
    module: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("killed", "survived", "equivalent", "wording", "timeout", "no tests", "not checked", "other"), 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def score(self) -> float | None:
        decided = self.counts["killed"] + self.counts["survived"]
        return self.counts["killed"] / decided if decided else None

    @property
    def score_counting_wording(self) -> float | None:
        """The score if the survivors that change only a message's words counted as survived."""
        decided = self.counts["killed"] + self.counts["survived"] + self.counts["wording"]
        return self.counts["killed"] / decided if decided else None


def mutmut_status(exit_code: int | None) -> str:
    """mutmut's name for a mutant's exit code: killed, survived, timeout, no tests, not checked, ..."""
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[exit_code]


def reached_functions(root: Path) -> set[str] | None:
    """The functions some certification scenario runs, as mutmut recorded them (None before it has)."""
    path = root / MUTANTS_DIR / "mutmut-stats.json"
    if not path.exists():
        return None
    try:
        tests = json.loads(path.read_text())["tests_by_mangled_function_name"]
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise MutationScoreError(f"cannot read mutmut's stats {path}: {exc}") from exc
    return {function for function, names in tests.items() if names}


def load_mutants(root: Path, status_of: Callable[[int | None], str] = mutmut_status) -> list[Mutant]:
    """Every mutant mutmut generated, with its latest result, from the .meta file beside each mutated module."""
    reached = reached_functions(root)
    mutants: list[Mutant] = []
    for meta_path in sorted((root / MUTANTS_DIR).rglob("*.py.meta")):
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise MutationScoreError(f"cannot read mutmut's results {meta_path}: {exc}") from exc
        module = meta_path.relative_to(root / MUTANTS_DIR).as_posix().removesuffix(".meta")
        hashes = meta.get("hash_by_function_name", {})
        for name, exit_code in meta.get("exit_code_by_key", {}).items():
            function = name.rpartition(".")[2].partition("__mutmut_")[0]
            mutant = Mutant(name, module, function, hashes.get(function, ""), status_of(exit_code))
            mutant.reached = reached is None or mutant.qualified_function in reached
            mutants.append(mutant)
    return mutants


def load_triage(path: Path) -> dict[str, Triage]:
    """docs/mutation-triage.toml: one line per surviving mutant, ``"name" = {verdict, function, why}``."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise MutationScoreError(f"{path} is not valid TOML: {exc}") from exc
    entries = data.get("survivors", {})
    if not isinstance(entries, dict):
        raise MutationScoreError(f"{path}: [survivors] must be a table of mutant name = {{...}}")
    triage: dict[str, Triage] = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            raise MutationScoreError(f"{path}: {name} must be an inline table with verdict, function and why")
        verdict, function_hash, why = entry.get("verdict"), entry.get("function"), entry.get("why")
        priority = entry.get("priority")
        if verdict not in VERDICTS:
            raise MutationScoreError(f"{path}: {name} has verdict {verdict!r}; use one of {', '.join(VERDICTS)}")
        if not isinstance(function_hash, str) or not function_hash:
            raise MutationScoreError(f"{path}: {name} names no function hash (mutmut's hash of the mutated "
                                     "function, from its .meta file); a triage is for one version of the code")
        if not isinstance(why, str) or not why.strip():
            raise MutationScoreError(f"{path}: {name} says no why (the reason it is equivalent, or the bug it is)")
        if priority is not None and priority not in PRIORITIES:
            raise MutationScoreError(f"{path}: {name} has priority {priority!r}; use {', '.join(PRIORITIES)} or none")
        unknown = set(entry) - {"verdict", "function", "why", "priority"}
        if unknown:
            raise MutationScoreError(f"{path}: {name} has unknown key(s) {', '.join(sorted(unknown))}")
        triage[name] = Triage(verdict, function_hash, why.strip(), priority)
    return triage


@dataclass
class Report:
    modules: list[ModuleScore]
    untriaged: list[Mutant]
    needs_scenario: list[tuple[Mutant, Triage]]
    stale: list[str]   # triage lines that no longer describe a surviving mutant of the same code
    unreached: dict[str, int] = field(default_factory=dict)   # function -> its mutants no scenario reaches


def build_report(mutants: list[Mutant], triage: dict[str, Triage]) -> Report:
    by_module: dict[str, ModuleScore] = {}
    untriaged: list[Mutant] = []
    needs_scenario: list[tuple[Mutant, Triage]] = []
    used: set[str] = set()
    stale: list[str] = []
    unreached: dict[str, int] = {}
    for mutant in mutants:
        scores = by_module.setdefault(mutant.module, ModuleScore(mutant.module))
        column = COLUMN.get(mutant.status, "other")
        if column == "not checked" and not mutant.reached:
            column = "no tests"   # what mutmut will find: no scenario runs the function
        if column == "no tests":
            unreached[mutant.qualified_function] = unreached.get(mutant.qualified_function, 0) + 1
        entry = triage.get(mutant.name)
        if column == "survived":
            if entry is not None and entry.function_hash == mutant.function_hash:
                used.add(mutant.name)
                if entry.verdict in ("equivalent", "wording"):
                    column = entry.verdict
                else:
                    needs_scenario.append((mutant, entry))
            else:
                untriaged.append(mutant)
        scores.counts[column] += 1
    for name, entry in triage.items():
        if name in used:
            continue
        mutant = next((m for m in mutants if m.name == name), None)
        if mutant is None:
            stale.append(f"{name}: no such mutant any more")
        elif mutant.status == "not checked":
            continue   # its function changed or it was not run this time: it is tested again first
        elif mutant.status != "survived":
            stale.append(f"{name}: now {mutant.status}")
        else:
            stale.append(f"{name}: its function changed since it was triaged (hash {entry.function_hash}, "
                         f"now {mutant.function_hash}); triage it again")
    return Report(sorted(by_module.values(), key=lambda s: s.module), untriaged, needs_scenario, stale,
                  dict(sorted(unreached.items())))


def _percent(score: float | None) -> str:
    return "-" if score is None else f"{score:.0%}"


def wilson_interval(killed: int, decided: int, z: float = 1.96) -> tuple[float, float] | None:
    """The 95% Wilson interval of a module's score when only a random sample of its mutants was tested."""
    if not decided:
        return None
    p = killed / decided
    centre = (p + z * z / (2 * decided)) / (1 + z * z / decided)
    half = z * math.sqrt(p * (1 - p) / decided + z * z / (4 * decided * decided)) / (1 + z * z / decided)
    return max(0.0, centre - half), min(1.0, centre + half)


def _interval(module: ModuleScore) -> str:
    if not module.counts["not checked"]:
        return "all tested"
    bounds = wilson_interval(module.counts["killed"], module.counts["killed"] + module.counts["survived"])
    return "-" if bounds is None else f"{bounds[0]:.0%}-{bounds[1]:.0%}"


def render(report: Report) -> str:
    columns = ("killed", "survived", "equivalent", "wording", "timeout", "no tests", "not checked", "other")
    width = max([len("module")] + [len(m.module) for m in report.modules])
    header = (f"{'module':<{width}} {'mutants':>7} " + " ".join(f"{c:>11}" for c in columns)
              + f" {'score':>6} {'+wording':>8}  {'95% interval':<12}")
    lines = [header, "-" * len(header)]
    total = ModuleScore("total")
    for module in report.modules:
        lines.append(f"{module.module:<{width}} {module.total:>7} "
                     + " ".join(f"{module.counts[c]:>11}" for c in columns)
                     + f" {_percent(module.score):>6} {_percent(module.score_counting_wording):>8}  {_interval(module)}")
        for column in columns:
            total.counts[column] += module.counts[column]
    lines.append("-" * len(header))
    lines.append(f"{'total':<{width}} {total.total:>7} " + " ".join(f"{total.counts[c]:>11}" for c in columns)
                 + f" {_percent(total.score):>6} {_percent(total.score_counting_wording):>8}")
    lines.append("score = killed / (killed + survived); survivors triaged equivalent or wording count in neither "
                 f"({TRIAGE_FILE}).\n+wording = killed / (killed + survived + wording): the score if the survivors that "
                 "change only a message's words\n(which the certification holds no connector to) counted as survived.\nWhere only a random sample was tested ('not checked' > 0), the interval is "
                 "where the module's score lies with 95% confidence (Wilson).")
    if report.unreached:
        lines.append(f"\n{len(report.unreached)} function(s) no certification scenario runs, with their mutants "
                     "('no tests'; mutmut writes a function x_name, a method xǁClassǁname):")
        lines += [f"  {function}  ({count})" for function, count in report.unreached.items()]
    if report.needs_scenario:
        lines.append(f"\n{len(report.needs_scenario)} survivor(s) triaged 'needs scenario' "
                     f"({sum(1 for _, t in report.needs_scenario if t.priority == 'low')} of them low priority)")
    if report.untriaged:
        lines.append(f"\n{len(report.untriaged)} survivor(s) not triaged yet (`mutmut show NAME` shows the change; "
                     f"add a line to {TRIAGE_FILE}):")
        lines += [f"  {m.name}  [function hash {m.function_hash}]" for m in report.untriaged]
    if report.stale:
        lines.append(f"\n{len(report.stale)} line(s) of {TRIAGE_FILE} no longer apply:")
        lines += [f"  {line}" for line in report.stale]
    return "\n".join(lines)


def sample(mutants: list[Mutant], per_module: int | None, seed: int, retest: str | None = None) -> list[str]:
    """The mutants to test: per module, a seeded sample of ``per_module`` (or all), minus those already tested.

    A module's mutants that have a result already count towards its ``per_module``; the rest is drawn
    in a seeded order per module. With the same code the order is the same, so a run that was
    interrupted, or a later run, continues the sample instead of drawing a new one, and a larger N keeps
    the smaller sample and adds to it. When the code changes the order is a new one (the module's
    mutants changed), but the results mutmut kept still count: only as many are drawn as mutmut dropped
    (the mutants of changed functions), never a whole new sample tested beside the old one. mutmut
    keeps a survivor's result even after scenarios are added, so ``retest="survivors"`` tests every
    survivor of the selected modules again: the sample's survivors, whatever order the code now gives.
    ``retest="all"`` tests every mutant with a result again, killed ones too: a check loosened (so that
    it no longer holds connectors to one connector's words, say) can let a killed mutant survive, and
    mutmut never re-tests a killed mutant of unchanged code."""
    chosen: list[str] = []
    by_module: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_module.setdefault(mutant.module, []).append(mutant)
    for module, members in sorted(by_module.items()):
        members = sorted(members, key=lambda m: m.name)
        if retest == "all":
            survivors = [m for m in members if m.status != "not checked"]
        else:
            survivors = [m for m in members if m.status == "survived"] if retest == "survivors" else []
        if per_module is not None:
            # a seeded order per module whose first N are the sample: a larger N extends a smaller one
            random.Random(f"{seed}:{module}").shuffle(members)
        untested = [m for m in members if m.status == "not checked"]
        if per_module is not None:
            untested = untested[:max(0, per_module - (len(members) - len(untested)))]
        chosen += [m.name for m in survivors + untested]
    return chosen


def generate(root: Path, max_children: int) -> None:
    """Write mutants/ without testing anything, so a sample can be drawn before the first run.

    mutmut 3.8 has no command for this step alone; these are the calls ``mutmut run`` starts with."""
    script = ("import mutmut.__main__ as m\n"
              "with m.CatchOutput(spinner_title='Generating mutants'):\n"
              "    m.copy_src_dir(); m.copy_also_copy_files(); m.setup_source_paths()\n"
              f"    m.create_mutants({max_children})\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=root)
    if done.returncode != 0:
        raise MutationScoreError(f"generating the mutants failed (exit {done.returncode}; output above)")


def check_imports_resolve_to_mutants(root: Path) -> None:
    """The scenarios must run the copies in mutants/, never the editable install: a mutant whose code
    never runs survives silently. Imports, as mutmut sets up sys.path, every package the project ships
    and the pytest plugins by their entry points (the way pytest loads them), and says where each came from."""
    script = ("import importlib, importlib.metadata as md, json, os, sys\n"
              "from mutmut.utils.file_utils import setup_source_paths\n"
              "setup_source_paths(); os.chdir('mutants')\n"
              "found = {ep.value: ep.load().__file__ for ep in md.entry_points(group='pytest11')\n"
              "         if ep.dist is not None and ep.dist.name == 'refund-harness'}\n"
              f"found.update({{p: importlib.import_module(p).__file__ for p in {list(SHIPPED_PACKAGES)!r}}})\n"
              "print(json.dumps(found))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise MutationScoreError(f"cannot import the project from mutants/: {done.stderr.strip()}")
    found = json.loads(done.stdout.splitlines()[-1])
    outside = {name: path for name, path in found.items()
               if not Path(path).resolve().is_relative_to((root / MUTANTS_DIR).resolve())}
    if outside or len(found) <= len(SHIPPED_PACKAGES):
        raise MutationScoreError("under mutmut these would not come from mutants/ (add them to also_copy in "
                                 f"[tool.mutmut]): {outside or 'the pytest11 entry points were not found'}")


def forget_test_coverage(root: Path) -> bool:
    """Delete mutmut's record of which tests reach each function (``mutants/mutmut-stats.json``), so its
    next run collects it again. mutmut runs a mutant only against the tests that record names for the
    mutated function, and it records new tests but never re-reads a changed one: a scenario changed to
    reach a function would not meet that function's survivors. Returns whether there was a record."""
    stats = root / MUTANTS_DIR / "mutmut-stats.json"
    if not stats.exists():
        return False
    stats.unlink()
    return True


def run(root: Path, per_module: int | None, seed: int, max_children: int, modules: list[str],
        retest: str | None = None) -> None:
    mutmut = Path(sys.executable).parent / "mutmut"
    if not mutmut.exists():
        raise MutationScoreError(f"{mutmut} is missing: install the extra with pip install -e '.[mutation]'")
    if retest and forget_test_coverage(root):
        print("mutation-score: collecting which scenarios reach each function afresh (scenarios may have "
              "changed since mutmut recorded it)", flush=True)
    generate(root, max_children)
    check_imports_resolve_to_mutants(root)
    mutants = [m for m in load_mutants(root) if not modules or m.module in modules]
    if modules and not mutants:
        raise MutationScoreError(f"no mutants in {', '.join(modules)}; the mutated modules are those "
                                 "only_mutate names in pyproject.toml [tool.mutmut]")
    todo = sample(mutants, per_module, seed, retest)
    if not todo:
        print("mutation-score: every selected mutant has a result already (mutmut re-tests a mutant when its "
              "function changes)")
        return
    print(f"mutation-score: testing {len(todo)} mutant(s) with mutmut, {max_children} at a time", flush=True)
    started = time.monotonic()
    # mutmut takes the names on its command line; they can be many, so they go in batches
    for first in range(0, len(todo), 400):
        done = subprocess.run([str(mutmut), "run", "--max-children", str(max_children), *todo[first:first + 400]],
                              cwd=root)
        if done.returncode != 0:
            raise MutationScoreError(f"mutmut run failed (exit {done.returncode}; its output is above)")
    print(f"mutation-score: mutmut took {time.monotonic() - started:.0f} s for {len(todo)} mutant(s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.mutation_score", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help="the project checkout holding pyproject.toml and mutants/ (default: here)")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="test the mutants without a result yet, then report")
    run_parser.add_argument("--sample", type=int, metavar="N",
                            help="test a seeded sample of N mutants per module instead of all of them")
    run_parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the sample's seed (default %(default)s)")
    run_parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once (default 2)")
    run_parser.add_argument("--module", action="append", default=[], metavar="PATH",
                            help="only this module, e.g. connector/claims.py (repeatable)")
    retest = run_parser.add_mutually_exclusive_group()
    retest.add_argument("--retest-survivors", dest="retest", action="store_const", const="survivors",
                            help="test the survivors again too (after adding or changing scenarios: mutmut keeps their "
                                 "result), with the scenarios' coverage of each function collected afresh")
    retest.add_argument("--retest-all", dest="retest", action="store_const", const="all",
                            help="test every mutant that has a result again, killed ones too (after loosening a "
                                 "check: mutmut never re-tests a killed mutant of unchanged code)")
    sub.add_parser("report", help="report the results mutmut has, without running anything")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if not (root / "pyproject.toml").is_file():
            raise MutationScoreError(f"no pyproject.toml in {root}; run from the project checkout")
        if args.command == "run":
            if args.sample is not None and args.sample < 1:
                raise MutationScoreError(f"--sample {args.sample}: sample at least 1 mutant per module")
            if args.max_children < 1:
                raise MutationScoreError(f"--max-children {args.max_children}: at least 1")
            run(root, args.sample, args.seed, args.max_children, args.module, args.retest)
        triage = load_triage(root / TRIAGE_FILE)
        mutants = load_mutants(root)
        if not mutants:
            raise MutationScoreError(f"no mutmut results under {root / MUTANTS_DIR}: run `make mutation-score` first")
        print(render(build_report(mutants, triage)))
    except MutationScoreError as exc:
        print(f"mutation-score: {exc}", file=sys.stderr)
        return ExitCode.INTERNAL_ERROR
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
