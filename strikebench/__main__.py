"""``python -m strikebench ...``: the ``strikebench`` command (strikebench.app.cli)."""
import sys

from strikebench.app.cli import main

sys.exit(main())
