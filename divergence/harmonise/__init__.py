"""Harmonisation onto one target: the target, each unit's change backlog, and the waves.

- :mod:`.plan`: the target (a unit, the pooled behaviour, a model file or ``auto``) and the judged backlog;
- :mod:`.observed`: transport of a unit's variants onto the target's observed variants;
- :mod:`.aligned`: alignments to a model-file target;
- :mod:`.evidence`: the statistical test behind every change item;
- :mod:`.changes`: the change item;
- :mod:`.waves`: migration waves.
"""

from .plan import *  # noqa: F401,F403
from .plan import __all__  # noqa: F401
