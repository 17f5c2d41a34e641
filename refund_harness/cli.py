"""The `refund-harness` command: `certify` runs the acceptance features and writes the report;
`merge` joins the reports of a sharded certification (or of sharded `mutants`) into one verdict;
`steps` prints the step catalog so QA can write scenarios without Python; `storefronts` prints the
platform registry and each platform's capabilities; `serve` serves the simulators over HTTP
(docs/serve-mode.md); `soak` syncs many refunds through transient faults and reconciles them."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from harness.exit_codes import ExitCode

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; use 0 or more")
    return value


def _workers(text: str) -> str:
    if text in ("auto", "logical") or (text.isdigit() and int(text) >= 0):
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers; use a whole number, 'auto' or 'logical'")


class _UsageParser(argparse.ArgumentParser):
    """Usage errors of every command: one line, exit 4 (argparse's own 2 means interrupted for a
    certification run)."""

    def error(self, message: str):
        self.exit(ExitCode.USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("refund-harness")
    except metadata.PackageNotFoundError:
        return "unknown"


def _port(text: str) -> int:
    value = _positive_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port; use 1 to 65535")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _UsageParser(prog="refund-harness", description=__doc__)
    parser.add_argument("--version", action="version", version=f"refund-harness {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_UsageParser)
    certify = sub.add_parser(
        "certify", help="run the certification suite on the in-process simulators",
        usage="refund-harness certify [FEATURE ...] [options] [-- pytest options]",
        description="Certifies what the connector claims (its platforms, directions and optional behaviours; "
                    "--claim narrows it). Exit codes: 0 certified, 1 failed, 2 interrupted or a collection error, "
                    "3 internal error, 4 usage error, 5 nothing selected, 6 partial (nothing failed, but the run was "
                    "filtered or a claimed storefront x direction was not covered). Any exit but 0 writes no "
                    "'certified' verdict; 2, 3, 4 and 5 write no report at all.")
    certify.add_argument("features", nargs="*", type=Path, metavar="FEATURE",
                         help="only these feature files (the verdict is then at best partial)")
    certify.add_argument("--report", type=Path, default=Path("reports/certification.json"),
                         help="where to write the JSON report (default: %(default)s)")
    certify.add_argument("--junit", type=Path, default=None,
                         help="also write JUnit XML here (default: next to the report)")
    certify.add_argument("--seed", type=_positive_int, default=None, help="base seed to replay a run")
    certify.add_argument("-k", dest="keyword", default=None, help="only scenarios matching this pytest -k expression")
    certify.add_argument("--cucumber-json", type=Path, default=None, metavar="PATH",
                         help="also write Cucumber JSON of every scenario here (also under -n)")
    certify.add_argument("--allure-dir", type=Path, default=None, metavar="DIR",
                         help="also write Allure results (one file per scenario, with its steps) into this directory "
                              "(also under -n)")
    certify.add_argument("-n", dest="workers", type=_workers, default=None,
                         help="run scenarios in parallel with pytest-xdist (a number or 'auto')")
    certify.add_argument("--connector", default=None, metavar="MODULE:FACTORY",
                         help="the connector under test: a factory taking a harness.seam.ConnectorContext "
                              "(default: the shipped reference connector; see docs/connector-seam.md)")
    certify.add_argument("--connector-url", default=None, metavar="URL",
                         help="the connector under test is already running there, speaking the connector protocol "
                              "(docs/connector-protocol.md); implies --transport loopback")
    certify.add_argument("--connector-cmd", default=None, metavar="CMD",
                         help="start the connector under test with this command (it prints its URL, see "
                              "docs/connector-protocol.md), certify it over the protocol, stop it at the end; "
                              "implies --transport loopback")
    certify.add_argument("--claim", action="append", default=[], metavar="PLATFORM[:DIRECTION]",
                         help="certify only this part of what the connector claims, e.g. <platform>:to_netsuite "
                              "(repeatable; a platform alone means each direction claimed for it). It narrows "
                              "the connector's claim, never widens it")
    certify.add_argument("--transport", choices=("inprocess", "loopback"), default="inprocess",
                         help="in process (default), or every call over loopback sockets to served simulators")
    certify.add_argument("--shard", type=_shard, default=None, metavar="I/N",
                         help="run only shard I of N (dealt by the durations in tests/acceptance/durations.json); "
                              "its report is that shard's, at best partial: `refund-harness merge` of every shard "
                              "gives the verdict (docs/ci.md)")
    certify.add_argument("--record-durations", action="store_true",
                         help="write the seconds each scenario took into tests/acceptance/durations.json, which "
                              "--shard deals by (entries of scenarios not run are kept)")
    merge = sub.add_parser(
        "merge", help="merge the reports of every shard of one certification into one report and verdict",
        usage="refund-harness merge --report PATH [--junit PATH] [--cucumber-json PATH] SHARD.json ...",
        description="Merge the JSON reports of `refund-harness certify --shard I/N` (each shard once, all of one "
                    "run: same seed, commit, connector, claim, selection and shard count) into one report judged "
                    "as an unsharded run is, with the HTML beside it and the shards' JUnit XML (and Cucumber "
                    "JSON) merged. Exit codes: 0 certified, 1 failed, 4 usage error or a shard missing, given twice "
                    "or of another run (nothing written), 6 partial. Given the shard reports of `refund-harness "
                    "mutants --shard I/N` instead, it joins them into the table, kill rate and exit code of the "
                    "unsharded `refund-harness mutants` and writes the merged JSON to --report.")
    merge.add_argument("shards", nargs="+", type=Path, metavar="SHARD.json", help="every shard's JSON report")
    merge.add_argument("--report", type=Path, required=True, help="where to write the merged JSON report")
    merge.add_argument("--junit", type=Path, default=None,
                       help="where to write the merged JUnit XML (default: next to the report)")
    merge.add_argument("--cucumber-json", type=Path, default=None, metavar="PATH",
                       help="also merge the shards' Cucumber JSON into this file (every shard must have written one)")
    sub.add_parser("steps", help="print the step catalog (each step pattern with an example)")
    mutants = sub.add_parser(
        "mutants", help="certify every deliberately broken connector and print the kill rate",
        usage="refund-harness mutants [-n N] [--learn] [--shard I/N --report PATH] [MUTANT ...] [-- PYTEST_ARGS]",
        description="Certify the reference connector, then each mutant (harness/mutants/), and print the kill rate. "
                    "Everything after `--` goes to every certification's pytest (e.g. `-- -k walmart`); a run "
                    "narrowed that way holds the connectors to `partial`, the best a narrowed run can get.")
    mutants.add_argument("-n", dest="workers", type=_positive_int, default=2,
                         help="certifications run at a time (default: %(default)s)")
    mutants.add_argument("names", nargs="*", metavar="MUTANT", help="only these mutants (default: all)")
    mutants.add_argument("--learn", action="store_true",
                         help="record which scenario caught each mutant in harness/mutants/catches.json, the order "
                              "the next run tries scenarios in for it, and the seconds each certification took in "
                              "harness/mutants/seconds.json, which --shard deals by")
    mutants.add_argument("--shard", type=_shard, default=None, metavar="I/N",
                         help="run only shard I of N of the certifications (the reference connector's and each "
                              "mutant's, dealt by their recorded seconds) and write its --report: `refund-harness "
                              "merge` of every shard gives the kill rate and the verdict (docs/mutants.md)")
    mutants.add_argument("--report", type=Path, default=None, metavar="PATH",
                         help="write what the run found as JSON (required with --shard)")
    storefronts = sub.add_parser("storefronts", help="print the platform registry and each platform's capabilities")
    storefronts.add_argument("--json", action="store_true", help="print it as JSON")
    probe = sub.add_parser(
        "probe", help="find out whether a storefront refunds by line: a manual refund, then read it back",
        description="Refund one unit of a line in the storefront's simulator (an amount where its admin offers "
                    "only amounts), read the refund back through its API, and compare with the registry. "
                    "Exit codes: 0 every probe agrees with the registry, 1 some probe disagrees, 4 usage error.")
    probe.add_argument("names", nargs="*", metavar="PLATFORM", help="the storefronts to probe (default: all)")
    probe.add_argument("--json", action="store_true", help="print one JSON object per storefront")
    probe.add_argument("--seed", type=_positive_int, default=1, help="seed for the probe's order (default: %(default)s)")
    serve = sub.add_parser("serve", help="serve a seeded World's simulators over HTTP until Ctrl-C or SIGTERM",
                           description="Serve the NetSuite simulator and every registered storefront's (with /_sim control "
                                       "planes) on loopback. Exit codes: 0 stopped cleanly, 2 bad flags, "
                                       "3 cannot listen (e.g. port in use), 4 cannot write the manifest.")
    serve.add_argument("--demo", action="store_true",
                       help="also connect each storefront in the connector and place, sync and bill orders")
    serve.add_argument("--manifest", type=Path, default=None,
                       help="write base URLs, credentials and control URLs (JSON) here once every server listens")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    serve.add_argument("--port", type=_port, default=0,
                       help="first port; the next servers take the following ports (default: any free port)")
    serve.add_argument("--seed", type=_positive_int, default=1, help="seed for data and credentials (default: %(default)s)")
    serve.add_argument("--clock", choices=("wall", "manual"), default="wall",
                       help="the simulators' time: 'wall' (default; what a client signing with its own clock "
                            "agrees with, advanced further by /_sim/clock/advance) or 'manual' (a fixed start "
                            "moved only by /_sim/clock/advance, for a replayable run)")
    soak = sub.add_parser(
        "soak", help="sync many refunds over every platform and direction through transient faults, then reconcile",
        usage="refund-harness soak --refunds N --fault-rate R --seed S [--workers W]",
        description="Spread N refunds over every registered platform and each direction it offers, with R of "
                    "requests answered by a transient fault (429, 500, 503, timeout, reset, lost answer), on the "
                    "in-process simulators and the reference connector; quiet runs then converge and both sides "
                    "are reconciled per order. A progress bar goes to stderr, one JSON line to stdout. Exit codes: "
                    "0 nothing lost, doubled or mismatched; 1 otherwise; 4 usage error.")
    soak.add_argument("--refunds", type=_positive_int, required=True, metavar="N", help="refunds to make in all")
    soak.add_argument("--fault-rate", type=_rate, required=True, metavar="R",
                      help="share of requests answered by a transient fault, 0 to below 1")
    soak.add_argument("--seed", type=_positive_int, required=True, metavar="S",
                      help="seed (with --serial and one worker: same seed, same soak)")
    soak.add_argument("--serial", action="store_true",
                      help="the connector posts one refund at a time, so the seed replays the soak exactly")
    soak.add_argument("--workers", type=_positive_int, default=1, metavar="W",
                      help="connector workers running each scheduled run at once (default: %(default)s)")
    return parser


def _shard(text: str):
    from harness.shards import ShardError, parse_shard

    try:
        return parse_shard(text)
    except ShardError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a rate from 0 to below 1 (0.1 is one request in ten)")
    return value


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `certify ... -- -m qa --maxfail 1`: everything after `--` goes to pytest untouched
    passthrough = argv[argv.index("--") + 1:] if "--" in argv else []
    args = _parser().parse_args(argv[:len(argv) - len(passthrough) - bool(passthrough or "--" in argv)])
    if args.command == "certify":
        args.pytest_args = passthrough
        return certify(args)
    if args.command == "merge":
        return merge(args)
    if args.command == "serve":
        return serve(args)
    if args.command == "mutants":
        args.pytest_args = passthrough
        return mutants(args)
    if args.command == "probe":
        return probe(args)
    if args.command == "soak":
        return soak(args)
    try:
        return print_steps() if args.command == "steps" else print_storefronts(as_json=args.json)
    except BrokenPipeError:  # piped into `head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK


def probe(args: argparse.Namespace) -> int:
    from harness.platforms import UnknownPlatform, platform, platforms
    from harness.probe import probe as run_probe

    try:
        chosen = [platform(name) for name in args.names] or platforms()
    except UnknownPlatform as exc:
        print(f"refund-harness: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    disagree = 0
    for entry in chosen:
        result = run_probe(entry, seed=args.seed)
        disagree += not result.agrees
        print(json.dumps(result.as_dict()) if args.json else result.describe(), flush=True)
    return ExitCode.FAILED if disagree else ExitCode.OK


def mutants(args: argparse.Namespace) -> int:
    from harness.mutants import MUTANTS
    from harness.mutants.run import run

    unknown = [name for name in args.names if name not in MUTANTS]
    if unknown:
        print(f"refund-harness: no mutant {', '.join(unknown)}; mutants: {', '.join(sorted(MUTANTS))}", file=sys.stderr)
        return ExitCode.USAGE
    if args.workers < 1:
        print("refund-harness: -n must be 1 or more", file=sys.stderr)
        return ExitCode.USAGE
    if args.shard and not args.report:
        print("refund-harness mutants: --shard needs --report PATH, the file `refund-harness merge` joins",
              file=sys.stderr)
        return ExitCode.USAGE
    if args.shard and args.learn:
        print("refund-harness mutants: --learn records a whole run; it cannot be given with --shard", file=sys.stderr)
        return ExitCode.USAGE
    report = args.report.resolve() if args.report else None
    problem = _unwritable(report) if report else None
    if problem:
        print(f"refund-harness mutants: cannot write {report}: {problem}", file=sys.stderr)
        return ExitCode.USAGE
    names = args.names or sorted(MUTANTS)
    if args.shard:
        from harness.mutants.fanout import run_shard
        from harness.shards import ShardError

        try:
            return run_shard(names, args.workers, args.pytest_args, args.shard, report)
        except ShardError as exc:
            print(f"refund-harness mutants: {exc}", file=sys.stderr)
            return ExitCode.USAGE
    return run(names, args.workers, learn_catches=args.learn, options=args.pytest_args, report_path=report)


def soak(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from harness.soak import SoakConfig, SoakError, run_soak

    try:
        config = SoakConfig(refunds=args.refunds, fault_rate=args.fault_rate, seed=args.seed, workers=args.workers,
                            serial=args.serial)
    except SoakError as exc:
        print(f"refund-harness soak: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    tasks: dict[str, object] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done, total=total)  # type: ignore[arg-type]

    try:
        with bar:
            result = run_soak(config, progress)
    except SoakError as exc:
        print(f"refund-harness soak: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    print(json.dumps(result.summary()), flush=True)
    for line in result.mismatches:
        print(f"refund-harness soak: {line}", file=sys.stderr)
    clean = not (result.lost or result.duplicated or result.mismatched_orders) and result.converged
    return ExitCode.OK if clean else ExitCode.FAILED


def serve(args: argparse.Namespace) -> int:
    from harness.serving import serve as run

    manifest = args.manifest.resolve() if args.manifest else None
    problem = _unwritable(manifest) if manifest else None
    if problem:
        print(f"refund-harness: cannot write {manifest}: {problem}", file=sys.stderr)
        return ExitCode.USAGE
    return run(seed=args.seed, host=args.host, first_port=args.port, demo=args.demo, manifest_path=manifest,
               clock=args.clock)


def certify(args: argparse.Namespace) -> int:
    import pytest

    suite = PROJECT_ROOT / "tests" / "acceptance"
    if not (PROJECT_ROOT / "features").is_dir() or not suite.is_dir():
        print(f"refund-harness: no features/ or tests/acceptance/ under {PROJECT_ROOT}; "
              "run certify from a checkout of the project", file=sys.stderr)
        return ExitCode.USAGE
    problem = _usage_problem(args)
    if problem:
        print(f"refund-harness certify: {problem}", file=sys.stderr)
        return ExitCode.USAGE
    report = args.report.resolve()
    junit = (args.junit or report.with_suffix(".junit.xml")).resolve()
    # -rN: no list of FAILED ids after the summary, whose last screen is the verdict, matrix and groups
    pytest_args = [str(suite), "-q", "-rN", "-p", "no:cacheprovider", f"--rootdir={PROJECT_ROOT}",
                   f"--certification-report={report}", f"--junitxml={junit}", "--harness-progress=terminal",
                   "--harness-lint"]
    pytest_args += [f"--harness-feature={feature.resolve()}" for feature in args.features]
    if args.cucumber_json:
        pytest_args.append(f"--certification-cucumber-json={args.cucumber_json.resolve()}")
    if args.allure_dir:
        pytest_args.append(f"--alluredir={args.allure_dir.resolve()}")
    if args.seed is not None:
        pytest_args.append(f"--harness-seed={args.seed}")
    if args.transport != "inprocess":
        pytest_args.append(f"--harness-transport={args.transport}")
    if args.shard:
        pytest_args.append(f"--harness-shard={args.shard}")
    if args.record_durations:
        from harness.shards import DURATIONS_FILE

        pytest_args.append(f"--harness-record-durations={DURATIONS_FILE}")
    if args.keyword:
        pytest_args += ["-k", args.keyword]
    if args.workers:
        pytest_args += ["-n", args.workers]
    pytest_args += [f"--harness-claim={claim}" for claim in args.claim]
    if args.connector_cmd:
        from harness.connectors.process import ConnectorProcess, ConnectorProcessFailed

        try:
            process = ConnectorProcess(args.connector_cmd, cwd=Path.cwd())
        except ConnectorProcessFailed as exc:
            print(f"refund-harness certify: {exc}", file=sys.stderr)
            return ExitCode.USAGE
        with process:
            return _run_pytest(pytest_args + [f"--harness-connector-cmd={args.connector_cmd}"], args, process.url)
    return _run_pytest(pytest_args, args, args.connector_url or args.connector)


def merge(args: argparse.Namespace) -> int:
    """Merge every shard's report, or refuse (exit 4, nothing written) naming the shard at fault."""
    from rich.console import Console

    from harness.certification import VERDICT_EXIT, print_summary, write_atomically, write_report
    from harness.html_report import render_html
    from harness.shards import ShardError, merge as merge_reports, merge_cucumber, merge_junit, read_shard

    from harness.mutants.fanout import is_mutants_report

    if any(is_mutants_report(path) for path in args.shards):
        return merge_mutants(args)
    report_path = args.report.resolve()
    junit_path = (args.junit or report_path.with_suffix(".junit.xml")).resolve()
    cucumber_path = args.cucumber_json.resolve() if args.cucumber_json else None
    for target in filter(None, (report_path, junit_path, cucumber_path)):
        problem = _unwritable(target)
        if problem:
            print(f"refund-harness merge: cannot write {target}: {problem}", file=sys.stderr)
            return ExitCode.USAGE
    try:
        shards = [read_shard(path) for path in args.shards]
        report = merge_reports(shards)
        junit_files = [shard.file("junit") for shard in shards]
        missing = [f"{shard.named()} names no JUnit XML" for shard, path in zip(shards, junit_files) if path is None]
        if missing:
            raise ShardError("; ".join(missing))
        junit = merge_junit(junit_files)   # type: ignore[arg-type]
        cucumber = None
        if cucumber_path:
            files = [shard.file("cucumber") for shard in shards]
            lacking = [shard.named() for shard, path in zip(shards, files) if path is None]
            if lacking:
                raise ShardError(f"--cucumber-json: {', '.join(lacking)} wrote no Cucumber JSON (certify it with "
                                 "--cucumber-json)")
            cucumber = merge_cucumber(files)   # type: ignore[arg-type]
        html = render_html(report)
    except ShardError as exc:
        print(f"refund-harness merge: {exc}; nothing written", file=sys.stderr)
        return ExitCode.USAGE
    # everything is built before anything is written: a refused merge leaves no file behind
    write_report(report_path, report)
    write_atomically(report_path.with_suffix(".html"), html)
    write_atomically(junit_path, junit.decode("utf-8"))
    if cucumber is not None:
        write_report(cucumber_path, cucumber)
    written = [report_path, report_path.with_suffix(".html"), junit_path] + ([cucumber_path] if cucumber_path else [])
    shards_ran = ", ".join(f"{entry['shard']}: {entry['scenarios']} scenarios in {entry['seconds']} s "
                           f"(predicted {entry['predicted_seconds']} s)" for entry in report["run"]["shards"])
    console = Console(width=140)
    console.print(f"merged {len(shards)} shards ({shards_ran})", soft_wrap=True)
    print_summary(console, report, written)
    return VERDICT_EXIT[report["verdict"]]


def merge_mutants(args: argparse.Namespace) -> int:
    """Merge the shards of `refund-harness mutants --shard`: the table, kill rate and exit code of the
    unsharded run, or a refusal (exit 4, nothing written) naming the shard at fault."""
    from harness.certification import write_report
    from harness.mutants.fanout import merge as merge_shards, read_shard
    from harness.mutants.run import present
    from harness.shards import ShardError

    if args.junit or args.cucumber_json:
        print("refund-harness merge: mutants shards have no JUnit XML or Cucumber JSON; give only --report",
              file=sys.stderr)
        return ExitCode.USAGE
    report_path = args.report.resolve()
    problem = _unwritable(report_path)
    if problem:
        print(f"refund-harness merge: cannot write {report_path}: {problem}", file=sys.stderr)
        return ExitCode.USAGE
    try:
        merged = merge_shards([(path, read_shard(path)) for path in args.shards])
    except ShardError as exc:
        print(f"refund-harness merge: {exc}; nothing written", file=sys.stderr)
        return ExitCode.USAGE
    write_report(report_path, merged)
    print("merged " + ", ".join(f"shard {entry['shard']}: {entry['certifications']} certifications in "
                                f"{entry['seconds']} s (predicted {entry['predicted_seconds']} s)"
                                for entry in merged["shards"]))
    return present(merged)


def _run_pytest(pytest_args: list[str], args: argparse.Namespace, connector: str | None) -> int:
    import pytest

    if connector:
        pytest_args.append(f"--connector={connector}")
        if connector.startswith(("http://", "https://")) and args.transport == "inprocess":
            pytest_args.append("--harness-transport=loopback")
    return int(pytest.main(pytest_args + args.pytest_args))


def _usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with a certify command line, found before a single scenario runs."""
    for feature in args.features:
        if not feature.is_file() or feature.suffix != ".feature":
            return f"no feature file {feature}" + ("" if feature.exists() else " (it does not exist)")
    if args.keyword:
        from harness.pytest_compat import keyword_expression_problem   # pytest's own -k parser, before the run

        problem = keyword_expression_problem(args.keyword)
        if problem is not None:
            return f"-k {args.keyword!r} is not a valid expression: {problem}"
    for target in filter(None, (args.report, args.junit or args.report.with_suffix(".junit.xml"), args.cucumber_json)):
        problem = _unwritable(target.resolve())
        if problem:
            return f"cannot write {target.resolve()}: {problem}"
    if sum(map(bool, (args.connector, args.connector_url, args.connector_cmd))) > 1:
        return "give one of --connector, --connector-url, --connector-cmd"
    if args.connector_url and not args.connector_url.startswith(("http://", "https://")):
        return f"--connector-url {args.connector_url!r}: expected an http:// or https:// URL"
    if args.connector:
        from harness.connectors.load import load_factory

        try:
            load_factory(args.connector)
        except ValueError as exc:
            return str(exc)
    # the connector's claim (and --claim) is checked by the plugin as the run starts: reading it here
    # would import the harness before pytest can rewrite its asserts
    return None


def _unwritable(path: Path) -> str | None:
    """Why a report could not be written there, checked before the run rather than after it."""
    if path.is_dir():
        return "it is a directory; give a file name"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return exc.strerror or str(exc)
    if not os.access(path.parent, os.W_OK):
        return f"{path.parent} is not writable"
    return None


def print_steps() -> int:
    from steps.vocabulary import load_catalog

    catalog = load_catalog()
    for keyword in ("Given", "When", "Then"):
        print(f"{keyword} steps")
        print("-" * (len(keyword) + 6))
        for doc in sorted((d for d in catalog if d.keyword == keyword), key=lambda d: d.pattern):
            print(f"  {keyword} {doc.pattern}")
            print(f"      e.g. {keyword} {doc.example}")
            if doc.summary:
                print(f"      {doc.summary}")
        print()
    from harness.platforms import platforms
    from steps.vocabulary import describe_types

    print("Placeholders")
    print("------------")
    for doc in describe_types():
        print(f"  {{...:{doc.name}}}  {doc.meaning}, e.g. {doc.example}")
    print(f"  (storefronts registered: {', '.join(p.display_name for p in platforms())})")
    return ExitCode.OK


def print_storefronts(*, as_json: bool) -> int:
    from dataclasses import fields

    from harness.platforms import Capabilities, platforms

    entries = [p.describe() for p in platforms()]
    if as_json:
        print(json.dumps(entries, indent=2))
        return ExitCode.OK
    from rich.console import Console
    from rich.table import Table

    # one column per storefront and a row per capability: the table stays readable as the fleet grows
    table = Table(title="Registered storefronts")
    table.add_column("capability")
    for entry in entries:
        table.add_column(entry["name"])
    table.add_row("directions", *("\n".join(entry["directions"]) for entry in entries))
    table.add_row("best practice", *(entry["best_practice_direction"] for entry in entries))
    table.add_row("unit allocation", *((entry["unit_allocation"] or "-").replace("_", " ") for entry in entries))
    for flag in [f.name for f in fields(Capabilities) if f.type in (bool, "bool")]:
        table.add_row(flag.replace("_", " "), *("yes" if entry[flag] else "no" for entry in entries))
    Console(width=200).print(table)
    return ExitCode.OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
