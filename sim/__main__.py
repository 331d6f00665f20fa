"""``python -m sim``: the exlab command line."""

import sys

from sim.cli import main

sys.exit(main())
