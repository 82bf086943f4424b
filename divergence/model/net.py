"""A process model as an accepting Petri net, and the model files divergence reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Model", "MODEL_SUFFIXES", "MAX_MODEL_BYTES", "refuse_entities", "one_line"]


#: Model file endings :func:`read_model` accepts, with what they hold.
MODEL_SUFFIXES = {
    ".bpmn": "BPMN 2.0 diagram",
    ".pnml": "Petri net (PNML)",
    ".ptml": "process tree (PTML)",
}


#: Largest model file read (bytes).
MAX_MODEL_BYTES = 64 * 1024**2


@dataclass(frozen=True, eq=False)
class Model:
    """A process model as an accepting Petri net.

    Models compare and hash by identity, which keys the per-model caches.

    Attributes
    ----------
    name : str
        Display name (unit name, file stem, ``"pooled"``).
    kind : str
        ``"discovered"``, ``"file"`` or ``"pooled"``.
    net, initial_marking, final_marking
        pm4py ``PetriNet`` and its ``Marking`` objects.
    activities : frozenset of str
        Labels of the visible transitions.
    source : str
        Where it came from: a file path or a description of the discovery.
    tree : pm4py ProcessTree or None
        The process tree the net was built from, when there is one.
    """

    name: str
    kind: str
    net: Any = field(repr=False)
    initial_marking: Any = field(repr=False)
    final_marking: Any = field(repr=False)
    activities: frozenset
    source: str
    tree: Any = field(default=None, repr=False)


def refuse_entities(p) -> None:
    """Refuse XML with a DOCTYPE declaring entities (billion laughs, XXE)."""
    from ..errors import ModelError

    low = p.read_bytes().lower()
    if b"<!doctype" in low and b"<!entity" in low:
        raise ModelError(f"{p}: XML entity declarations are not allowed in model files")


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message, at most 200 characters."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
