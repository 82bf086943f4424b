"""Change items: the harmonisation backlog's unit of work.

:mod:`divergence.harmonise` produces them from alignments of a unit's variants
to the target; :mod:`divergence.costs` prices them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChangeItem", "CHANGE_KINDS"]

#: kind -> what a manager reads
CHANGE_KINDS = {
    "add": "add a step the target requires (model move)",
    "drop": "drop a step the unit does and the target does not (log move)",
    "reorder": "reorder two steps to the target's order",
    "rework": "remove rework (a repeated step)",
}


@dataclass(frozen=True)
class ChangeItem:
    """One change a unit must make to run the target process.

    Attributes
    ----------
    kind : str
        One of :data:`CHANGE_KINDS`.
    activities : tuple of str
        The step (add, drop, rework) or the two steps (reorder), in order.
    cases : int
        Cases in the log whose alignment shows this deviation.
    share : float
        ``cases`` over the unit's cases, in [0, 1].
    cases_per_year : float
        ``cases`` scaled to a year of the log's period.
    occurrences : int
        Deviation occurrences in the log (a case can deviate more than once).
    staff : int
        Distinct resources doing the activities in this unit (for ``add``:
        the staff of the activities next to the missing step, at least 1).
    """

    kind: str
    activities: tuple[str, ...]
    cases: int
    share: float
    cases_per_year: float
    occurrences: int
    staff: int

    def __post_init__(self) -> None:
        if self.kind not in CHANGE_KINDS:
            raise ValueError(f"unknown change kind {self.kind!r}; valid: {', '.join(CHANGE_KINDS)}")
