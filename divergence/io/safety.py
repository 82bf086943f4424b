"""Safe access to input files: format sniffing, size limits and hashing.

Every byte the readers see comes through :func:`open_log_stream`, which checks
that the file is what its extension says (gzip magic, Parquet magic) and
stops reading once the *decompressed* size passes ``max_bytes``, so that a
gzip bomb is refused after at most ``max_bytes`` bytes of work and memory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zlib
from pathlib import Path
from typing import BinaryIO

from divergence.errors import InputError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "LOG_SUFFIXES",
    "InputTooLarge",
    "check_parquet_magic",
    "LimitedReader",
    "default_max_bytes",
    "file_sha256",
    "log_format",
    "open_log_stream",
    "read_log_bytes",
    "strip_log_suffix",
]

#: Largest decompressed size of one input file: 4 GiB. Override with the
#: environment variable ``DIVERGENCE_MAX_INPUT_BYTES`` or ``max_bytes=``.
DEFAULT_MAX_BYTES = 4 * 1024**3

#: File name endings read as logs, longest first, with their format.
LOG_SUFFIXES = (
    (".xes.gz", "xes"),
    (".csv.gz", "csv"),
    (".parquet", "parquet"),
    (".xes", "xes"),
    (".csv", "csv"),
    (".pq", "parquet"),
    (".jsonocel", "ocel-json"),
    (".xmlocel", "ocel-xml"),
    (".sqlite", "ocel-sqlite"),
)

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_CHUNK = 1 << 20


class InputTooLarge(InputError):
    """A file's decompressed size exceeds the limit."""


def default_max_bytes() -> int:
    """Return the size limit from ``DIVERGENCE_MAX_INPUT_BYTES`` or 4 GiB.

    Raises
    ------
    InputError
        If the environment variable is set but is not a positive integer.
    """
    raw = os.environ.get("DIVERGENCE_MAX_INPUT_BYTES", "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(
            f"DIVERGENCE_MAX_INPUT_BYTES: expected a positive number of bytes, got {raw!r}"
        )
    return value


def log_format(path: Path) -> str | None:
    """Return ``"xes"``, ``"csv"``, ``"parquet"`` or ``"ocel-json|xml|sqlite"`` from the file name, or None."""
    name = path.name.lower()
    for suffix, fmt in LOG_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return fmt
    return None


def strip_log_suffix(path: Path) -> str:
    """Return the file name without its log extensions (``a.xes.gz`` -> ``a``)."""
    name = path.name
    for suffix, _ in LOG_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return path.stem


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of the file's bytes as stored on disk."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class LimitedReader(io.RawIOBase):
    """A read-only stream that raises :class:`InputTooLarge` past ``limit`` bytes.

    Parameters
    ----------
    raw : binary file object
        The (possibly decompressing) stream to read from.
    limit : int
        Largest number of bytes that may be read.
    path : Path
        Named in the error message.
    """

    def __init__(self, raw: BinaryIO, limit: int, path: Path, *, closing: BinaryIO | None = None) -> None:
        super().__init__()
        self._raw = raw
        self._closing = closing
        self._limit = limit
        self._path = path
        self.count = 0
        self.error: Exception | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(_CHUNK), b""))
        if size == 0:
            return b""
        try:
            data = self._raw.read(min(size, self._limit + 1 - self.count))
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
            self.error = _gzip_error(self._path, exc)
            raise self.error from None
        self.count += len(data)
        if self.count > self._limit:
            self.error = InputTooLarge(
                f"{self._path}: decompressed size exceeds the limit of {self._limit:,} bytes "
                "(set DIVERGENCE_MAX_INPUT_BYTES or max_bytes to raise it)"
            )
            raise self.error
        return data

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._raw.close()
            if self._closing is not None:
                self._closing.close()
        finally:
            super().close()


def open_log_stream(path: Path, fmt: str, max_bytes: int) -> LimitedReader:
    """Open a log file for reading, decompressing ``.gz`` transparently.

    Parameters
    ----------
    path : Path
        The file.
    fmt : str
        Its format from :func:`log_format` (used in messages only).
    max_bytes : int
        Largest decompressed size accepted.

    Returns
    -------
    LimitedReader
        A binary stream; close it when done.

    Raises
    ------
    InputError
        If the file cannot be opened, or is named ``.gz`` but is not gzip.
    """
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if path.name.lower().endswith(".gz"):
        magic = handle.read(2)
        handle.seek(0)
        if magic != _GZIP_MAGIC:
            handle.close()
            raise InputError(f"{path}: not a gzip file although its name ends in .gz")
        raw: BinaryIO = gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[assignment]
    else:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            handle.close()
            raise InputTooLarge(
                f"{path}: size {size:,} bytes exceeds the limit of {max_bytes:,} bytes "
                "(set DIVERGENCE_MAX_INPUT_BYTES or max_bytes to raise it)"
            )
        raw = handle
    return LimitedReader(raw, max_bytes, path, closing=handle)


def read_log_bytes(path: Path, fmt: str, max_bytes: int) -> bytes:
    """Return the whole (decompressed) content of a log file, at most ``max_bytes``.

    Raises
    ------
    InputError
        As :func:`open_log_stream`, or if the gzip stream is truncated or corrupt,
        or the content exceeds ``max_bytes``.
    """
    with open_log_stream(path, fmt, max_bytes) as stream:
        parts = []
        while True:
            block = stream.read(_CHUNK)
            if not block:
                break
            parts.append(block)
    return b"".join(parts)


def check_parquet_magic(path: Path) -> None:
    """Raise :class:`InputError` unless the file starts and ends with ``PAR1``."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
            size = os.fstat(handle.fileno()).st_size
            tail = b""
            if size >= 8:
                handle.seek(-4, os.SEEK_END)
                tail = handle.read(4)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if size == 0:
        return
    if head != _PARQUET_MAGIC or tail != _PARQUET_MAGIC:
        raise InputError(f"{path}: not a Parquet file (missing PAR1 magic bytes)")


def _gzip_error(path: Path, exc: Exception) -> InputError:
    if isinstance(exc, EOFError):
        return InputError(f"{path}: truncated gzip file (compressed data ends early)")
    if isinstance(exc, (gzip.BadGzipFile, zlib.error)):
        return InputError(f"{path}: corrupt gzip data ({exc})")
    return InputError(f"{path}: cannot read the file ({getattr(exc, 'strerror', None) or exc})")
