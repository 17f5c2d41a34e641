"""The exit codes of every `refund-harness` command, in one place (docs/ci.md lists them).

0 to 5 keep pytest's meanings, since `certify` is a pytest run and a CI log may show either."""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0                # certified; a command did what it was asked
    FAILED = 1            # a check failed: a scenario, a reconciliation, a mutant not caught, a lost refund
    INTERRUPTED = 2       # Ctrl-C, or a feature or step module that could not be loaded
    INTERNAL_ERROR = 3    # the harness could not reach a verdict (a bug in the harness, a plugin or pytest)
    USAGE = 4             # bad flag or input file, or an output that cannot be written; nothing written
    NOTHING_SELECTED = 5  # a filter matched no scenario
    PARTIAL = 6           # nothing failed, but the run proved less than the claim
    CANNOT_LISTEN = 7     # serve: a port in use, or an address this machine does not have
