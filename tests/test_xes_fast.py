"""The fast XES route gives exactly the frame of the general (lxml) route, or steps aside."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import divergence.io.xes as xes
from divergence.errors import InputError

CORPUS = Path(__file__).resolve().parent / "corpus"
KEYS = dict(event_keys={"concept:name", "time:timestamp", "org:resource", "lifecycle:transition"},
            trace_keys={"concept:name"}, max_bytes=10**9)


def _general(path: Path, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(xes, "_fast_read", lambda *a, **k: None)
        return xes.read_xes(path, **KEYS)


def _outcome(read):
    try:
        return "ok", read()
    except InputError as exc:
        return "error", str(exc)


def _same(a, b) -> None:
    assert a[0] == b[0]
    if a[0] == "ok":
        assert list(a[1].columns) == list(b[1].columns)
        assert a[1].equals(b[1])
    else:
        assert a[1] == b[1]


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.xes*")))
def test_every_corpus_xes_reads_the_same_by_both_routes(name, monkeypatch):
    path = CORPUS / name
    _same(_outcome(lambda: xes.read_xes(path, **KEYS)), _outcome(lambda: _general(path, monkeypatch)))


def _doc(traces, *, comment=False, nested=False, declaration=True) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n'] if declaration else []
    if comment:
        out.append("<!-- written by a test -->\n")
    out.append('<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n')
    out.append('\t<global scope="event"><string key="concept:name" value="?"/></global>\n')
    out.append('\t<string key="concept:name" value="the log"/>\n')
    for case, events, where in traces:
        out.append("\t<trace>\n")
        if where == 0:
            out.append(f'\t\t<string key="concept:name" value="{case}"/>\n')
        for act, res in events:
            out.append("\t\t<event>\n")
            out.append(f'\t\t\t<string key="concept:name" value="{act}"/>\n')
            if res is not None:
                out.append(f'\t\t\t<string key="org:resource"  value="{res}" />\n')
            out.append('\t\t\t<date key="time:timestamp" value="2024-01-01T00:00:00+00:00"/>\n')
            if nested:
                out.append('\t\t\t<string key="outer" value="x"><string key="inner" value="y"/></string>\n')
            out.append("\t\t</event>\n")
        if where == 1:
            out.append(f'\t\t<string key="concept:name" value="{case}"/>\n')
        out.append("\t</trace>\n")
    out.append("</log>\n")
    return "".join(out).encode("utf-8")


_text = st.lists(st.sampled_from(list("ab Zé€>'") + ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]),
                 max_size=4).map("".join)
_traces = st.lists(
    st.tuples(_text, st.lists(st.tuples(_text, st.one_of(st.none(), _text)), max_size=4), st.sampled_from([0, 1, 2])),
    max_size=5,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(traces=_traces, block=st.sampled_from([16, 64, 1 << 23]), gz=st.booleans(),
       cut=st.one_of(st.none(), st.integers(1, 400)))
def test_both_routes_give_the_same_frame_or_error(traces, block, gz, cut, tmp_path, monkeypatch):
    data = _doc(traces)
    if cut is not None:
        data = data[: max(1, len(data) - cut)]  # truncated documents too
    path = tmp_path / ("u.xes.gz" if gz else "u.xes")
    path.write_bytes(gzip.compress(data) if gz else data)
    monkeypatch.setattr(xes, "_BLOCK", block)
    _same(_outcome(lambda: xes.read_xes(path, **KEYS)), _outcome(lambda: _general(path, monkeypatch)))


def test_plain_xes_takes_the_fast_route_even_with_comments_in_the_header(tmp_path):
    path = tmp_path / "u.xes"
    path.write_bytes(_doc([("c1", [("A", "r"), ("B", None)], 0)], comment=True))
    frame = xes._fast_read(path, **KEYS)
    assert frame is not None
    assert frame["concept:name"].tolist() == ["A", "B"]
    assert frame["case:concept:name"].tolist() == ["c1", "c1"]
    assert frame["org:resource"].tolist()[0] == "r" and frame["org:resource"].isna().tolist() == [False, True]
    assert frame["_row"].tolist() == [1, 2]


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.replace(b'value="A"', b'value="&#65;"'),  # a character reference
        lambda d: d.replace(b"</trace>", b"<!-- c --></trace>", 1),  # a comment in the body
        lambda d: d.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'),  # another encoding
        lambda d: d.replace(b"<event>", b"<event id='1'>", 1),  # attributes on an event
        lambda d: d.replace(b"</log>\n", b""),  # truncated
    ],
)
def test_anything_but_plain_xes_goes_to_the_general_route(change, tmp_path):
    path = tmp_path / "u.xes"
    path.write_bytes(change(_doc([("c1", [("A", "r"), ("B", None)], 0)])))
    assert xes._fast_read(path, **KEYS) is None


def test_nested_attributes_go_to_the_general_route_which_reads_direct_children_only(tmp_path):
    path = tmp_path / "u.xes"
    path.write_bytes(_doc([("c1", [("A", "r")], 0)], nested=True))
    assert xes._fast_read(path, **KEYS) is None
    frame = xes.read_xes(path, **KEYS)
    assert frame["concept:name"].tolist() == ["A"]
