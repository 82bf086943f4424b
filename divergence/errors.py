"""Errors a user can act on; the CLI turns each into one line and exit status 2."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

__all__ = [
    "DivergenceError",
    "InputError",
    "ColumnError",
    "TimestampError",
    "EmptyLogError",
    "ModelError",
    "OptionError",
    "DivergenceWarning",
    "MissingDependencyError",
    "MatrixError",
    "check_matrix",
    "WarningRecord",
    "WARNING_CODES",
    "warn",
    "record_of",
    "records_of",
]


class DivergenceError(ValueError):
    """Base class of every error the tool reports to its user."""


class InputError(DivergenceError):
    """An input file or folder cannot be read as an event log."""


class ColumnError(InputError):
    """A required column is missing or ambiguous."""


class TimestampError(InputError):
    """Timestamps cannot be parsed."""


class EmptyLogError(InputError):
    """No events remain to analyse."""


class ModelError(DivergenceError):
    """A process model file cannot be read or used."""


class OptionError(DivergenceError):
    """An option has a value the tool does not accept."""


class DivergenceWarning(UserWarning):
    """Input was analysed with care; the message says what was done.

    The library issues these with :func:`warnings.warn`; the CLI prints each
    as one line on stderr, and :func:`divergence.analyse` records them in the
    result's ``warnings`` list.
    """


class MatrixError(OptionError, ValueError):
    """A divergence matrix that is not square over its units, or holds missing or infinite values."""


def check_matrix(matrix, n: int | None = None, *, what: str = "matrix", finite: bool = False):
    """``matrix`` as a float array, checked square (``n`` × ``n`` when given) and, with ``finite``, finite.

    The one check of a divergence matrix, wherever one is taken in; raises
    :class:`MatrixError` naming ``what``.
    """
    import numpy as np

    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or (n is not None and m.shape != (n, n)):
        expected = f"{n}×{n} for {n} units" if n is not None else "square"
        raise MatrixError(f"{what} is {m.shape}, expected {expected}")
    if finite and not np.all(np.isfinite(m)):
        raise MatrixError(f"{what} has missing or infinite values")
    return m


class MissingDependencyError(OptionError):
    """An optional dependency needed for the chosen option is not installed."""


@dataclass(frozen=True)
class WarningRecord:
    """One warning of a run, as kept on the result and in ``summary.json``.

    ``code`` is stable (see :data:`WARNING_CODES`); ``file`` names the input
    file it is about, if any; ``count`` is how many events, cases or names it
    concerns, if countable; ``message`` is the sentence printed on stderr.
    """

    code: str
    message: str
    file: str | None = None
    count: int | None = None

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        return {"code": self.code, "file": self.file, "count": self.count, "message": self.message}


#: Every code a warning of a run can have, with what it means.
WARNING_CODES = {
    "missing_case": "events without a case id dropped",
    "empty_activity": "events with an empty or missing activity name dropped",
    "missing_timestamp": "events without a timestamp dropped",
    "duplicate_events": "exact duplicate events dropped",
    "unit_missing": "events whose case has no unit anywhere given the file's name as unit",
    "process_missing": "events without process given the default process",
    "case_spans_units": "cases whose events name more than one unit; the case's unit chosen by --unit-rule",
    "unfinished_cases": "a unit has more than 20% likely unfinished cases",
    "complete_only": "likely unfinished cases dropped before profiling (--complete-only)",
    "lifecycle_values": "lifecycle transitions other than start/complete found",
    "lifecycle_folded": "lifecycle start events folded into their complete events",
    "name_case_clash": "unit or process names that differ only in letter case",
    "tiny_unit": "units with fewer than --min-unit-cases cases kept out of families, waves and target choice",
    "low_evidence": "units with few cases flagged as low-evidence",
    "language_cap": "the language measure compared a unit on its most frequent variants only",
    "language_bound": "a transport of the language measure stopped before optimality",
    "naive_timestamps": "timestamps without time zone taken as UTC",
    "out_of_order": "events out of time order within a case (sorted)",
    "control_characters": "control characters or bidirectional marks stripped from names",
    "long_names": "activity names longer than 1,000 characters truncated",
    "decimal_ids": "decimal numbers in an id column read as whole numbers",
    "csv_encoding": "a CSV file was not valid UTF-8 and was read as Windows-1252",
    "privacy": "a pseudonymisation note",
    "edge_waits_unknown": "per-edge waiting-time tests skipped: profiles (older profile files) without binned waits",
    "auto_candidates": "the automatic target priced only the candidates its work budget allows",
    "ocel_skipped": "an OCEL 2.0 log found in a folder was skipped: it has several object types and no --object-type",
    "other": "any other warning",
}


def warn(code: str, message: str, file=None, count: int | None = None, *, stacklevel: int = 2) -> None:
    """Issue a :class:`DivergenceWarning` carrying a stable ``code``, ``file`` and ``count``.

    The warning is an ordinary :mod:`warnings` warning (message ``message``);
    :func:`record_of` turns it back into a :class:`WarningRecord`.
    """
    w = DivergenceWarning(message)
    w.code = code
    w.file = None if file is None else str(file)
    w.count = None if count is None else int(count)
    warnings.warn(w, stacklevel=stacklevel + 1)


#: Codes of warnings issued without :func:`warn` (e.g. by modules that only
#: call :func:`warnings.warn`), recognised by their text.
_TEXT_CODES = (
    ("language: unit", "language_cap"),
    ("stopped before optimality", "language_bound"),
    ("flagged as low-evidence", "low_evidence"),
    ("cases kept out of families", "tiny_unit"),
    ("all take part in families", "tiny_unit"),
    ("pseudonym", "privacy"),
)


def record_of(message) -> WarningRecord:
    """The :class:`WarningRecord` of a caught warning's message (a Warning or text)."""
    text = str(message)
    code = getattr(message, "code", None)
    if code is None:
        code = next((c for marker, c in _TEXT_CODES if marker in text), "other")
    return WarningRecord(code, text, getattr(message, "file", None), getattr(message, "count", None))


def records_of(caught) -> list[WarningRecord]:
    """Records of the :class:`DivergenceWarning` s in ``caught`` (``warnings.catch_warnings(record=True)``), first of each kept."""
    out: dict[tuple, WarningRecord] = {}
    for w in caught:
        if not issubclass(w.category, DivergenceWarning):
            continue
        rec = record_of(w.message)
        out.setdefault((rec.code, rec.file, rec.message), rec)
    return list(out.values())
