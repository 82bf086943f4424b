"""Every corpus file gives its documented outcome, quickly."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import warnings
from pathlib import Path

import pytest

from divergence import errors
from divergence.errors import DivergenceWarning, InputError
from divergence.io import read_logs

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
make_corpus = sys.modules.setdefault("make_corpus", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(make_corpus)
CORPUS = HERE / "corpus"


def test_corpus_is_complete_and_small():
    names = {case.name for case in make_corpus.CASES}
    on_disk = {p.name for p in CORPUS.iterdir()}
    assert names <= on_disk
    assert len(names) >= 30
    assert all(p.stat().st_size < 200_000 for p in CORPUS.iterdir())


@pytest.mark.parametrize("case", make_corpus.CASES, ids=lambda c: c.name)
def test_corpus_outcome(case):
    path = CORPUS / case.name
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if case.outcome == "error":
            expected = getattr(errors, case.kind, None) or InputError
            with pytest.raises(expected) as info:
                read_logs(path, **case.options)
            message = str(info.value)
            assert case.fragment in message
            assert message.startswith(f"{path}: ")
            assert "\n" not in message
            assert "Traceback" not in message
        else:
            frame = read_logs(path, **case.options)
            assert len(frame) > 0
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"{case.name} took {elapsed:.2f} s"
    mine = [str(w.message) for w in caught if issubclass(w.category, DivergenceWarning)]
    if case.outcome == "warn":
        assert any(case.fragment in m for m in mine), mine
        assert all(m.startswith(f"{path}: ") and "\n" not in m for m in mine)
    if case.outcome == "ok":
        assert mine == []


def test_xxe_never_reads_local_file():
    with pytest.raises(InputError):
        read_logs(CORPUS / "xxe.xes")
    # and even with the DOCTYPE check bypassed, the parser resolves nothing
    from divergence.io import xes

    text = (CORPUS / "xxe.xes").read_bytes()
    stream = _Bytes(text)
    try:
        frame = xes._parse(CORPUS / "xxe.xes", stream, {"concept:name"}, {"concept:name"})
    except Exception:  # noqa: BLE001 - refusing is fine too
        return
    assert not any("root:" in str(v) for v in frame.to_numpy().ravel())


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        data, self._data = self._data, b""
        return data


def test_formula_kept_verbatim():
    frame = read_logs(CORPUS / "formula.csv")
    assert '=HYPERLINK("http://x","y")' in set(frame["activity"])


def test_long_case_and_long_name():
    frame = read_logs(CORPUS / "long_case.csv.gz")
    assert len(frame) == 10_000 and frame["case"].nunique() == 1
    with pytest.warns(DivergenceWarning, match="truncated"):
        frame = read_logs(CORPUS / "long_name.csv")
    assert frame["activity"].str.len().max() == 1000


def test_control_characters_stripped():
    with pytest.warns(DivergenceWarning):
        frame = read_logs(CORPUS / "control_chars.csv")
    assert list(frame["activity"]) == ["Register", "yaP", "Close"]


def test_cp1252_decoded():
    with pytest.warns(DivergenceWarning, match="Windows-1252"):
        frame = read_logs(CORPUS / "cp1252.csv")
    assert list(frame["activity"]) == ["Prüfung €", "Zahlung"]
    assert list(frame["resource"]) == ["José", "Zoë"]


def test_env_var_limits_size(monkeypatch):
    monkeypatch.setenv("DIVERGENCE_MAX_INPUT_BYTES", "100")
    with pytest.raises(InputError, match="exceeds the limit of 100 bytes"):
        read_logs(CORPUS / "basic.csv")
    monkeypatch.setenv("DIVERGENCE_MAX_INPUT_BYTES", "lots")
    with pytest.raises(InputError, match="DIVERGENCE_MAX_INPUT_BYTES"):
        read_logs(CORPUS / "basic.csv")


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(InputError, match="no such file or folder") as info:
        read_logs(missing)
    assert str(info.value).startswith(f"{missing}: ")


def test_folder_without_logs(tmp_path):
    (tmp_path / "README.md").write_text("hello")
    (tmp_path / "model.bpmn").write_text("<x/>")
    with pytest.raises(InputError, match="folder holds no event logs"):
        read_logs(tmp_path)


def test_unreadable_file_among_good_ones_refuses_the_run(tmp_path):
    # Tests may run as root, where chmod 000 does not deny reads; a broken
    # symlink named like a log stands in for the unreadable file then.
    (tmp_path / "a.csv").write_bytes((CORPUS / "basic.csv").read_bytes())
    bad = tmp_path / "b.csv"
    if os.geteuid() == 0:
        bad.symlink_to(tmp_path / "gone.csv")
    else:
        bad.write_bytes((CORPUS / "basic.csv").read_bytes())
        bad.chmod(0)
    (tmp_path / "c.csv").write_bytes((CORPUS / "basic.csv").read_bytes())
    with pytest.raises(InputError) as info:
        read_logs(tmp_path)
    assert str(info.value).startswith(f"{bad}: ")


def test_folder_skips_hidden_and_non_log_files(tmp_path):
    (tmp_path / "a.csv").write_bytes((CORPUS / "basic.csv").read_bytes())
    (tmp_path / ".hidden.csv").write_text("garbage")
    (tmp_path / "notes.md").write_text("# notes")
    (tmp_path / "costs.toml").write_text("x = 1")
    frame = read_logs(tmp_path)
    assert [s["path"] for s in frame.attrs["sources"]] == [str(tmp_path / "a.csv")]
