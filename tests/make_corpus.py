"""Write the bad-input corpus into tests/corpus/ and its table tests/CORPUS.md.

Run: ``python tests/make_corpus.py``. Every file is small (< 200 KB). Each
entry of :data:`CASES` says what reading the file alone must do:
``ok`` (read, no warning), ``warn`` (read, with a DivergenceWarning holding
the fragment) or ``error`` (the named exception holding the fragment).
The CORPUS.md table quotes the message actually produced.
"""

from __future__ import annotations

import gzip
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
NS = "http://www.xes-standard.org/"


@dataclass(frozen=True)
class Case:
    """One corpus file and its expected outcome."""

    name: str
    outcome: str  # ok | warn | error
    kind: str  # exception class name for errors, "DivergenceWarning" for warnings
    fragment: str
    about: str
    options: dict = field(default_factory=dict)


CASES = [
    Case("basic.csv", "ok", "", "", "plain comma CSV with common names"),
    Case("semicolon.csv", "ok", "", "", "semicolon-delimited"),
    Case("tab.csv", "ok", "", "", "tab-delimited"),
    Case("pipe.csv", "ok", "", "", "pipe-delimited"),
    Case("pm4py_names.csv", "ok", "", "", "pm4py column names (case:concept:name, ...)"),
    Case("bom.csv", "ok", "", "", "UTF-8 with byte order mark"),
    Case("formula.csv", "ok", "", "", "a spreadsheet formula in a field (kept verbatim)"),
    Case("long_case.csv.gz", "ok", "", "", "one case with 10,000 events"),
    Case("basic.parquet", "ok", "", "", "Parquet with timestamp type"),
    Case("basic.xes.gz", "ok", "", "", "gzipped XES"),
    Case("all_types.xes", "ok", "", "", "XES with attributes of all types, nested and list"),
    Case("cp1252.csv", "warn", "DivergenceWarning", "decoded as Windows-1252", "Windows-1252 text"),
    Case("duplicates.csv", "warn", "DivergenceWarning", "2 exact duplicate events dropped", "exact duplicate events"),
    Case("empty_activity.csv", "warn", "DivergenceWarning", "2 events with empty or missing activity dropped", "empty and blank activity"),
    Case("missing_case.csv", "warn", "DivergenceWarning", "1 events with empty or missing case id dropped", "event without case id"),
    Case("mixed_tz.csv", "warn", "DivergenceWarning", "1 of 4 timestamps have no time zone while others do", "mixed offsets, Z and one naive value"),
    Case("naive.csv", "warn", "DivergenceWarning", "timestamps have no time zone; taken as UTC", "naive timestamps"),
    Case("out_of_order.csv", "warn", "DivergenceWarning", "earlier than the event before them", "timestamps out of order within a case"),
    Case("long_name.csv", "warn", "DivergenceWarning", "longer than 1,000 characters truncated", "an activity name of 100,000 characters"),
    Case("control_chars.csv", "warn", "DivergenceWarning", "control characters or bidirectional marks stripped", "C0/C1 controls and right-to-left marks"),
    Case("lifecycle.csv", "warn", "DivergenceWarning", "2 lifecycle start events folded", "start/complete pairs"),
    Case("lifecycle.xes", "warn", "DivergenceWarning", "1 lifecycle start events folded", "XES with start/complete"),
    Case("empty.csv", "error", "EmptyLogError", "empty file", "0 bytes"),
    Case("header_only.csv", "error", "EmptyLogError", "header only", "header and no rows"),
    Case("empty.xes", "error", "InputError", "empty file, not an XES log", "0-byte XES"),
    Case("json.xes", "error", "InputError", "malformed or truncated XML", "JSON named .xes"),
    Case("malformed.xes", "error", "InputError", "malformed or truncated XML", "XML cut in the middle"),
    Case("html_root.xes", "error", "InputError", "not an XES log", "well-formed XML that is not XES"),
    Case("truncated.xes.gz", "error", "InputError", "truncated gzip", "gzip stream cut short"),
    Case("not_gzip.csv.gz", "error", "InputError", "not a gzip file", "plain text named .csv.gz"),
    Case("text.parquet", "error", "InputError", "not a Parquet file", "text named .parquet"),
    Case("bomb.csv.gz", "error", "InputError", "exceeds the limit of 1,048,576 bytes", "gzip bomb: 20 MB of zeros in ~20 KB", {"max_bytes": 1 << 20}),
    Case("bomb.xes.gz", "error", "InputError", "exceeds the limit of 1,048,576 bytes", "XES gzip bomb (whitespace)", {"max_bytes": 1 << 20}),
    Case("billion_laughs.xes", "error", "InputError", "entity declarations", "XML entity expansion attack"),
    Case("xxe.xes", "error", "InputError", "entity declarations", "external entity pointing at /etc/passwd"),
    Case("float_timestamps.parquet", "error", "TimestampError", "holds float64 numbers", "timestamp column of floats"),
    Case("struct_case.parquet", "error", "ColumnError", "case column 'case' holds", "case id column of structs"),
    Case("bad_timestamp.csv", "error", "TimestampError", "cannot parse timestamp 'next tuesday' in row 2", "unparsable timestamp"),
    Case("no_timestamp.csv", "error", "ColumnError", "no timestamp column found", "required column missing"),
    Case("ambiguous_case.csv", "error", "ColumnError", "ambiguous case column", "two case id columns"),
    Case("notes.txt", "error", "InputError", "unknown file type", "explicitly named non-log file"),
]

_HEADER = "case_id,activity,timestamp,resource\n"
_ROWS = [
    ("c1", "Register", "2024-01-01T09:00:00+00:00", "ann"),
    ("c1", "Check", "2024-01-01T10:00:00+00:00", "bob"),
    ("c1", "Pay", "2024-01-02T09:00:00+00:00", "ann"),
    ("c2", "Register", "2024-01-03T09:00:00+01:00", "bob"),
    ("c2", "Pay", "2024-01-03T11:00:00+01:00", "bob"),
]


def csv_text(rows, header=_HEADER, sep=",") -> str:
    """Return CSV text of ``rows`` (tuples), the header given with commas."""
    lines = [header.rstrip("\n").replace(",", sep)]
    lines += [sep.join(row) for row in rows]
    return "\n".join(lines) + "\n"


def xes_text(traces, *, log_attrs: str = "") -> str:
    """Return an XES document.

    ``traces`` is a list of ``(case_id, events, extra_trace_xml)`` where each
    event is a dict key -> value (``time:timestamp`` written as ``<date>``)
    or a raw XML string.
    """
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<log xes.version="1.0" xmlns="{NS}">', log_attrs]
    for trace in traces:
        case, events = trace[0], trace[1]
        extra = trace[2] if len(trace) > 2 else ""
        out.append(f"<trace><string key=\"concept:name\" value={quoteattr(case)}/>{extra}")
        for event in events:
            if isinstance(event, str):
                out.append(f"<event>{event}</event>")
                continue
            attrs = []
            for key, value in event.items():
                tag = "date" if key == "time:timestamp" else "string"
                attrs.append(f"<{tag} key={quoteattr(key)} value={quoteattr(value)}/>")
            out.append("<event>" + "".join(attrs) + "</event>")
        out.append("</trace>")
    out.append("</log>")
    return "\n".join(out) + "\n"


def _basic_traces():
    traces = {}
    for case, act, ts, res in _ROWS:
        traces.setdefault(case, []).append(
            {"concept:name": act, "time:timestamp": ts, "org:resource": res, "lifecycle:transition": "complete"}
        )
    return [(c, evs) for c, evs in traces.items()]


def _parquet(path: Path, columns: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)


def build(folder: Path = CORPUS) -> list[Path]:
    """Write every corpus file into ``folder``; return their paths."""
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    w = {}
    w["basic.csv"] = csv_text(_ROWS)
    w["semicolon.csv"] = csv_text(_ROWS, sep=";")
    w["tab.csv"] = csv_text(_ROWS, sep="\t")
    w["pipe.csv"] = csv_text(_ROWS, sep="|")
    w["pm4py_names.csv"] = csv_text(_ROWS, header="case:concept:name,concept:name,time:timestamp,org:resource\n")
    w["bom.csv"] = "\ufeff" + csv_text(_ROWS)
    w["formula.csv"] = csv_text(_ROWS[:2]) + 'c1,"=HYPERLINK(""http://x"",""y"")",2024-01-01T11:00:00Z,ann\n'
    w["cp1252.csv"] = csv_text([("c1", "Prüfung €", "2024-01-01T09:00:00Z", "José"), ("c1", "Zahlung", "2024-01-01T10:00:00Z", "Zoë")]).encode("cp1252")
    w["duplicates.csv"] = csv_text(_ROWS + [_ROWS[0], _ROWS[0]])
    w["empty_activity.csv"] = csv_text(_ROWS + [("c2", "", "2024-01-04T09:00:00Z", "ann"), ("c2", "   ", "2024-01-04T10:00:00Z", "ann")])
    w["missing_case.csv"] = csv_text(_ROWS + [("", "Pay", "2024-01-04T09:00:00Z", "ann")])
    w["mixed_tz.csv"] = csv_text([
        ("c1", "A", "2024-01-01T09:00:00+02:00", "ann"), ("c1", "B", "2024-01-01T09:00:00Z", "ann"),
        ("c1", "C", "2024-01-01T09:30:00-05:00", "ann"), ("c1", "D", "2024-01-01 20:00:00", "ann")])
    w["naive.csv"] = csv_text([("c1", "A", "2024-01-01 09:00:00", "ann"), ("c1", "B", "2024-01-01 10:00", "ann")])
    w["out_of_order.csv"] = csv_text([("c1", "B", "2024-01-02T09:00:00Z", "ann"), ("c1", "A", "2024-01-01T09:00:00Z", "ann")])
    w["long_name.csv"] = csv_text([("c1", "x" * 100_000, "2024-01-01T09:00:00Z", "ann"), ("c1", "B", "2024-01-02T09:00:00Z", "ann")])
    w["control_chars.csv"] = csv_text([
        ("c1", "Reg\x07ister\u200f", "2024-01-01T09:00:00Z", "ann"), ("c1", "\u202eyaP\u202c", "2024-01-02T09:00:00Z", "ann"),
        ("c1", "Close\x85", "2024-01-03T09:00:00Z", "ann")])
    w["lifecycle.csv"] = csv_text([
        ("c1", "A", "2024-01-01T09:00:00Z", "start"), ("c1", "A", "2024-01-01T09:30:00Z", "complete"),
        ("c1", "A", "2024-01-01T10:00:00Z", "start"), ("c1", "A", "2024-01-01T10:45:00Z", "complete"),
        ("c1", "B", "2024-01-01T11:00:00Z", "complete")], header="case_id,activity,timestamp,lifecycle:transition\n")
    w["long_case.csv.gz"] = gzip.compress(csv_text(
        [("c1", f"step {i % 7}", f"2024-01-01T00:00:{0:02d}Z".replace("00:00:00", f"{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"), "ann") for i in range(10_000)]
    ).encode(), mtime=0)
    w["empty.csv"] = b""
    w["header_only.csv"] = _HEADER
    w["empty.xes"] = b""
    w["json.xes"] = '{"log": {"traces": [{"case": "c1", "events": []}]}}\n'
    full = xes_text(_basic_traces())
    w["malformed.xes"] = full[: len(full) // 2]
    w["html_root.xes"] = "<?xml version='1.0'?><html><body><trace/></body></html>\n"
    w["basic.xes.gz"] = gzip.compress(full.encode(), mtime=0)
    w["truncated.xes.gz"] = gzip.compress((full * 20).encode(), mtime=0)[:300]
    w["not_gzip.csv.gz"] = csv_text(_ROWS)
    w["text.parquet"] = csv_text(_ROWS)
    w["bomb.csv.gz"] = gzip.compress(b"case_id,activity,timestamp\n" + b"0" * 20_000_000, 9, mtime=0)
    w["bomb.xes.gz"] = gzip.compress(b"<?xml version='1.0'?><log>" + b" " * 20_000_000 + b"</log>", 9, mtime=0)
    lol = "".join(f'<!ENTITY lol{i} "{"&lol%d;" % (i - 1) * 10}">' for i in range(1, 10))
    w["billion_laughs.xes"] = (
        f'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY lol0 "lol">{lol}]>'
        f'<log xmlns="{NS}"><trace><string key="concept:name" value="&lol9;"/></trace></log>\n'
    )
    w["xxe.xes"] = (
        '<?xml version="1.0"?><!DOCTYPE log [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<log xmlns="{NS}"><trace><string key="concept:name" value="c1"/><event>'
        '<string key="concept:name" value="&xxe;"/><date key="time:timestamp" value="2024-01-01T00:00:00Z"/>'
        "</event></trace></log>\n"
    )
    all_types = (
        '<string key="org:resource" value="ann"/><int key="cost" value="12"/><float key="amount" value="3.5"/>'
        '<boolean key="urgent" value="true"/><id key="uid" value="6f1c0a2e-1111-2222-3333-444455556666"/>'
        '<list key="tags"><values><string key="t" value="a"/></values></list>'
        '<container key="box"><string key="concept:name" value="nested-not-activity"/></container>'
        '<string key="note" value="outer"><string key="concept:name" value="nested"/></string>'
    )
    w["all_types.xes"] = xes_text([
        ("c1", [
            f'<string key="concept:name" value="A"/><date key="time:timestamp" value="2024-01-01T09:00:00.000+01:00"/>{all_types}',
            '<string key="concept:name" value="B"/><date key="time:timestamp" value="2024-01-01T10:00:00.000+01:00"/>',
        ], '<int key="amount" value="100"/><date key="startDate" value="2024-01-01T00:00:00Z"/>'),
    ], log_attrs='<string key="concept:name" value="log-name"/><global scope="event"><string key="concept:name" value="UNKNOWN"/></global>')
    w["lifecycle.xes"] = xes_text([("c1", [
        {"concept:name": "A", "time:timestamp": "2024-01-01T09:00:00Z", "lifecycle:transition": "start"},
        {"concept:name": "A", "time:timestamp": "2024-01-01T09:20:00Z", "lifecycle:transition": "complete"},
        {"concept:name": "B", "time:timestamp": "2024-01-01T10:00:00Z", "lifecycle:transition": "complete"},
    ])])
    w["bad_timestamp.csv"] = csv_text([("c1", "A", "2024-01-01T09:00:00Z", "ann"), ("c1", "B", "next tuesday", "ann")])
    w["no_timestamp.csv"] = "case_id,activity,resource\nc1,A,ann\n"
    w["ambiguous_case.csv"] = "case_id,trace_id,activity,timestamp\nc1,t1,A,2024-01-01T09:00:00Z\n"
    w["notes.txt"] = "not a log\n"
    written = []
    for name, content in w.items():
        path = folder / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        written.append(path)
    ts = pd.to_datetime([r[2] for r in _ROWS], utc=True)
    _parquet(folder / "basic.parquet", {
        "case_id": [r[0] for r in _ROWS], "activity": [r[1] for r in _ROWS],
        "timestamp": ts.to_numpy(), "resource": [r[3] for r in _ROWS]})
    _parquet(folder / "float_timestamps.parquet", {
        "case_id": ["c1", "c1"], "activity": ["A", "B"], "timestamp": [1.7e9, 1.7e9 + 60]})
    _parquet(folder / "struct_case.parquet", {
        "case": [{"id": 1, "sys": "x"}, {"id": 2, "sys": "y"}], "activity": ["A", "B"],
        "timestamp": ["2024-01-01T09:00:00Z", "2024-01-01T10:00:00Z"]})
    written += [folder / n for n in ("basic.parquet", "float_timestamps.parquet", "struct_case.parquet")]
    return written


def observe(case: Case, folder: Path = CORPUS) -> tuple[str, str, str]:
    """Read one corpus file; return (outcome, class name, messages)."""
    sys.path.insert(0, str(HERE.parent))
    from divergence.errors import DivergenceWarning
    from divergence.io import read_logs

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            read_logs(folder / case.name, **case.options)
        except Exception as exc:  # noqa: BLE001 - reported in the table
            return "error", type(exc).__name__, str(exc)
    mine = [str(w.message) for w in caught if issubclass(w.category, DivergenceWarning)]
    if mine:
        return "warn", "DivergenceWarning", " / ".join(mine)
    return "ok", "", ""


def write_table(folder: Path = CORPUS) -> None:
    """Write tests/CORPUS.md with the observed outcome of every case."""
    lines = [
        "# Bad-input corpus",
        "",
        "Generated by `python tests/make_corpus.py`; checked by `tests/test_io_corpus.py`.",
        "Messages are those observed when reading the file alone with `read_logs`",
        "(paths shortened to the file name). Not in files here, but covered by tests:",
        "a missing path, a folder without logs, and an unreadable file among good",
        "ones (simulated with a broken symlink, since tests run as root where",
        "`chmod 000` does not deny reads).",
        "",
        "| file | what it is | expected outcome | message |",
        "|---|---|---|---|",
    ]
    for case in CASES:
        outcome, kind, message = observe(case, folder)
        message = message.replace(str(folder / case.name), case.name).replace("|", "\\|")
        label = {"ok": "analysed", "warn": f"analysed with {kind}", "error": f"refused: {kind}"}[outcome]
        opts = f" (max_bytes={case.options['max_bytes']:,})" if case.options else ""
        lines.append(f"| `{case.name}` | {case.about}{opts} | {label} | {message[:300] or '-'} |")
    (HERE / "CORPUS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    paths = build()
    write_table()
    print(f"wrote {len(paths)} files to {CORPUS} and {HERE / 'CORPUS.md'}")
