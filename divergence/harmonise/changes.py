"""Change items: the harmonisation backlog's unit of work.

:mod:`divergence.harmonise.plan` produces them from alignments of a unit's variants
to the target; :mod:`divergence.costs.pricing` prices them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChangeItem", "CHANGE_KINDS"]

#: kind -> what a manager reads
CHANGE_KINDS = {
    "add": "add a step the target does and the unit skips",
    "drop": "drop a step the unit does and the target does not (or does in clearly fewer cases)",
    "reorder": "do two steps in the target's order",
    "move": "do a step the target's model has where the model places it",
    "rework": "remove rework: a step the unit repeats more often than the target",
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
    p_value, q_value : float or None
        Evidence that the difference is real rather than sampling noise
        (:mod:`divergence.harmonise.evidence`): the test's p-value and its
        Benjamini-Hochberg adjusted value over all items of the process.
    test : str
        The test and the rates it compared, in words.
    note : str
        Why the item is an exception rather than a priced change (empty for
        priced items).
    """

    kind: str
    activities: tuple[str, ...]
    cases: int
    share: float
    cases_per_year: float
    occurrences: int
    staff: int
    p_value: float | None = None
    q_value: float | None = None
    test: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CHANGE_KINDS:
            raise ValueError(f"unknown change kind {self.kind!r}; valid: {', '.join(CHANGE_KINDS)}")
