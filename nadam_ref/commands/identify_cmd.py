"""``nadam-ref identify (--torch|--optax|--keras|--tf-keras|--paddle|--step) package.module:Name [--kwargs JSON]``:
which nadam_ref rule and variant an optimizer computes (see :mod:`nadam_ref.crosscheck.identify`).

Exit status 0 when some declared variant reproduces it within the tolerance, 1 when none does (the nearest is
printed with the step and box line where they first part). ``MODULE`` is imported as ``python -m`` would: the current
directory comes first on the path, so ``--step my_steps:nadam`` finds ``./my_steps.py``.
"""

from __future__ import annotations

import json
import math
import os
import sys

from .._io import strict_json
from . import CLIError

MAX_STEPS = 100_000
#: Measured with ``--rules all`` on the project's 2-core machine (see the commit that set it); it is linear in --steps.
SECONDS_PER_1000_STEPS = "≈ 10 s of one CPU core"

_KINDS = {"torch": "a torch.optim.Optimizer class (also timm, pytorch-optimizer)", "optax": "an optax factory",
          "keras": "a keras 3 optimizer class", "tf_keras": "a tf.keras 2 optimizer class",
          "paddle": "a paddle.optimizer class", "step": "a step function step_fn(theta, g, state), as compare()"}


def add_arguments(parser):
    target = parser.add_mutually_exclusive_group(required=True)
    for kind, what in _KINDS.items():
        target.add_argument(f"--{kind.replace('_', '-')}", dest=kind, metavar="MODULE:NAME",
                            help=what + ("; MODULE is imported from the current directory first, as python -m does"
                                         if kind == "step" else ""))
    parser.add_argument("--kwargs", default="{}", help="JSON keyword arguments for the library call, e.g. "
                        "'{\"lr\": 0.002, \"betas\": [0.9, 0.999]}'")
    parser.add_argument("--hparams", default="{}", help="JSON numbers that override those read from the call; for "
                        "--step, the numbers built into the function. Keys: nadam_ref's (lr, mu, nu, eps, n0, "
                        "eps_root), betas, or the libraries' names for them (learning_rate, beta1, beta_2, b1, "
                        "epsilon, ...); any other key is refused")
    parser.add_argument("--rules", default=None, help="these rules (comma-separated), or all (every rule but "
                        "nag_lookahead); default: the rules the target's name points to, all if it names none")
    parser.add_argument("--steps", type=int, default=20,
                        help=f"steps per problem (default 20, at most {MAX_STEPS:,}). The time grows linearly with "
                        f"it: {SECONDS_PER_1000_STEPS} per 1000 steps with --rules all (every declared variant, each "
                        "also with float32 numbers, runs on both problems); the likely rules alone take less")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--tolerance", type=float, default=None,
                        help="largest normwise relative difference that counts as reproduced (1e-12 in float64)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args) -> int:
    from ..crosscheck.identify import identify

    kind = next(k for k in _KINDS if getattr(args, k))
    kwargs, hparams = _json("--kwargs", args.kwargs), _json("--hparams", args.hparams)
    if not 1 <= args.steps <= MAX_STEPS:
        raise CLIError(f"--steps {args.steps}: expected an integer from 1 to {MAX_STEPS:,} (paths are kept in memory)")
    if args.tolerance is not None and not 0 < args.tolerance < math.inf:
        raise CLIError(f"--tolerance {args.tolerance}: expected a finite number > 0")
    rule_names = args.rules if args.rules in (None, "all") else [r.strip() for r in args.rules.split(",") if r.strip()]
    sys.path.insert(0, os.getcwd())  # as python -m does: a module in the current directory can be named
    try:
        result = identify(getattr(args, kind), kwargs, kind=kind, rule_names=rule_names, hparams=hparams,
                          steps=args.steps, dtype=args.dtype, tolerance=args.tolerance)
    except (ValueError, TypeError) as e:
        raise CLIError(str(e)) from None
    finally:
        sys.path.remove(os.getcwd())  # the first entry equal to it: the one put there above
    if args.json:
        print(strict_json(result.as_dict(), indent=2))  # an infinite distance is "Infinity", not Infinity
    else:
        print(result)
    return 0 if result else 1


def _json(flag, text):
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise CLIError(f"{flag} {text!r}: not JSON ({e})") from None
    if not isinstance(value, dict):
        raise CLIError(f"{flag} {text!r}: expected a JSON object")
    return value
