"""Run the command-line interface with ``python -m paxsilica``."""

import sys

from paxsilica.cli import main

sys.exit(main())
