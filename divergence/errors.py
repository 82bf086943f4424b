"""Errors a user can act on; the CLI turns each into one line and exit status 2."""

from __future__ import annotations

__all__ = [
    "DivergenceError",
    "InputError",
    "ColumnError",
    "TimestampError",
    "EmptyLogError",
    "ModelError",
    "OptionError",
    "DivergenceWarning",
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
