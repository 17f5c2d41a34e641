"""Binds every feature file under features/ to pytest (steps come from the harness plugin; the simulators'
answers are held to the vendors' schemas by conftest.py)."""
from pytest_bdd import scenarios

scenarios(".")
