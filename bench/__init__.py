"""Benchmarks that print ratios measured within one run (machines are noisy; absolute times drift)."""


def takes_no_options(prog: str, doc: str | None, argv: list[str] | None) -> None:
    """A bench that takes no options: ``--help`` prints the first paragraph of its ``doc``, and anything
    else is refused (exit 2) before a run of minutes starts."""
    import argparse

    argparse.ArgumentParser(prog=prog, description=(doc or "").split("\n\n")[0]).parse_args(argv)
