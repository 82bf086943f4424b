"""``python -m divergence.samples [--out DIR]``: rewrite the bundled sample logs."""

from __future__ import annotations

import argparse
import sys

from . import write_samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m divergence.samples",
        description="Rewrite the synthetic sample logs deterministically. "
        "Example: python -m divergence.samples --out sample_logs",
    )
    parser.add_argument("--out", default="sample_logs", help="output folder (default: sample_logs)")
    args = parser.parse_args(argv)
    paths = write_samples(args.out)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files, {total / 1e6:.2f} MB, under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
