"""Test-suite wide settings."""
from hypothesis import settings

from tests.property_budget import PROFILE

# Hypothesis's per-example deadline is a timing assertion; on a loaded 2-core CI machine it only
# produces flakes. Examples are bounded by max_examples instead. print_blob puts the line that
# replays a failure into its report.
settings.register_profile("refund-harness", deadline=None, print_blob=True)
settings.register_profile("thorough", parent=settings.get_profile("refund-harness"), max_examples=500)
settings.load_profile(PROFILE)
