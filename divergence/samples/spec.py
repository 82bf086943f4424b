"""The planted truth of the bundled sample logs, as data.

Each process has one standard (the shared-service target process) and each
unit a list of planted :class:`Edit` s applied to that standard, a size and
ordinary noise rates. The generator, the BPMN targets and the README are all
derived from the tables in this module, so they cannot drift apart.

Edit kinds are named after the change a unit needs to *harmonise* onto the
standard, the same vocabulary as the harmonisation step:

``add``      the unit skips a standard step (harmonising adds it back);
``drop``     the unit does an extra step the standard lacks (harmonising drops it);
``reorder``  the unit does two standard steps the other way round;
``rework``   the unit repeats a standard step (a loop harmonising removes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Step",
    "Edit",
    "Noise",
    "UnitSpec",
    "ProcessSpec",
    "EDIT_KINDS",
    "UNITS",
    "UNIT_CODES",
    "UNIT_CASES",
    "PROCESSES",
    "SEED",
]

SEED = 20240401
"""Base seed; each (process, unit) log draws from its own stream derived from it."""

EDIT_KINDS = ("add", "drop", "reorder", "rework")


@dataclass(frozen=True)
class Step:
    """One activity: who does it and how long the wait before it is.

    ``median_hours`` is the median working-time wait (lognormal with shape
    ``sigma``) between the previous event and this one. ``optional`` is the
    share of cases that do the step in the standard itself (1.0: mandatory);
    optional steps become exclusive-gateway skips in the BPMN target.
    """

    name: str
    role: str
    median_hours: float
    sigma: float = 0.6
    optional: float = 1.0


@dataclass(frozen=True)
class Edit:
    """A planted difference of a unit from the standard.

    ``add``: ``activities=(skipped,)``; ``drop``: ``activities=(extra,)`` done
    right after ``after`` (needs ``step`` for role and timing); ``reorder``:
    ``activities=(a, b)``, swapped; ``rework``: ``activities=(a,)``, done again
    right after itself. ``share`` is the share of the unit's cases affected.
    """

    kind: str
    activities: tuple[str, ...]
    share: float
    after: str | None = None
    step: Step | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EDIT_KINDS:
            raise ValueError(f"unknown edit kind {self.kind!r}; valid: {', '.join(EDIT_KINDS)}")
        if self.kind == "drop" and (self.after is None or self.step is None):
            raise ValueError("a 'drop' edit needs 'after' and 'step'")


@dataclass(frozen=True)
class Noise:
    """Ordinary noise: share of cases with one random rework, skip or adjacent swap."""

    rework: float = 0.03
    skip: float = 0.02
    swap: float = 0.02


@dataclass(frozen=True)
class UnitSpec:
    """A unit's way of running one process."""

    unit: str
    cases: int
    edits: tuple[Edit, ...] = ()
    noise: Noise = field(default_factory=Noise)


@dataclass(frozen=True)
class ProcessSpec:
    """A process: its standard, file format (``fmt`` is the file extension), case-id prefix and units.

    ``steps`` is the standard in order; ``parallel`` names pairs of adjacent
    steps that the standard does in either order (a parallel gateway).
    ``family`` maps a family label to its units: the expected grouping.
    """

    name: str
    title: str
    fmt: str
    prefix: str
    steps: tuple[Step, ...]
    units: tuple[UnitSpec, ...]
    parallel: tuple[tuple[str, str], ...] = ()
    families: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def unit(self, name: str) -> UnitSpec:
        for u in self.units:
            if u.unit == name:
                return u
        raise KeyError(name)


UNITS = (
    "moj_prisons",
    "moj_probation",
    "moj_courts",
    "mod",
    "hmrc",
    "dwp",
    "defra",
    "environment_agency",
    "dft",
)
UNIT_CODES = {
    "moj_prisons": "MOJPR",
    "moj_probation": "MOJPB",
    "moj_courts": "MOJCT",
    "mod": "MOD",
    "hmrc": "HMRC",
    "dwp": "DWP",
    "defra": "DEFRA",
    "environment_agency": "EA",
    "dft": "DFT",
}
UNIT_CASES = {
    "dwp": 620,
    "hmrc": 520,
    "mod": 420,
    "moj_prisons": 340,
    "moj_probation": 260,
    "moj_courts": 220,
    "defra": 140,
    "environment_agency": 110,
    "dft": 90,
}
"""Cases per unit for a process with scale 1.0 (2,720 cases in all)."""

_STANDARD_FAMILY = ("dwp", "defra", "environment_agency")


def _units(scale: float, edits: dict[str, tuple[Edit, ...]], noise: dict[str, Noise]) -> tuple[UnitSpec, ...]:
    return tuple(
        UnitSpec(u, max(80, round(UNIT_CASES[u] * scale)), edits.get(u, ()), noise.get(u, Noise()))
        for u in UNITS
    )


def _families(*singletons: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = [("standard", _STANDARD_FAMILY), ("dft", ("dft",))]
    out += [(u, (u,)) for u in singletons]
    return tuple(out)


def _extra(name: str, role: str, hours: float, sigma: float = 0.6) -> Step:
    return Step(name, role, hours, sigma)


# --- HR: joiner onboarding (XES) ---------------------------------------------

_HR_STEPS = (
    Step("Receive request", "Hiring Manager", 0.0),
    Step("Check budget", "HR Officer", 6),
    Step("Create position", "HR Officer", 8),
    Step("Advertise", "Recruitment Officer", 16),
    Step("Shortlist", "Recruitment Officer", 60, 0.5),
    Step("Interview", "Hiring Manager", 40),
    Step("Make offer", "Recruitment Officer", 10),
    Step("Pre-employment checks", "HR Officer", 45),
    Step("Issue contract", "HR Officer", 12),
    Step("Set up payroll", "Payroll Officer", 20),
    Step("Provision IT", "IT Technician", 24),
    Step("Induction", "Hiring Manager", 50, 0.5),
)

_HR_EDITS = {
    "moj_prisons": (
        Edit("drop", ("Complete paper form",), 1.0, after="Receive request",
             step=_extra("Complete paper form", "Admin Officer", 16), note="paper starter form"),
        Edit("drop", ("Security vetting",), 0.95, after="Pre-employment checks",
             step=_extra("Security vetting", "Security Officer", 80, 0.5), note="prison security vetting"),
        Edit("add", ("Advertise",), 0.9, note="posts filled from internal pools"),
    ),
    "moj_probation": (
        Edit("reorder", ("Shortlist", "Interview"), 0.85, note="informal interview before shortlist"),
        Edit("drop", ("Line manager sign-off",), 0.9, after="Make offer",
             step=_extra("Line manager sign-off", "Line Manager", 12), note="extra sign-off"),
    ),
    "moj_courts": (
        Edit("rework", ("Check budget",), 0.7, note="double budget approval"),
        Edit("add", ("Provision IT",), 1.0, note="IT provisioned by another body"),
    ),
    "mod": (
        Edit("drop", ("Security clearance",), 1.0, after="Make offer",
             step=_extra("Security clearance", "Security Officer", 240, 0.4), note="long DV/SC clearance"),
        Edit("reorder", ("Make offer", "Pre-employment checks"), 0.9, note="checks before offer"),
    ),
    "hmrc": (
        Edit("drop", ("Legacy system entry",), 1.0, after="Issue contract",
             step=_extra("Legacy system entry", "HR Administrator", 8), note="own HR system"),
        Edit("add", ("Create position",), 0.85, note="positions pre-created in bulk"),
        Edit("rework", ("Set up payroll",), 0.3, note="payroll corrections"),
    ),
    "dft": (
        Edit("drop", ("Log ticket with provider",), 1.0, after="Issue contract",
             step=_extra("Log ticket with provider", "HR Officer", 2), note="other provider's centre"),
        Edit("drop", ("Provider confirms",), 0.95, after="Log ticket with provider",
             step=_extra("Provider confirms", "Provider Agent", 16), note="other provider's centre"),
    ),
}

# --- Finance: invoice to payment (CSV) ---------------------------------------

_FIN_STEPS = (
    Step("Receive invoice", "AP Clerk", 0.0),
    Step("Scan invoice", "AP Clerk", 4),
    Step("Match PO", "AP Clerk", 8),
    Step("Query supplier", "AP Clerk", 30, 0.6, optional=0.12),
    Step("Approve invoice", "Budget Holder", 16),
    Step("Post to ledger", "AP Clerk", 4),
    Step("Schedule payment", "Payments Officer", 20),
    Step("Pay invoice", "Payments Officer", 24),
)

_FIN_EDITS = {
    "moj_prisons": (
        Edit("drop", ("Manual paper voucher",), 1.0, after="Receive invoice",
             step=_extra("Manual paper voucher", "Admin Officer", 12), note="paper payment voucher"),
        Edit("add", ("Scan invoice",), 1.0, note="paper invoices never scanned"),
    ),
    "moj_probation": (
        Edit("reorder", ("Match PO", "Approve invoice"), 0.85, note="approval before matching"),
        Edit("drop", ("Budget holder review",), 0.7, after="Approve invoice",
             step=_extra("Budget holder review", "Budget Holder", 16), note="second review"),
    ),
    "moj_courts": (
        Edit("rework", ("Approve invoice",), 0.5, note="double approval loop"),
        Edit("add", ("Schedule payment",), 0.9, note="pays on approval"),
    ),
    "mod": (
        Edit("drop", ("Commitment check",), 1.0, after="Match PO",
             step=_extra("Commitment check", "Finance Officer", 10), note="commitment accounting"),
        Edit("reorder", ("Approve invoice", "Post to ledger"), 0.8, note="post before approval"),
    ),
    "hmrc": (
        Edit("drop", ("Legacy system entry",), 1.0, after="Post to ledger",
             step=_extra("Legacy system entry", "Finance Officer", 6), note="own ledger system"),
        Edit("drop", ("Batch payment run",), 1.0, after="Schedule payment",
             step=_extra("Batch payment run", "Payments Officer", 60, 0.3), note="weekly batch payment"),
    ),
    "dft": (
        Edit("drop", ("Log ticket with provider",), 1.0, after="Receive invoice",
             step=_extra("Log ticket with provider", "AP Clerk", 2), note="other provider's centre"),
        Edit("drop", ("Provider confirms",), 0.95, after="Approve invoice",
             step=_extra("Provider confirms", "Provider Agent", 12), note="extra provider approval"),
    ),
}

# --- Procurement: requisition to payment (Parquet) ---------------------------

_PRC_STEPS = (
    Step("Create requisition", "Requisitioner", 0.0),
    Step("Approve requisition", "Budget Holder", 12),
    Step("Request quotes", "Buyer", 30, 0.6, optional=0.3),
    Step("Select supplier", "Buyer", 24),
    Step("Create PO", "Buyer", 6),
    Step("Approve PO", "Procurement Manager", 10),
    Step("Send PO", "Buyer", 3),
    Step("Receive goods", "Requisitioner", 80, 0.5),
    Step("Receive invoice", "AP Clerk", 40, 0.5),
    Step("Three-way match", "AP Clerk", 10),
    Step("Pay", "Payments Officer", 30),
)

_PRC_EDITS = {
    "moj_prisons": (
        Edit("drop", ("Print paper requisition",), 1.0, after="Create requisition",
             step=_extra("Print paper requisition", "Admin Officer", 6), note="paper requisition"),
        Edit("add", ("Approve PO",), 0.85, note="requisition approval deemed enough"),
    ),
    "moj_probation": (
        Edit("reorder", ("Approve PO", "Send PO"), 0.8, note="retrospective PO approval"),
        Edit("drop", ("Budget holder sign-off",), 0.9, after="Approve requisition",
             step=_extra("Budget holder sign-off", "Budget Holder", 14), note="second sign-off"),
    ),
    "moj_courts": (
        Edit("rework", ("Approve requisition",), 0.6, note="double approval loop"),
        Edit("add", ("Three-way match",), 0.9, note="two-way match only"),
        Edit("drop", ("Court fee coding",), 1.0, after="Create requisition",
             step=_extra("Court fee coding", "Court Clerk", 10), note="HMCTS fee codes on every requisition"),
    ),
    "mod": (
        Edit("drop", ("Supplier security check",), 1.0, after="Select supplier",
             step=_extra("Supplier security check", "Security Officer", 120, 0.4), note="defence suppliers"),
        Edit("drop", ("Inspect goods",), 0.9, after="Receive goods",
             step=_extra("Inspect goods", "Quality Inspector", 24), note="goods inspection"),
    ),
    "hmrc": (
        Edit("drop", ("Legacy system entry",), 1.0, after="Create PO",
             step=_extra("Legacy system entry", "Buyer", 6), note="own purchasing system"),
        Edit("add", ("Approve requisition",), 0.9, note="catalogue buying without approval"),
    ),
    "dft": (
        Edit("drop", ("Log ticket with provider",), 1.0, after="Approve requisition",
             step=_extra("Log ticket with provider", "Requisitioner", 2), note="other provider's centre"),
        Edit("drop", ("Provider confirms",), 1.0, after="Send PO",
             step=_extra("Provider confirms", "Provider Agent", 10), note="other provider's centre"),
    ),
}

_NOISE = {
    "moj_prisons": Noise(0.04, 0.03, 0.02),
    "moj_courts": Noise(0.03, 0.02, 0.03),
    "hmrc": Noise(0.02, 0.02, 0.02),
    "defra": Noise(0.03, 0.03, 0.02),
    "environment_agency": Noise(0.02, 0.02, 0.03),
}

_SINGLETONS = ("moj_prisons", "moj_probation", "moj_courts", "mod", "hmrc")

PROCESSES: dict[str, ProcessSpec] = {
    "hr": ProcessSpec(
        name="hr", title="HR joiner onboarding", fmt="xes.gz", prefix="HR",
        steps=_HR_STEPS, units=_units(1.0, _HR_EDITS, _NOISE),
        parallel=(("Set up payroll", "Provision IT"),), families=_families(*_SINGLETONS),
    ),
    "finance": ProcessSpec(
        name="finance", title="Invoice to payment", fmt="csv", prefix="FIN",
        steps=_FIN_STEPS, units=_units(1.0, _FIN_EDITS, _NOISE), families=_families(*_SINGLETONS),
    ),
    "procurement": ProcessSpec(
        name="procurement", title="Requisition to payment", fmt="parquet", prefix="PRC",
        steps=_PRC_STEPS, units=_units(1.2, _PRC_EDITS, _NOISE),
        parallel=(("Receive goods", "Receive invoice"),), families=_families(*_SINGLETONS),
    ),
}
"""The three processes of the shared-services programme, by folder name."""
