"""The `refund-harness` command, above both the harness and the step vocabulary it prints: the one
place that may import either (``harness`` never imports ``steps``)."""
