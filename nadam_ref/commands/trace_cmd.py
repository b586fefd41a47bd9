"""``nadam-ref trace --rule NAME --steps K [--json]``: one block per step, each line of the box with its values.

The built-in problem is the ill-conditioned quadratic f(θ) = 0.1·θ₁² + 2·θ₂², started at θ₀ = (1, 1), so that
every number on screen can be checked by hand.
"""

from __future__ import annotations

import json

import numpy

from .. import rules
from ..cli import CLIError
from ..trajectory import trace_steps

PROBLEM = "f(θ) = 0.1·θ₁² + 2·θ₂²,  ∇f(θ) = (0.2·θ₁, 4·θ₂),  θ₀ = (1, 1)"
CURVATURE = numpy.array([0.2, 4.0])
THETA0 = numpy.array([1.0, 1.0])


def grad_fn(theta):
    return CURVATURE * theta


def add_arguments(parser):
    parser.add_argument("--rule", required=True, help=f"one of: {', '.join(rules.RULES)}")
    parser.add_argument("--steps", type=int, default=2, help="how many steps to show (default 2)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    for name in ("lr", "mu", "nu", "eps"):
        parser.add_argument(f"--{name}", type=float, default=None, help=f"override {name}")
    parser.add_argument("--schedule", choices=["paper", "constant"], default=None)
    parser.add_argument("--eps-placement", dest="eps_placement", choices=["inside", "outside"], default=None)


def compute(args) -> dict:
    try:
        module = rules.get(args.rule)
    except rules.UnknownRuleError as e:
        raise CLIError(str(e)) from None
    if args.steps < 1:
        raise CLIError(f"--steps {args.steps}; expected an integer >= 1")
    given = {k: getattr(args, k) for k in ("lr", "mu", "nu", "eps", "schedule", "eps_placement")}
    try:
        hp = rules.make_hparams(module, **given)
        steps = trace_steps(args.rule, grad_fn, THETA0.copy(), args.steps, **given)
    except (ValueError, TypeError) as e:
        raise CLIError(str(e)) from None
    hparams = {k: v for k, v in hp.describe().items() if k in module.HPARAMS}
    return {
        "rule": args.rule,
        "paper": module.ALGORITHM,
        "problem": PROBLEM,
        "theta0": THETA0.tolist(),
        "hparams": hparams,
        "box": [{"symbol": key, "line": text} for key, text in module.BOX],
        "steps": [_plain(step) for step in steps],
    }


def _plain(step: dict) -> dict:
    return {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in step.items()}


def _fmt(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f"{v: .9g}" for v in value) + "]"
    return f"{value:.9g}"


def run(args) -> int:
    result = compute(args)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    hp = ", ".join(f"{k} = {v}" for k, v in result["hparams"].items())
    print(f"{result['rule']} ({result['paper']}) on {result['problem']}")
    print(f"hyper-parameters: {hp}")
    width = max(len(b["line"]) for b in result["box"])
    for step in result["steps"]:
        scalars = "   ".join(f"{name} = {step[key]:.9g}" for key, name in
                              (("mu_t", "μ_t"), ("mu_next", "μ_{t+1}")) if key in step)
        print(f"\nstep t = {step['t']}" + (f"   ({scalars})" if scalars else ""))
        for b in result["box"]:
            if b["symbol"] in step:
                print(f"  {b['line']:<{width}}  = {_fmt(step[b['symbol']])}")
    return 0
