"""Print a SHA-256 digest of every output of a run, to show a change leaves them byte-identical.

Usage: ``python tests/digest_outputs.py OUT_DIR > digests.txt``; run it on the
outputs of ``make demo`` before and after a change and ``diff`` the two
files. ``summary.json`` is digested as written with ``generated_at`` blanked,
the only field that differs between
two identical runs; every CSV, SVG, BPMN and the workbook as written.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path


def digest(path: Path) -> str:
    data = path.read_bytes()
    if path.name == "summary.json":  # the bytes as written, the time stamp blanked
        data = re.sub(rb'"generated_at": "[^"]*"', b'"generated_at": ""', data, count=1)
    return hashlib.sha256(data).hexdigest()


def main(out: str) -> None:
    root = Path(out)
    for path in sorted(root.rglob("*")):
        if path.suffix in {".json", ".csv", ".svg", ".xlsx", ".bpmn"} and path.is_file():
            print(f"{digest(path)}  {path.relative_to(root)}")


if __name__ == "__main__":
    main(sys.argv[1])
