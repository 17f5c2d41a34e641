"""pytest-bdd step definitions: thin translations from Gherkin to harness calls.

These are non-test modules loaded by the harness's pytest plugin (``harness.plugin``), so every
feature file shares one vocabulary; ``refund-harness steps`` prints it.
"""
import pkgutil

# Every module of this package holds steps except the plugin that loads them, the vocabulary they are
# written in and the suite lint; a new topic's steps are a new module, found here without editing a list.
_NOT_STEPS = {"plugin", "vocabulary", "lint"}
STEP_MODULES = [f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__) if m.name not in _NOT_STEPS]
