"""Names of the canonical event frame's columns, shared by every module.

The canonical frame (what :func:`divergence.read_logs` returns) has one row per
event and at least these columns:

``case``       str, case identifier (unique within a unit and process)
``activity``   str, activity name
``timestamp``  datetime64[ns, UTC]
``unit``       str, organisational unit (department, municipality, ...)
``process``    str, process name (HR, finance, ...)
``resource``   str or missing, who did the event

Other attributes of the input are kept with their original names. The frame
is sorted by process, unit, case, timestamp and original order.
"""

from __future__ import annotations

CASE = "case"
ACTIVITY = "activity"
TIMESTAMP = "timestamp"
UNIT = "unit"
PROCESS = "process"
RESOURCE = "resource"

CANONICAL = (PROCESS, UNIT, CASE, ACTIVITY, TIMESTAMP, RESOURCE)
