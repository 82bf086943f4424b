"""``python -m divergence``: the command line (same as the ``divergence`` command)."""

import sys

from .cli import main

sys.exit(main())
