"""Golden vectors: every rule × problem × schedule/ε variant, the first K iterates with every intermediate.

Which variants a rule's cases hold is its declaration's business (:attr:`nadam_ref.rules.RuleSpec.golden`,
enumerated by :func:`nadam_ref.rules.golden_variants`): nothing here lists options or their values.

The file is plain JSON (numbers written with 17 significant digits, so they read back to the same float64 in
any language); ``FORMAT`` below and the README next to this file describe it. ``build`` makes the content,
``write`` stores it atomically, ``differences`` compares two of them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy

from .. import rules
from .._io import atomic_write_text
from ..trajectory import trace_steps
from . import problems

COMMITTED = Path(__file__).with_name("golden_vectors.json")
STEPS = 8
VERSION = 1

FORMAT = (
    "cases[i] = {rule, algorithm, problem, hparams, theta0, box, steps}; steps[k] holds step t = k + 1: "
    "the scalars t, mu_t, mu_next (where the rule uses them) and one list per intermediate, keyed by the paper's "
    "symbols as in box (g, g_hat, m, m_hat, n, n_hat, m_bar, lookahead, update, theta). State starts at zero "
    "(AdaGrad's n at n0), ∏μ_i is the running product of mu_t, ν^t is nu**t. Problems give the gradient: "
    "quadratic ∇f = 2·a·θ; rosenbrock ∇f = (−2(1−x) − 400x(y−x²), 200(y−x²)). hparams.schedule: 'paper' "
    "μ_t = μ(1 − ½·0.96^(t/250)), 'keras' μ_t = μ(1 − ½·0.96^t), 'constant' μ_t = μ. hparams.eps_placement: "
    "'inside' √(n̂+ε) (for the max rules: n + ε), 'outside' √n̂ + ε, 'hat' √n̂ + ε/√(1−ν^t), 'max' "
    "n = max(νn, |g| + ε) with no ε in the denominator. eps_root is added under the root; n0 starts AdaGrad's n."
)


def written_hparams(rule: str) -> tuple[str, ...]:
    """The hyper-parameters a case of ``rule`` lists: every one the rule reads, except options the file does not
    vary (those stay at their defaults, the box as printed, and the file's layout stays as it was)."""
    spec = rules.spec(rule)
    return tuple(k for k in spec.hparams if k not in spec.options or k in spec.golden)


def build(steps: int = STEPS, problem_names=None) -> dict:
    """The golden vectors as a JSON-ready dict."""
    problem_names = list(problem_names or problems.PROBLEMS)
    cases = []
    for rule in rules.RULES:
        module = rules.get(rule)
        for name in problem_names:
            problem = problems.get(name)
            for variant in rules.golden_variants(rule):
                hp = rules.make_hparams(module, lr=problem.lr(module), **variant)
                hparams = {k: v for k, v in hp.describe().items() if k in written_hparams(rule)}
                theta0 = problem.start(numpy)
                trace = trace_steps(rule, problem.grad, theta0, steps, **hparams)
                cases.append({"rule": rule, "algorithm": module.ALGORITHM, "problem": name, "hparams": hparams,
                              "theta0": theta0.tolist(),
                              "box": [{"symbol": s, "line": text} for s, text in rules.box(module, hp)],
                              "steps": [{k: _plain(v) for k, v in step.items()} for step in trace]})
    return {
        "format": "nadam_ref golden vectors",
        "version": VERSION,
        "paper": "Dozat (2016), Incorporating Nesterov Momentum into Adam",
        "layout": FORMAT,
        "problems": {n: {"formula": problems.get(n).formula, "theta0": list(problems.get(n).theta0),
                         "params": {k: list(v) for k, v in problems.get(n).params.items()}}
                     for n in problem_names},
        "cases": cases,
    }


def _plain(value):
    return value.tolist() if hasattr(value, "tolist") else value


def dumps(vectors: dict) -> str:
    """One case per line: small diffs when a rule changes, and a file any JSON reader takes."""
    head = {k: v for k, v in vectors.items() if k != "cases"}
    lines = [json.dumps(c, ensure_ascii=False, allow_nan=False) for c in vectors["cases"]]
    text = json.dumps(head, ensure_ascii=False, indent=1)
    return text[:-2] + ',\n "cases": [\n' + ",\n".join(lines) + "\n ]\n}\n"


def write(path, vectors: dict) -> int:
    """Write ``vectors`` to ``path`` atomically; returns the size in bytes."""
    return atomic_write_text(path, dumps(vectors))


def load(path=COMMITTED) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def differences(expected, got, rtol: float = 1e-13, where: str = "") -> list[str]:
    """Where two vector files differ: structure exactly, numbers within ``rtol`` (libm's pow may differ by an ulp
    between platforms)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        if expected.keys() != got.keys():
            return [f"{where or '/'}: keys {sorted(expected)} != {sorted(got)}"]
        return [d for k in expected for d in differences(expected[k], got[k], rtol, f"{where}/{k}")]
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return [f"{where}: length {len(expected)} != {len(got)}"]
        return [d for i, (a, b) in enumerate(zip(expected, got, strict=True))
                for d in differences(a, b, rtol, f"{where}/{i}")]
    if isinstance(expected, float) or isinstance(got, float):
        if isinstance(expected, bool) or isinstance(got, bool) or not math.isclose(expected, got, rel_tol=rtol,
                                                                                   abs_tol=1e-300):
            return [f"{where}: {expected!r} != {got!r}"]
        return []
    return [] if expected == got else [f"{where}: {expected!r} != {got!r}"]
