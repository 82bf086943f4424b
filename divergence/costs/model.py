"""The cost model: about ten planning parameters, each a low / central / high :class:`Range`.

Read from a TOML file by :func:`load_cost_model` (the packaged defaults are
in ``divergence/data/cost_model.toml`` and documented in
``docs/cost_model.md``); any subset of keys may be set, the rest keep their
defaults; every bad value stops the run with a one-line message naming the
file and the key.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..errors import OptionError
from ..harmonise.changes import CHANGE_KINDS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Range", "CostModel", "load_cost_model", "LEVELS"]

#: The three scenarios every figure is computed for.
LEVELS = ("low", "central", "high")

# parameter -> (shape, upper bound, what it is, unit); shape is "range",
# "scalar" (one number only) or "kinds" (a table of ranges by change kind)
_PARAMETERS: dict[str, tuple[str, float, str, str]] = {
    "hours_per_day": ("scalar", math.inf, "length of a person-day", "hours"),
    "hourly_rate_gbp": ("range", math.inf, "loaded hourly cost of operational staff", "£/hour"),
    "change_day_rate_gbp": ("range", math.inf, "loaded day rate of the change team", "£/day"),
    "redesign_days": ("kinds", math.inf, "redesign effort per change item", "person-days"),
    "retraining_hours_per_staff": (
        "range", math.inf, "retraining per affected staff member per change item", "hours"),
    "migration_overhead_days": ("range", math.inf, "fixed migration overhead per unit", "person-days"),
    "default_step_minutes": ("range", math.inf, "staff effort per step without start times", "minutes"),
    "rework_avoided_share": ("range", 1.0, "share of a repeat's effort saved by removing rework", "share"),
    "reorder_saving_share": ("range", 1.0, "share of two steps' effort saved by a reorder", "share"),
}


@dataclass(frozen=True)
class Range(Mapping):
    """A low / central / high triple that is also a read-only mapping.

    ``r.central``, ``r["central"]``, ``dict(r)``, ``r.items()`` and
    :meth:`as_dict` all work, so a range drops straight into
    ``summary.json``. Payback ranges may hold ``None`` (never pays back).
    """

    low: float | None
    central: float | None
    high: float | None

    def __getitem__(self, level: str) -> float | None:
        if level not in LEVELS:
            raise KeyError(level)
        return getattr(self, level)

    def __iter__(self) -> Iterator[str]:
        return iter(LEVELS)

    def __len__(self) -> int:
        return len(LEVELS)

    def as_dict(self) -> dict[str, float | None]:
        """``{"low": ..., "central": ..., "high": ...}``."""
        return {k: getattr(self, k) for k in LEVELS}

    @classmethod
    def of(cls, value: float) -> Range:
        """The range whose three values equal ``value``."""
        return cls(value, value, value)


@dataclass(frozen=True)
class CostModel:
    """Planning parameters of the cost model; load with :func:`load_cost_model`.

    Attributes
    ----------
    hourly_rate_gbp : Range
        Fully loaded cost of one productive hour of operational staff (£).
    change_day_rate_gbp : Range
        Loaded day rate of the change team doing the redesign (£).
    redesign_days : Mapping[str, Range]
        Change-team person-days per change item, by kind (add, drop,
        reorder, rework).
    retraining_hours_per_staff : Range
        Hours of retraining per affected staff member per change item.
    migration_overhead_days : Range
        Fixed change-team person-days per unit with at least one change.
    default_step_minutes : Range
        Staff minutes per step execution where no service time was observed.
    rework_avoided_share : Range
        Share in [0, 1] of a repeated execution's effort saved per rework
        removed.
    reorder_saving_share : Range
        Share in [0, 1] of the two steps' effort saved per reordered case.
    hours_per_day : float, default 7.4
        Hours in a person-day.
    source : str
        Where the values came from (file names), for the report.
    """

    hourly_rate_gbp: Range
    change_day_rate_gbp: Range
    redesign_days: Mapping[str, Range]
    retraining_hours_per_staff: Range
    migration_overhead_days: Range
    default_step_minutes: Range
    rework_avoided_share: Range
    reorder_saving_share: Range
    hours_per_day: float = 7.4
    source: str = "packaged defaults"

    def table(self) -> pd.DataFrame:
        """The parameters as a frame: parameter, low, central, high, unit, meaning."""
        rows = []
        for name, (shape, _, meaning, unit) in _PARAMETERS.items():
            value = getattr(self, name)
            if shape == "scalar":
                rows.append((name, value, value, value, unit, meaning))
            elif shape == "kinds":
                for kind in CHANGE_KINDS:
                    r = value[kind]
                    rows.append((f"{name}.{kind}", r.low, r.central, r.high, unit, f"{meaning} ({kind})"))
            else:
                rows.append((name, value.low, value.central, value.high, unit, meaning))
        return pd.DataFrame(rows, columns=["parameter", "low", "central", "high", "unit", "meaning"])


def load_cost_model(path: str | Path | None = None) -> CostModel:
    """Read a cost model: the packaged defaults, overridden by a TOML file.

    Parameters
    ----------
    path : str or Path or None, default None
        A TOML file setting any subset of the parameters (see
        ``divergence/data/cost_model.toml``). A parameter is a number (low =
        central = high) or a table ``{ low = .., central = .., high = .. }``;
        ``redesign_days`` is a table of such values by change kind;
        ``hours_per_day`` is a single number. None gives the defaults.

    Returns
    -------
    CostModel

    Raises
    ------
    OptionError
        The file is missing or not valid TOML, or has an unknown key, a
        value that is not a number, is negative, has low > central > high,
        or is a share above 1. The message names the file and the key.
    """
    default_src = resources.files("divergence") / "data" / "cost_model.toml"
    values = _parse(tomllib.loads(default_src.read_text(encoding="utf-8")), "packaged cost_model.toml")
    source = "packaged defaults"
    if path is not None:
        p = Path(path)
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise OptionError(f"{p}: cost model file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise OptionError(f"{p}: cannot read cost model file ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise OptionError(f"{p}: not valid TOML ({exc})") from None
        user = _parse(raw, str(p))
        kinds = {**values["redesign_days"], **user.pop("redesign_days", {})}
        values = {**values, **user, "redesign_days": kinds}
        source = f"{p} over packaged defaults"
    values["redesign_days"] = MappingProxyType(dict(values["redesign_days"]))
    return CostModel(**values, source=source)


def _parse(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Validate a TOML document's parameters; return {name: Range | float | {kind: Range}}."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _PARAMETERS:
            raise OptionError(
                f"{source}: unknown cost model key {key!r}; valid: {', '.join(_PARAMETERS)}"
            )
        shape, upper, _, _ = _PARAMETERS[key]
        if shape == "scalar":
            x = _number(value, source, key)
            if x <= 0:
                raise OptionError(f"{source}: key {key!r} must be above 0, got {x:g}")
            out[key] = x
        elif shape == "kinds":
            if not isinstance(value, Mapping):
                raise OptionError(f"{source}: key {key!r} must be a table of change kinds ({', '.join(CHANGE_KINDS)})")
            kinds = {}
            for kind, v in value.items():
                if kind not in CHANGE_KINDS:
                    raise OptionError(
                        f"{source}: unknown change kind {key}.{kind}; valid: {', '.join(CHANGE_KINDS)}"
                    )
                kinds[kind] = _range(v, source, f"{key}.{kind}", upper)
            out[key] = kinds
        else:
            out[key] = _range(value, source, key, upper)
    return out


def _range(value: Any, source: str, key: str, upper: float) -> Range:
    if isinstance(value, Mapping):
        if set(value) != set(LEVELS):
            raise OptionError(
                f"{source}: key {key!r} must be a number or a table with exactly low, central, high"
            )
        r = Range(*(_number(value[lv], source, f"{key}.{lv}") for lv in LEVELS))
    else:
        r = Range.of(_number(value, source, key))
    if not r.low <= r.central <= r.high:
        raise OptionError(f"{source}: key {key!r} needs low <= central <= high, got {r.low:g}, {r.central:g}, {r.high:g}")
    if r.low < 0:
        raise OptionError(f"{source}: key {key!r} must not be negative, got {r.low:g}")
    if r.high > upper:
        raise OptionError(f"{source}: key {key!r} is a share and must be at most {upper:g}, got {r.high:g}")
    return r


def _number(value: Any, source: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionError(f"{source}: key {key!r} must be a number, got {type(value).__name__} {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise OptionError(f"{source}: key {key!r} must be a finite number, got {value!r}")
    if x < 0:
        raise OptionError(f"{source}: key {key!r} must not be negative, got {x:g}")
    return x
