"""How many examples each property test draws.

CI runs a small budget per test, sized to its cost. `HYPOTHESIS_PROFILE=thorough` raises every
property to at least 500 examples: a local check before a change to the engine or a simulator.
"""
import os

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "refund-harness")
THOROUGH_EXAMPLES = 500


def examples(in_ci: int) -> int:
    """The max_examples for a property whose CI budget is `in_ci`."""
    return max(in_ci, THOROUGH_EXAMPLES) if PROFILE == "thorough" else in_ci
