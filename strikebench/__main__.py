"""``python -m strikebench ...``: the ``strikebench`` command (strikebench.app.cli)."""
import sys

from strikebench.app.cli import console_main

sys.exit(console_main())
