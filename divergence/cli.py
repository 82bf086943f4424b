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

__all__ = ["main", "build_parser"]

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
.csv.gz; delimiter detected) and Parquet. A unit is the --unit-key column
(one per case, see --unit-rule), or else each file's name; a process is the
--process-key column, or else the sub-folder of an INPUT folder a file sits
in, the INPUT folder's own name for files directly inside it, or the file's
name for a single file given directly. With no INPUT the bundled sample logs
are analysed.
"""


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

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
    cols = a.add_argument_group("columns (detected automatically when not given)")
    cols.add_argument("--case-key", metavar="COL", help="case id column (e.g. case:concept:name, case_id)")
    cols.add_argument("--activity-key", metavar="COL", help="activity column (e.g. concept:name, activity)")
    cols.add_argument("--timestamp-key", metavar="COL", help="timestamp column (e.g. time:timestamp, timestamp)")
    cols.add_argument("--resource-key", metavar="COL", help="resource column (e.g. org:resource, resource)")
    cols.add_argument("--unit-key", metavar="COL", help="unit column (default: the file name is the unit)")
    cols.add_argument("--process-key", metavar="COL", help="process column (default: the sub-folder is the process)")
    ip = a.add_argument_group("inputs (see the README: units, processes, lifecycles, unfinished cases)")
    ip.add_argument(
        "--unit-rule",
        choices=("first", "last", "most"),
        default="first",
        help="unit of a case whose unit column changes within it: that of its first event naming one, "
        "its last, or the one most of its events name; the whole case counts there (default: first)",
    )
    ip.add_argument(
        "--lifecycle",
        choices=("auto", "as-activity", "ignore"),
        default="auto",
        help="lifecycle column: auto folds start/complete pairs and warns about other transitions; "
        "as-activity makes each transition other than complete an activity 'name (transition)'; "
        "ignore keeps every event as it is (default: auto)",
    )
    ip.add_argument(
        "--complete-only",
        action="store_true",
        help="drop likely unfinished cases (last activity not an end activity) before profiling "
        "(default: keep them and report their share per unit)",
    )
    ip.add_argument(
        "--end-activity",
        action="append",
        metavar="NAME",
        help="an end activity of every process; repeatable (default: activities ending at least 5%% "
        "of a process's cases)",
    )
    an = a.add_argument_group("analysis")
    an.add_argument(
        "--target",
        action="append",
        metavar="SPEC",
        help="auto, a unit name, or a model file (.bpmn, .pnml, .ptml); PROCESS=SPEC sets it "
        "for one process; repeatable (default: INPUT/targets/<process>.bpmn where present, else auto)",
    )
    an.add_argument("--families", default="auto", metavar="auto|N", help="number of process families (default: auto)")
    an.add_argument("--cost-model", metavar="FILE.toml", help="cost model overriding the documented defaults")
    an.add_argument("--weights", metavar="M=W,...", help="weights of the combined measure, e.g. language=0.5,flow=0.5")
    an.add_argument("--noise", type=float, default=0.2, metavar="X", help="noise threshold of model discovery, 0..1 (default: 0.2)")
    an.add_argument("--min-share", type=float, default=0.05, metavar="X", help="deviations in fewer than this share of a unit's cases are exceptions, not priced change items (default: 0.05)")
    an.add_argument("--alpha", type=float, default=0.05, metavar="Q", help="false-discovery level: a change item is priced only when the test of its difference from the target has a Benjamini-Hochberg q-value at most Q (default: 0.05)")
    an.add_argument("--mix-tolerance", type=float, default=2.0, metavar="X", help="with a unit or pooled target, a unit may run each target variant up to X times as often as the target before it counts as a change (case mix; default: 2)")
    an.add_argument("--min-unit-cases", type=int, default=5, metavar="N", help="units with fewer cases stay in the tables, flagged, but take no part in families, waves and target choice (default: 5)")
    an.add_argument("--bootstrap", type=int, default=50, metavar="N", help="bootstrap resamples for family stability (default: 50; 0 = skip)")
    an.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    en = a.add_argument_group(
        "engines (where the profile step runs; every engine gives the same numbers)"
    )
    en.add_argument(
        "--engine",
        choices=("auto", "pandas", "duckdb", "postgres", "spark"),
        default=None,
        help="pandas: in memory; duckdb: CSV/Parquet larger than memory; postgres: events in a "
        "database table (with --sql); spark: a cluster or local[*]; auto: postgres with --sql, "
        "duckdb above 2 GiB of CSV/Parquet on disk, else pandas (default: pandas, or postgres with --sql)",
    )
    en.add_argument(
        "--sql",
        metavar="URL",
        help="SQLAlchemy URL of a PostgreSQL database holding the events, e.g. "
        "postgresql+psycopg://user@host:5432/db; implies --engine postgres; INPUT is then not given",
    )
    en.add_argument("--sql-table", metavar="TABLE", help="table or view with the events (schema.table); with --sql")
    en.add_argument("--sql-query", metavar="SELECT", help="a SELECT returning the events, instead of --sql-table; with --sql")
    en.add_argument("--spark-master", metavar="URL", help="Spark master for --engine spark, e.g. spark://host:7077 (default: local[*])")
    en.add_argument("--memory-limit", metavar="SIZE", help="memory limit of --engine duckdb, e.g. 4GB; DuckDB spills to disk beyond it (default: 80%% of RAM)")
    pv = a.add_argument_group("privacy and output")
    pv.add_argument("--pseudonymise", "--pseudonymize", action="store_true", help="replace case ids and resources with keyed hashes everywhere")
    pv.add_argument("--key-env", default="DIVERGENCE_KEY", metavar="VAR", help="environment variable holding the pseudonymisation key (default: DIVERGENCE_KEY)")
    pv.add_argument("--min-cases", type=int, default=1, metavar="K", help="fold variants and edges seen in fewer than K cases into 'other' in everything shown (default: 1)")
    pv.add_argument("--no-graphs", action="store_true", help="skip drawing graphs (faster)")
    pv.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return _analyse(args)


def _analyse(args: argparse.Namespace) -> int:
    from .errors import DivergenceError
    from .progress import Progress

    progress = Progress(enabled=not args.quiet and sys.stderr.isatty())
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            from .pipeline import analyse, default_inputs
            from .report import write_outputs

            engine = _engine_of(args)
            if engine == "postgres" or args.sql:
                inputs = _sql_inputs(args)
            else:
                inputs = args.inputs or [str(default_inputs())]
            key = None
            if args.pseudonymise:
                key = os.environ.get(args.key_env) or None
            result = analyse(
                inputs,
                case_id_key=args.case_key,
                activity_key=args.activity_key,
                timestamp_key=args.timestamp_key,
                resource_key=args.resource_key,
                unit_key=args.unit_key,
                process_key=args.process_key,
                target=args.target,
                families=args.families,
                cost_model=args.cost_model,
                weights=args.weights,
                noise_threshold=args.noise,
                min_share=args.min_share,
                alpha=args.alpha,
                mix_tolerance=args.mix_tolerance,
                min_unit_cases=args.min_unit_cases,
                bootstrap=args.bootstrap,
                seed=args.seed,
                pseudonymise=args.pseudonymise,
                key=key,
                min_cases=args.min_cases,
                progress=progress,
                engine=engine,
                sql_table=args.sql_table,
                sql_query=args.sql_query,
                spark_master=args.spark_master,
                memory_limit=args.memory_limit,
                unit_rule=args.unit_rule,
                lifecycle=args.lifecycle,
                complete_only=args.complete_only,
                end_activities=args.end_activity,
            )
            out = write_outputs(result, Path(args.out), graphs=not args.no_graphs, progress=progress)
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
