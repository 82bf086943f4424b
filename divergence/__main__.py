"""``python -m divergence``: the command line (same as the ``divergence`` command)."""

from .cli import run

run()
