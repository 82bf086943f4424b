"""Command line: parse options, call the library, print a short summary.

Kept thin and quick to import: heavy modules (pandas, pm4py, matplotlib) are
imported only when a command runs, so ``divergence --help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

__all__ = ["main", "run", "build_parser"]

EXAMPLES = """\
examples:
  divergence analyse                      # the bundled sample logs into ./reports
  divergence analyse logs/ --out out/     # every log under logs/ (sub-folders = processes)
  divergence analyse a.xes.gz b.csv --target auto --families 3
  divergence analyse hr/ --target hr=standards/hr.bpmn --cost-model rates.toml
  divergence analyse exports/ --case-key "Case ID" --activity-key Step \\
      --timestamp-key "End Time" --unit-key Department --pseudonymise --min-cases 5
  divergence analyse /data/events/ --engine duckdb --memory-limit 4GB
  divergence analyse --sql postgresql+psycopg://user@host/erp --sql-table workflow.events
"""

ANALYSE_HELP = """\
Read event logs, compare every unit's process with every other's, group units
into process families, and price harmonising them onto one target process.

INPUT is any mix of files and folders: XES (.xes, .xes.gz), CSV (.csv,
.csv.gz; delimiter detected), Parquet, and portable profiles (.profile.json,
from 'divergence profile'). A unit is the --unit-key column
(one per case, see --unit-rule), or else each file's name; a process is the
--process-key column, or else the sub-folder of an INPUT folder a file sits
in, the INPUT folder's own name for files directly inside it, or the file's
name for a single file given directly. With no INPUT the bundled sample logs
are analysed.
"""


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .options import add_arguments

    parser = argparse.ArgumentParser(
        prog="divergence",
        description="How differently do units run the same process, and what does it cost to make them one?",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"divergence {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    a = sub.add_parser(
        "analyse",
        aliases=["analyze"],
        help="analyse event logs and write the report",
        description=ANALYSE_HELP,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a.add_argument("inputs", nargs="*", metavar="INPUT", help="log files or folders (default: the bundled sample_logs/)")
    a.add_argument("--out", "-o", default="reports", metavar="DIR", help="output folder, replaced whole at the end (default: reports)")
    groups = {
        "columns": a.add_argument_group("columns (detected automatically when not given)"),
        "inputs": a.add_argument_group("inputs (see the README: units, processes, lifecycles, unfinished cases)"),
        "analysis": a.add_argument_group("analysis"),
        "engines": a.add_argument_group("engines (where the profile step runs; every engine gives the same numbers)"),
        "privacy": a.add_argument_group("privacy and output"),
    }
    # every option of the library, from its declaration in divergence.options
    add_arguments(groups, defaults={"engine": None})
    en, pv = groups["engines"], groups["privacy"]
    en.add_argument(
        "--sql",
        metavar="URL",
        help="SQLAlchemy URL of a PostgreSQL database holding the events, e.g. "
        "postgresql+psycopg://user@host:5432/db; implies --engine postgres; INPUT is then not given",
    )
    pv.add_argument("--key-env", default="DIVERGENCE_KEY", metavar="VAR", help="environment variable holding the pseudonymisation key (default: DIVERGENCE_KEY)")
    pv.add_argument("--no-graphs", action="store_true", help="skip drawing graphs (faster)")
    pv.add_argument("--png", action="store_true",
                    help="also write every process map and difference map as PNG, e.g. for slides (slower; "
                         "default: SVG, which the report inlines; charts always get both)")
    pv.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")
    _tool_parsers(sub)
    return parser


def _tool_parsers(sub) -> None:
    """The ``profile`` and ``match`` subcommands (their work is in divergence.portable and divergence.match)."""
    from .options import Columns, EngineOptions, ReadOptions, add_arguments

    for name, help_, out_help in (
        ("profile", "write portable unit profiles (*.profile.json): aggregates only, no case ids, no names",
         "the profile file to write, e.g. unit.profile.json"),
        ("match", "propose a canonical name for every activity of every unit (mapping.csv for --mapping)",
         "the mapping CSV to write, e.g. mapping.csv"),
    ):
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("inputs", nargs="+", metavar="INPUT", help="log files or folders")
        p.add_argument("--out", "-o", required=True, metavar="FILE", help=out_help)
        if name == "profile":
            from .options import PROFILE_MIN_CASES as DEFAULT_MIN_CASES

            p.add_argument("--min-cases", dest="min_cases", type=int, default=DEFAULT_MIN_CASES, metavar="K",
                           help="fold variants, edges and activities seen in fewer than K cases into '(other)', "
                           f"and staff counts below K (default: {DEFAULT_MIN_CASES}; 1 = no folding)")
        else:
            p.add_argument("--min-score", dest="min_score", type=float, default=None, metavar="X",
                           help="propose a canonical name only at a score of at least X, 0..1 (default: 0.6)")
        groups = {g: p.add_argument_group(g) for g in ("columns", "inputs", "engines")}
        add_arguments(groups, (Columns, ReadOptions, EngineOptions), defaults={"engine": "pandas"})
        p.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")


def run() -> None:
    """The ``divergence`` command: :func:`main`, then exit without a last sweep of the heap.

    The objects of a finished run are frozen (``gc.freeze``) before the
    interpreter shuts down, so its final garbage collections skip them:
    0.3-0.4 s less at the end of every run. Exit handlers still run.
    """
    import gc

    code = main()
    gc.freeze()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from .warmup import skip_scipy_doc_notes

    skip_scipy_doc_notes()  # 0.2 s of SciPy's import spent on docstrings no command-line run reads
    if args.command in ("profile", "match"):
        return _guarded(_tool, args)
    return _analyse(args)


def _tool(args: argparse.Namespace) -> list[str]:
    from .options import Columns, EngineOptions, ReadOptions, from_namespace

    kw = {"columns": from_namespace(Columns, args), "read": from_namespace(ReadOptions, args),
          "engine": from_namespace(EngineOptions, args)}
    if args.command == "profile":
        from .portable import profile_command

        return profile_command(args.inputs, args.out, min_cases=args.min_cases, **kw)
    from .match import match_command

    return match_command(args.inputs, args.out, min_score=args.min_score, **kw)


def _guarded(fn, args: argparse.Namespace) -> int:
    """Run a subcommand: its lines on stdout, a DivergenceError as one line and exit status 2."""
    from .errors import DivergenceError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            lines = fn(args)
        except DivergenceError as exc:
            print(f"divergence: error: {_one_line(exc)}", file=sys.stderr)
            return 2
    _flush_warnings(caught)
    if not args.quiet:
        for line in lines:
            print(line)
    return 0


def _analyse(args: argparse.Namespace) -> int:
    from .errors import DivergenceError
    from .progress import Progress

    progress = Progress(enabled=not args.quiet and sys.stderr.isatty())
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            from . import analyse
            from .engines.step import default_inputs
            from .options import Columns, EngineOptions, Options, ReadOptions, from_namespace
            from .report import write_outputs

            engine = _engine_of(args)
            if engine == "postgres" or args.sql:
                inputs = _sql_inputs(args)
            else:
                inputs = args.inputs or [str(default_inputs())]
            key = os.environ.get(args.key_env) or None if args.pseudonymise else None
            result = analyse(
                inputs,
                columns=from_namespace(Columns, args),
                read=from_namespace(ReadOptions, args),
                options=from_namespace(Options, args, key=key),
                engine=from_namespace(EngineOptions, args, engine=engine),
                progress=progress,
            )
            out = write_outputs(result, Path(args.out), graphs=not args.no_graphs, png=args.png,
                                progress=progress)
        except DivergenceError as exc:
            progress.close()
            print(f"divergence: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        except MemoryError:
            progress.close()
            print("divergence: error: out of memory; try --engine duckdb or fewer inputs", file=sys.stderr)
            return 2
        except Exception as exc:  # a bug: one line, the traceback only on request
            progress.close()
            if os.environ.get("DIVERGENCE_DEBUG"):
                raise
            print(
                f"divergence: internal error: {type(exc).__name__}: {_one_line(exc)} "
                "(set DIVERGENCE_DEBUG=1 for details; please report it)",
                file=sys.stderr,
            )
            return 1
        except KeyboardInterrupt:
            progress.close()
            print("divergence: interrupted; nothing written", file=sys.stderr)
            return 130
        progress.close()
        _flush_warnings(caught)
    if not args.quiet:
        from .report.text import summary_lines

        for line in summary_lines(result, out, seconds=time.perf_counter() - t0):
            print(line)
    return 0


def _engine_of(args: argparse.Namespace) -> str:
    """The --engine value: postgres when --sql is given, else pandas, unless named."""
    from .errors import OptionError

    if args.engine is None:
        return "postgres" if args.sql else "pandas"
    if args.sql and args.engine not in ("auto", "postgres"):
        raise OptionError(f"--sql reads from PostgreSQL; it cannot be used with --engine {args.engine}")
    return args.engine


def _sql_inputs(args: argparse.Namespace) -> list[str]:
    from .errors import OptionError

    if not args.sql:
        raise OptionError("--engine postgres needs --sql URL (and --sql-table or --sql-query)")
    if args.inputs:
        raise OptionError("with --sql the events come from the database; give no INPUT files")
    return [args.sql]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _flush_warnings(caught: list) -> None:
    from .errors import DivergenceWarning

    seen = set()
    for w in caught:
        if issubclass(w.category, DivergenceWarning):
            msg = str(w.message)
            if msg not in seen:
                seen.add(msg)
                print(f"divergence: warning: {msg}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
