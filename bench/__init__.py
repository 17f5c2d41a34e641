"""Benchmarks that print ratios measured within one run (machines are noisy; absolute times drift)."""
