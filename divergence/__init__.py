"""divergence: how differently do units run the same process, and what does harmonising cost?"""

from __future__ import annotations

__version__ = "0.1.0"
