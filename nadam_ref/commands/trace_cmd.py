"""``nadam-ref trace --rule NAME --steps K [--json]``: one block per step, each line of the box with its values,
on the race's quadratic f(θ) = 0.1·θ₁² + 2·θ₂² from θ₀ = (1, 1) (:func:`nadam_ref.teaching.trace_table`).

Steps are printed as they are computed, so ``--steps`` has no upper bound and memory stays constant. ``--json``
prints one strict JSON document: a NaN or an infinity is the string "NaN", "Infinity" or "-Infinity".
"""

from __future__ import annotations

from .. import rules
from ..teaching import trace_table
from . import CLIError

HPARAMS = ("lr", "mu", "nu", "eps", "schedule", "eps_placement")


def add_arguments(parser):
    parser.add_argument("--rule", required=True, help=f"one of: {', '.join(rules.RULES)}")
    parser.add_argument("--steps", type=int, default=2, help="how many steps to show (default 2; printed as they "
                                                              "are computed, so any number works)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (strict JSON)")
    for name in ("lr", "mu", "nu", "eps"):
        parser.add_argument(f"--{name}", type=float, default=None, help=f"override {name}")
    parser.add_argument("--schedule", choices=["paper", "constant"], default=None)
    parser.add_argument("--eps-placement", dest="eps_placement", choices=["inside", "outside"], default=None)


def run(args) -> int:
    if args.steps < 1:
        raise CLIError(f"--steps {args.steps}; expected an integer >= 1")
    given = {k: getattr(args, k) for k in HPARAMS if getattr(args, k) is not None}
    try:
        table = trace_table(args.rule, args.steps, **given)
    except (ValueError, TypeError) as e:  # an unknown rule is a ValueError too
        raise CLIError(str(e)) from None
    for chunk in (table.json_chunks() if args.json else table.lines()):
        print(chunk, end="" if args.json else "\n")
    return 0
