"""Ingestion: read XES, CSV and Parquet event logs into the canonical event frame.

See :func:`read_logs`. The canonical frame is described in :mod:`divergence.schema`.
"""

from divergence.io.read import read_logs
from divergence.io.safety import DEFAULT_MAX_BYTES

__all__ = ["DEFAULT_MAX_BYTES", "read_logs"]
