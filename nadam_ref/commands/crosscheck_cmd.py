"""``nadam-ref crosscheck [--against torch,optax,keras|all] [--steps N] [--dtype float64|float32] [--json]
[--markdown FILE]``: every mapped library call next to the nadam_ref variant it computes.

Exit status 0 iff every mapped pair agrees within the tolerance (1e-12 relative in float64); a library that is
not installed is reported as skipped, and fails the run only when it was named explicitly. ``--json`` is strict
JSON: an infinite distance (one side diverged) is the string "Infinity", a NaN "NaN".
"""

from __future__ import annotations

from .. import rules
from .._io import OutputDirError, atomic_write_text, check_file_writable, strict_json
from ..crosscheck.harness import TOLERANCE
from . import CLIError

MAX_STEPS = 100_000


def add_arguments(parser):
    parser.add_argument("--against", default="all",
                        help="comma-separated: torch, optax, keras (the crosscheck extra), tf_keras, timm, "
                        "pytorch_optimizer, paddle (the peers extra), mxnet (its own environment); or all (default)")
    parser.add_argument("--steps", type=int, default=50,
                        help=f"steps per run (default 50, at most {MAX_STEPS:,}: every path is kept in memory)")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--rules", default=None,
                        help=f"only these rules (comma-separated; of {', '.join(rules.RULES)})")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--markdown", metavar="FILE", default=None,
                        help="also write the conventions table and the check of the reference note to FILE")


def run(args) -> int:
    from ..crosscheck import conventions, harness

    if args.steps > MAX_STEPS:
        raise CLIError(f"--steps {args.steps}: expected at most {MAX_STEPS:,} (every path is kept in memory)")
    if args.markdown:
        try:
            check_file_writable(args.markdown)  # before the run, not after it
        except OutputDirError as e:
            raise CLIError(f"--markdown: {e}") from None
    try:
        libraries, explicit = harness.parse_libraries(args.against)
        rule_names = [r.strip() for r in args.rules.split(",") if r.strip()] if args.rules else None
        report = harness.crosscheck(libraries, steps=args.steps, dtype=args.dtype, rule_names=rule_names,
                                    explicit=explicit)
    except (ValueError, TypeError) as e:
        raise CLIError(str(e)) from None
    if args.markdown:
        text = conventions.markdown(report, conventions.verify_reference(report, args.steps))
        atomic_write_text(args.markdown, text)
    if args.json:
        print(strict_json(_as_dict(report), indent=2))
    else:
        _print_table(report)
    return 0 if report.ok else 1


def _as_dict(report) -> dict:
    return {"dtype": report.dtype, "steps": report.steps, "problems": report.problems, "ok": report.ok,
            "compared": report.compared, "summary": report.summary(),
            "tolerance": TOLERANCE[report.dtype], "skipped": report.skipped, "rows": [vars(row) for row in report.rows]}


def _print_table(report):
    header = ("library", "call", "rule", "nadam_ref variant", "max abs", "max rel", "from paper", "status")
    body = []
    for row in report.rows:
        variant = row.variant if row.variant is not None else row.closest
        text = ", ".join(f"{k}={v}" for k, v in (variant or {}).items()) or "(paper's form)"
        if row.variant is None:
            text = f"no exact mapping; closest: {text}"
        numbers = ("—",) * 3 if row.status == "skipped" else \
            (f"{row.max_abs:.1e}", f"{row.max_rel:.1e}", f"{row.from_paper:.1e}")
        status = row.reason if row.status == "skipped" else row.status
        body.append((row.library, row.call, row.rule, text, *numbers, status))
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    for r in [header, *body]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    for library, why in report.skipped.items():
        print(f"skipped {library}: {why}")
    verdict = "OK" if report.ok else "NOTHING COMPARED" if report.compared == 0 else "FAILED"
    print(f"{report.dtype}, {report.steps} steps on {', '.join(report.problems)}; tolerance "
          f"{TOLERANCE[report.dtype]:g} (normwise relative): {report.summary()}: {verdict}")
