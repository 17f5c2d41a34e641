"""pytest-bdd step definitions: thin translations from Gherkin to harness calls.

These are non-test modules loaded by the harness's pytest plugin (``harness.plugin``), so every
feature file shares one vocabulary; ``refund-harness steps`` prints it.
"""
STEP_MODULES = ["steps.setup", "steps.refunds", "steps.checks", "steps.faults"]
