"""Process families: units grouped by their divergence, with how sure the grouping is.

- :mod:`.cluster`: the clustering, its number of families and per-family stability;
- :mod:`.resampling`: the case bootstrap of the distance matrices;
- :mod:`.stability`: how often the whole grouping, and each number of families, comes back;
- :mod:`.commonality`: the behaviour a family's units share.
"""

from .cluster import *  # noqa: F401,F403
from .cluster import __all__  # noqa: F401
from .process import group_units, grouped_units, start_bootstrap  # noqa: F401,E402
