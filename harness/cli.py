"""The `refund-harness` command: `certify` runs the acceptance features and writes the report;
`steps` prints the step catalog so QA can write scenarios without Python; `storefronts` prints the
platform registry and each platform's capabilities; `serve` serves the simulators over HTTP
(docs/serve-mode.md)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; use 0 or more")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port; use 1 to 65535")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="refund-harness", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    certify = sub.add_parser("certify", help="run the certification suite on the in-process simulators")
    certify.add_argument("--report", type=Path, default=Path("reports/certification.json"),
                         help="where to write the JSON report (default: %(default)s)")
    certify.add_argument("--junit", type=Path, default=None,
                         help="also write JUnit XML here (default: next to the report)")
    certify.add_argument("--seed", type=_positive_int, default=None, help="base seed to replay a run")
    certify.add_argument("-k", dest="keyword", default=None, help="only scenarios matching this pytest -k expression")
    certify.add_argument("-n", dest="workers", default=None,
                         help="run scenarios in parallel with pytest-xdist (a number or 'auto')")
    certify.add_argument("--connector", default=None, metavar="MODULE:FACTORY",
                         help="the connector under test: a factory taking a harness.seam.ConnectorContext "
                              "(default: the shipped reference connector; see docs/connector-seam.md)")
    certify.add_argument("--transport", choices=("inprocess", "loopback"), default="inprocess",
                         help="in process (default), or every call over loopback sockets to served simulators")
    sub.add_parser("steps", help="print the step catalog (each step pattern with an example)")
    mutants = sub.add_parser("mutants", help="certify every deliberately broken connector and print the kill rate")
    mutants.add_argument("-n", dest="workers", type=_positive_int, default=2,
                         help="certifications run at a time (default: %(default)s)")
    mutants.add_argument("names", nargs="*", metavar="MUTANT", help="only these mutants (default: all)")
    storefronts = sub.add_parser("storefronts", help="print the platform registry and each platform's capabilities")
    storefronts.add_argument("--json", action="store_true", help="print it as JSON")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "certify":
        return certify(args)
    if args.command == "serve":
        return serve(args)
    if args.command == "mutants":
        return mutants(args)
    try:
        return print_steps() if args.command == "steps" else print_storefronts(as_json=args.json)
    except BrokenPipeError:  # piped into `head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def mutants(args: argparse.Namespace) -> int:
    from harness.mutants import MUTANTS
    from harness.mutants.run import run

    unknown = [name for name in args.names if name not in MUTANTS]
    if unknown:
        print(f"refund-harness: no mutant {', '.join(unknown)}; mutants: {', '.join(sorted(MUTANTS))}", file=sys.stderr)
        return 4
    if args.workers < 1:
        print("refund-harness: -n must be 1 or more", file=sys.stderr)
        return 4
    return run(args.names or sorted(MUTANTS), args.workers)


def serve(args: argparse.Namespace) -> int:
    from harness.serving import EXIT_CANNOT_WRITE, serve as run

    manifest = args.manifest.resolve() if args.manifest else None
    problem = _unwritable(manifest) if manifest else None
    if problem:
        print(f"refund-harness: cannot write {manifest}: {problem}", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    return run(seed=args.seed, host=args.host, first_port=args.port, demo=args.demo, manifest_path=manifest)


def certify(args: argparse.Namespace) -> int:
    import pytest

    suite = PROJECT_ROOT / "tests" / "acceptance"
    if not (PROJECT_ROOT / "features").is_dir() or not suite.is_dir():
        print(f"refund-harness: no features/ or tests/acceptance/ under {PROJECT_ROOT}; "
              "run certify from a checkout of the project", file=sys.stderr)
        return 4
    report = args.report.resolve()
    junit = (args.junit or report.with_suffix(".junit.xml")).resolve()
    for target in (report, junit):
        problem = _unwritable(target)
        if problem:
            print(f"refund-harness: cannot write {target}: {problem}", file=sys.stderr)
            return 4
    pytest_args = [str(suite), "-q", "-p", "no:cacheprovider", f"--rootdir={PROJECT_ROOT}",
                   f"--certification-report={report}", f"--junitxml={junit}"]
    if args.seed is not None:
        pytest_args.append(f"--harness-seed={args.seed}")
    if args.transport != "inprocess":
        pytest_args.append(f"--harness-transport={args.transport}")
    if args.keyword:
        pytest_args += ["-k", args.keyword]
    if args.workers:
        pytest_args += ["-n", args.workers]
    if args.connector:
        from harness.seam import load_factory

        try:   # refuse a bad --connector before a single scenario runs
            load_factory(args.connector)
        except ValueError as exc:
            print(f"refund-harness: {exc}", file=sys.stderr)
            return 4
        pytest_args.append(f"--connector={args.connector}")
    return int(pytest.main(pytest_args))


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

    names = ", ".join(p.display_name for p in platforms())
    print(f"Placeholders: {{storefront:Storefront}} is one of {names}; {{direction:Direction}} is "
          "'to NetSuite' or 'from NetSuite'; {n:d} is a whole number; \"{text:Text}\" is quoted text.")
    return 0


def print_storefronts(*, as_json: bool) -> int:
    from harness.platforms import platforms

    entries = [p.describe() for p in platforms()]
    if as_json:
        print(json.dumps(entries, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Registered storefronts")
    flags = ("line_items", "shipping_refunds", "amount_only", "async_settlement", "refund_webhooks",
             "read_only_refunds", "visible_after_settlement")
    for column in ("name", "directions", "best practice", *flags):
        table.add_column(column.replace("_", " "))
    for entry in entries:
        table.add_row(entry["name"], ", ".join(entry["directions"]), entry["best_practice_direction"],
                      *("yes" if entry[flag] else "no" for flag in flags))
    Console(width=200).print(table)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
