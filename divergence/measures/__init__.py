"""How far each unit's process is from every other's: the N×N divergence matrices.

- :mod:`.compute`: the measures' registry, the per-measure matrices and their combination;
- :mod:`.emd`: the earth mover's distance between stochastic languages;
- :mod:`.conformance`: cross-conformance (a unit's variants on another unit's model).
"""

from .compute import *  # noqa: F401,F403
from .compute import __all__  # noqa: F401
from .process import ProcessMeasures, measure_process  # noqa: F401,E402
