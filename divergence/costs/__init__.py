"""What harmonising costs and what it saves: the cost model and the pricing of backlogs."""

from .pricing import *  # noqa: F401,F403
from .pricing import __all__  # noqa: F401
