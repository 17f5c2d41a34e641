"""Test-suite wide settings."""
from hypothesis import settings

# Hypothesis's per-example deadline is a timing assertion; on a loaded 2-core CI machine it only
# produces flakes. Examples are bounded by max_examples instead.
settings.register_profile("refund-harness", deadline=None)
settings.load_profile("refund-harness")
