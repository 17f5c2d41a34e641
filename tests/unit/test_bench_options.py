"""The benches take no options: a mistyped flag is refused at once, not ignored at the start of a long run."""
import importlib

import pytest


@pytest.mark.parametrize("module", ["bench.__main__", "bench.suite"])
def test_an_unknown_flag_is_refused_before_anything_runs(module, capsys):
    with pytest.raises(SystemExit) as stopped:
        importlib.import_module(module).main(["--refunds", "10"])
    assert stopped.value.code == 2
    assert "unrecognized arguments: --refunds 10" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["bench.__main__", "bench.suite"])
def test_help_says_what_the_bench_measures(module, capsys):
    with pytest.raises(SystemExit) as stopped:
        importlib.import_module(module).main(["--help"])
    assert stopped.value.code == 0 and "measured in one run" in capsys.readouterr().out
