"""Every `refund-harness` command speaks the same exit codes (harness/exit_codes.py), and the docs say them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.exit_codes import ExitCode
from refund_harness.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs"
COMMANDS = ("certify", "merge", "serve", "soak", "mutants", "probe", "storefronts", "steps")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_flag_is_a_usage_error_on_every_command(command: str, capsys):
    with pytest.raises(SystemExit) as exited:
        main([command, "--no-such-flag"])
    said = capsys.readouterr().err
    assert exited.value.code == ExitCode.USAGE, said
    # one line; the problem it names may be a missing required argument first
    assert said.startswith("refund-harness") and said.count("\n") == 1, said


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["certfy"])
    assert exited.value.code == ExitCode.USAGE and "certfy" in capsys.readouterr().err


def _table_codes(doc: str) -> set[int]:
    return {int(code) for code in re.findall(r"^\| (\d) \|", (DOCS / doc).read_text(), flags=re.MULTILINE)}


def test_the_docs_list_every_exit_code_and_no_other():
    certify, serve = _table_codes("ci.md"), _table_codes("serve-mode.md")
    assert certify == set(range(ExitCode.PARTIAL + 1))
    assert serve == {ExitCode.OK, ExitCode.USAGE, ExitCode.CANNOT_LISTEN}
    assert certify | serve == set(ExitCode)
