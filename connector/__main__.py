"""``python -m connector --config FILE`` (see connector/cli.py)."""
import sys

from connector.cli import main

sys.exit(main())
