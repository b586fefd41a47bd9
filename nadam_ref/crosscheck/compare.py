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

import inspect
import math
import numbers
from dataclasses import dataclass

import numpy

from .. import rules
from ..backend import array_module, is_array, to_host
from ..handover import handed
from ..trajectory import gradient_like
from . import problems


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

    @property
    def compared(self) -> bool:
        """Whether any line of the box was compared at all (not with ``steps=0``)."""
        return bool(self.checked)

    def __bool__(self):
        return self.agree and self.compared  # agreement over nothing is no pass

    def __str__(self):
        if not self.compared:
            return f"{self.rule}: nothing compared ({self.steps} steps): not a pass"
        if self.agree:
            return (f"{self.rule}: agrees with the reference for {self.steps} steps "
                    f"(checked {', '.join(self.checked)}; largest relative difference {self.rel:.3g})")
        return (f"{self.rule}: parts from the reference at step {self.step}, line {self.symbol!r}: "
                f"{self.line}\n  expected {_short(self.expected)}\n  got      {_short(self.got)}\n"
                f"  relative difference {self.rel:.3g}")


def _short(value) -> str:
    return numpy.array2string(numpy.asarray(value), precision=17, max_line_width=200)


def _host(value, what: str) -> numpy.ndarray:
    """``value`` as a NumPy array: NumPy/CuPy arrays, numbers, and anything with ``__array__`` (torch on the CPU,
    JAX) or ``__dlpack__``; a TypeError naming ``what`` otherwise."""
    if is_array(value):
        return to_host(value)
    try:
        out = numpy.asarray(value)
    except Exception:  # e.g. a torch tensor that requires grad, or one on a GPU: try DLPack
        try:
            out = numpy.from_dlpack(value)
        except Exception:
            out = None
    if out is None or out.dtype.kind not in "fiub":
        raise TypeError(f"{what} is a {type(value).__name__}; expected an array of numbers (NumPy, CuPy, or an "
                        "object with __array__ or __dlpack__ such as a CPU torch tensor or a JAX array)")
    return out


def _gap(expected, got) -> float:
    """Normwise relative difference over the finite entries; inf for a shape mismatch or where one side is NaN or
    ±inf and the other is not the same (NaN at the same places on both sides agrees)."""
    expected, got = numpy.asarray(expected, "float64"), numpy.asarray(got, "float64")
    if expected.shape != got.shape:
        return numpy.inf
    finite = numpy.isfinite(expected)
    same_nonfinite = (numpy.isnan(expected) & numpy.isnan(got)) | (~finite & (expected == got))
    if not numpy.array_equal(finite, numpy.isfinite(got)) or not same_nonfinite[~finite].all():
        return numpy.inf
    expected, got = expected[finite], got[finite]
    scale = max(numpy.abs(expected).max(initial=0.0), numpy.abs(got).max(initial=0.0), numpy.finfo("float64").tiny)
    return float(numpy.abs(expected - got).max(initial=0.0) / scale)


SIGNATURE = "step_fn(theta, g, state) -> (theta, state) or (theta, state, intermediates)"


def compare(step_fn, rule: str, grad_fn=None, theta0=None, steps: int = 20, rtol: float = 1e-12,
            **hparams) -> Comparison:
    """Run ``step_fn`` next to the reference ``rule`` for ``steps`` steps; see the module docstring.

    ``grad_fn`` and ``theta0`` default to the ``quadratic`` cross-check problem; ``hparams`` are those the rule
    reads (``lr``, ``mu``, ``nu``, ``eps``, ``schedule``, ``eps_placement``, ...) and must describe what your
    function is meant to compute. The gradient is taken once a step, at the reference's θ, and both sides get
    their own copy of it and of θ₀ (:mod:`nadam_ref.handover`), so a function that works in place or replays
    recorded gradients is judged fairly. ``rtol`` is a number >= 0.
    """
    module = rules.get(rule)
    hp = rules.make_hparams(module, **hparams)
    rtol = _check_rtol(rtol)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps={steps!r}; expected an integer >= 0")
    _check_signature(step_fn)
    if grad_fn is None or theta0 is None:
        problem = problems.get("quadratic")
        grad_fn = grad_fn or problem.grad
        theta0 = problem.start(numpy) if theta0 is None else theta0
    if not is_array(theta0):
        raise TypeError(f"theta0 must be a NumPy or CuPy array, got {type(theta0).__name__}")
    xp = array_module(theta0)
    needs_fn = module.SPEC.needs_grad_fn
    theta_ref, state_ref = xp.array(theta0, copy=True), rules.init_state(module, theta0, hp)
    theta, state, worst, seen = handed(theta0), {}, 0.0, []
    for t in range(1, steps + 1):
        if needs_fn:
            asked = {}
            theta_ref, state_ref, trace = module.step(theta_ref, _recording(grad_fn, asked), state_ref, hp)
            given = _shared_at_lookahead(grad_fn, asked, rtol)
        else:
            g = gradient_like(grad_fn(handed(theta_ref)), theta_ref)
            theta_ref, state_ref, trace = module.step(theta_ref, g, state_ref, hp)
            given = handed(g)
        theta, state, mine = _unpack(step_fn(theta, given, state), t)
        mine = {**mine, "theta": theta}
        if not needs_fn:
            mine.setdefault("g", trace["g"])
        for symbol, line in rules.box(module, hp):
            if symbol not in mine or symbol not in trace:
                continue
            if symbol not in seen:
                seen.append(symbol)
            got = _host(mine[symbol], f"step_fn's {symbol!r} at step {t}")
            rel = _gap(to_host(trace[symbol]), got)
            if not rel <= rtol:
                return Comparison(rule, steps, False, t, symbol, line, to_host(trace[symbol]), got, rel, tuple(seen))
            worst = max(worst, rel)
    return Comparison(rule, steps, True, rel=worst, checked=tuple(seen))


def _check_rtol(rtol) -> float:
    if isinstance(rtol, bool) or not isinstance(rtol, numbers.Real) or not (math.isfinite(rtol) and rtol >= 0):
        raise ValueError(f"rtol={rtol!r}; expected a finite number >= 0")
    return float(rtol)


def _check_signature(step_fn):
    if not callable(step_fn):
        raise TypeError(f"step_fn is a {type(step_fn).__name__}; expected a function {SIGNATURE}")
    try:
        inspect.signature(step_fn).bind(None, None, None)
    except TypeError:
        name = getattr(step_fn, "__name__", type(step_fn).__name__)
        raise TypeError(f"step_fn {name}{inspect.signature(step_fn)} does not take (theta, g, state); expected "
                        f"{SIGNATURE}") from None
    except ValueError:  # a builtin without a signature: let the call decide
        pass


def _recording(grad_fn, asked: dict):
    """``grad_fn`` for the reference's look-ahead step, keeping the point and the gradient it gave."""
    def at(point):
        asked["point"] = point
        asked["g"] = gradient_like(grad_fn(handed(point)), point)
        return asked["g"]
    return at


def _shared_at_lookahead(grad_fn, asked: dict, rtol: float):
    """The gradient function handed to the user's look-ahead step: the reference's gradient (a copy) when the
    user asks at the reference's look-ahead point (within ``rtol``), so the gradient function is called once; a
    call of its own elsewhere."""
    def at(point):
        if _gap(to_host(asked["point"]), _host(point, "the look-ahead point")) <= rtol:
            return handed(asked["g"])
        return grad_fn(point)
    return at


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
