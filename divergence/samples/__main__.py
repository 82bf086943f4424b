"""``python -m divergence.samples [--out DIR] [--ocel FILE]``: rewrite the bundled sample logs, or write the OCEL 2.0 sample."""

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
    parser.add_argument("--ocel", metavar="FILE", help="write only the OCEL 2.0 procurement sample to FILE "
                        "(.jsonocel, .xmlocel or .sqlite); analyse it with --object-type order --unit-key unit")
    args = parser.parse_args(argv)
    if args.ocel:
        from .ocel import write_ocel

        path = write_ocel(args.ocel)
        print(f"wrote {path}, {path.stat().st_size / 1e3:.0f} kB")
        return 0
    paths = write_samples(args.out)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files, {total / 1e6:.2f} MB, under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
