"""Connectors the harness can certify through the seam (``harness.seam``): the shipped reference
engine's adapter lives here; a team's own connector lives in its own package."""
