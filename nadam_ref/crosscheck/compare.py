"""``compare``: check your own update function against the reference, line by line of the box.

Your function takes one step::

    step_fn(theta, g, state) -> (theta, state)                  # or
    step_fn(theta, g, state) -> (theta, state, intermediates)

``state`` is yours: an empty dict before the first step, then whatever you returned (count steps in it).
``intermediates`` is a dict keyed by the paper's symbols as nadam_ref names them (``g_hat``, ``m``, ``m_hat``,
``n``, ``n_hat``, ``m_bar``; ``nadam-ref rules --boxes`` lists each rule's). For ``nag_lookahead`` you get the
gradient *function* in place of ``g``. Both sides run from the same θ₀ on the same gradient function; the first
step where a quantity differs by more than ``rtol`` (normwise relative) is reported, naming the first box line
that differs, so a wrong ε or a wrong μ index shows up where it happens rather than at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

from .. import rules
from ..backend import to_host
from ..trajectory import iterate
from . import problems
from .problems import checked_gradient


@dataclass
class Comparison:
    """The verdict: ``agree``, or where the two first part."""

    rule: str
    steps: int
    agree: bool
    step: int | None = None
    symbol: str | None = None
    line: str | None = None
    expected: object = None
    got: object = None
    rel: float = 0.0
    checked: tuple = ()

    def __bool__(self):
        return self.agree

    def __str__(self):
        if self.agree:
            return (f"{self.rule}: agrees with the reference for {self.steps} steps "
                    f"(checked {', '.join(self.checked)}; largest relative difference {self.rel:.3g})")
        return (f"{self.rule}: parts from the reference at step {self.step}, line {self.symbol!r}: "
                f"{self.line}\n  expected {_short(self.expected)}\n  got      {_short(self.got)}\n"
                f"  relative difference {self.rel:.3g}")


def _short(value) -> str:
    return numpy.array2string(numpy.asarray(value), precision=17, max_line_width=200)


def _gap(expected, got) -> float:
    """Normwise relative difference; inf for a shape mismatch or a non-finite value."""
    expected, got = numpy.asarray(to_host(expected), "float64"), numpy.asarray(to_host(got), "float64")
    if expected.shape != got.shape or not numpy.isfinite(got).all():
        return numpy.inf
    scale = max(numpy.abs(expected).max(initial=0.0), numpy.abs(got).max(initial=0.0), numpy.finfo("float64").tiny)
    return float(numpy.abs(expected - got).max(initial=0.0) / scale)


def compare(step_fn, rule: str, grad_fn=None, theta0=None, steps: int = 20, rtol: float = 1e-12,
            **hparams) -> Comparison:
    """Run ``step_fn`` next to the reference ``rule`` for ``steps`` steps; see the module docstring.

    ``grad_fn`` and ``theta0`` default to the ``quadratic`` cross-check problem; ``hparams`` are nadam_ref's
    (``lr``, ``mu``, ``nu``, ``eps``, ``schedule``, ``eps_placement``, ...) and must describe what your function
    is meant to compute.
    """
    module = rules.get(rule)
    if grad_fn is None or theta0 is None:
        problem = problems.get("quadratic")
        grad_fn = grad_fn or problem.grad
        theta0 = problem.start(numpy) if theta0 is None else theta0
    needs_fn = module.SPEC.needs_grad_fn
    theta, state, worst, seen = theta0, {}, 0.0, []
    for t, (_, trace) in enumerate(iterate(rule, grad_fn, theta0, steps, **hparams), start=1):
        given = grad_fn if needs_fn else checked_gradient(grad_fn, theta)
        theta, state, mine = _unpack(step_fn(theta, given, state), t)
        mine = {**mine, "theta": theta}
        if not needs_fn:
            mine.setdefault("g", given)
        for symbol, line in module.BOX:
            if symbol not in mine or symbol not in trace:
                continue
            if symbol not in seen:
                seen.append(symbol)
            rel = _gap(trace[symbol], mine[symbol])
            if not rel <= rtol:
                return Comparison(rule, steps, False, t, symbol, line, to_host(trace[symbol]), to_host(mine[symbol]),
                                  rel, tuple(seen))
            worst = max(worst, rel)
    return Comparison(rule, steps, True, rel=worst, checked=tuple(seen))


def _unpack(out, t):
    if not isinstance(out, tuple) or len(out) not in (2, 3):
        raise TypeError(f"step_fn returned {type(out).__name__} at step {t}; expected (theta, state) or "
                        "(theta, state, intermediates)")
    theta, state, *rest = out
    mine = rest[0] if rest else {}
    if not isinstance(mine, dict):
        raise TypeError(f"step_fn's intermediates at step {t} are a {type(mine).__name__}; expected a dict keyed "
                        "by the paper's symbols")
    return theta, state, mine
