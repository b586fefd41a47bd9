"""``nadam-ref trace --rule NAME --steps K [--json]``: one block per step, each line of the box with its values,
on the race's quadratic f(θ) = 0.1·θ₁² + 2·θ₂² from θ₀ = (1, 1) (:func:`nadam_ref.teaching.trace_table`).

Steps are printed as they are computed, so ``--steps`` has no upper bound and memory stays constant. ``--json``
prints one strict JSON document: a NaN or an infinity is the string "NaN", "Infinity" or "-Infinity".
"""

from __future__ import annotations

from .. import rules
from ..teaching import trace_table
from . import CLIError


def declared_options() -> dict:
    """Every discrete option any rule declares, with the values any rule offers (the rule's own declaration then
    refuses, by name, a value it does not offer), and every numeric variant (``eps_root``, ``n0``) as ``float``."""
    options = {}
    for name in rules.RULES:
        spec = rules.spec(name)
        for option, values in spec.options.items():
            offered = options.setdefault(option, [])
            offered += [v for v in values if v not in offered]
        for option in spec.numeric_variants:
            options[option] = float
    return options


HPARAMS = ("lr", "mu", "nu", "eps", *declared_options())


def _flag(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(text)
    return text == "true"


def add_arguments(parser):
    parser.add_argument("--rule", required=True, help=f"one of: {', '.join(rules.RULES)}")
    parser.add_argument("--steps", type=int, default=2, help="how many steps to show (default 2; printed as they "
                                                              "are computed, so any number works)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (strict JSON)")
    for name in ("lr", "mu", "nu", "eps"):
        parser.add_argument(f"--{name}", type=float, default=None, help=f"override {name}")
    for name, values in declared_options().items():  # from the rules' declarations (nadam-ref rules lists them)
        flag = f"--{name.replace('_', '-')}"
        if values is float:
            parser.add_argument(flag, dest=name, type=float, default=None, help=f"override {name}")
        elif all(isinstance(v, bool) for v in values):
            parser.add_argument(flag, dest=name, type=_flag, choices=[False, True], metavar="{true,false}",
                                default=None, help="for the rules that declare it")
        else:
            parser.add_argument(flag, dest=name, choices=values, default=None, help="for the rules that declare it")


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
