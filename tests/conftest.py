"""Test-suite wide settings."""
from hypothesis import settings

from tests.property_budget import PROFILE

# Hypothesis's per-example deadline is a timing assertion; on a loaded 2-core CI machine it only
# produces flakes. Examples are bounded by max_examples instead. print_blob puts the line that
# replays a failure into its report. The CI profile is derandomized: the gate draws the same examples
# on every run, so a red run is the change's doing and replays; `thorough` draws new ones each time
# to find what those miss.
settings.register_profile("refund-harness", deadline=None, print_blob=True, derandomize=True)
settings.register_profile("thorough", parent=settings.get_profile("refund-harness"), max_examples=500,
                          derandomize=False)
settings.load_profile(PROFILE)
