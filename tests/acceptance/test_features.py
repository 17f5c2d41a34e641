"""Binds every feature file under features/ to pytest (steps come from the harness plugin)."""
from pytest_bdd import scenarios

scenarios(".")
