"""``python -m services.demo``: see ``cli.py``."""

import sys

from services.demo.cli import main

sys.exit(main())
