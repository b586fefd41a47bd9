r"""Verdicts from paired seeds: is rule A better than rule B, and how sure can we be?

A claim "A beats B" (lower metric is better everywhere in this package) is judged from the per-seed
differences :math:`d_s = A_s - B_s` over the seeds where both runs finished. Both rules see the same seeds, so
the same initialisation and the same data order: pairing removes what the seed does to both.

The interval is Student's t, two-sided 95 %:

.. math:: \bar d \pm t_{0.975,\,n-1}\, s_d / \sqrt{n}

and the test is the paired t-test of :math:`\bar d = 0` (its two-sided p-value is reported beside it). The
verdict:

* **supported** — the whole interval lies below 0 (A is better);
* **not supported** — the whole interval lies above 0 (B is better);
* **inconclusive** — the interval contains 0, or fewer than :data:`MIN_SEEDS` seeds were paired.

Each interval is a 95 % interval on its own: a claim made of many pairs is not corrected for multiple
comparisons, which ``claims.md`` says. A pre-registered plan (:mod:`.plan`) corrects its primary family with
:func:`holm` and gives each comparison's interval at the level Holm tested it at (:func:`interval`).

The t quantile is computed exactly, without SciPy, from the closed form of Student's t distribution for an
integer number of degrees of freedom (Abramowitz & Stegun 26.7.3–26.7.4) and bisection.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"
#: Fewer paired seeds than this: always inconclusive.
MIN_SEEDS = 3
CONFIDENCE = 0.95


def t_central_probability(t: float, df: int) -> float:
    r""":math:`P(|T| < t)` for Student's t with ``df`` (a positive integer) degrees of freedom, A&S 26.7.3/4."""
    if df < 1 or int(df) != df:
        raise ValueError(f"df={df!r}; expected a positive integer")
    theta = math.atan(abs(t) / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2 == 1:
        total, term = 0.0, math.cos(theta)
        for k in range(1, (df - 1) // 2 + 1):  # cos θ (1 + 2/3 cos²θ + 2·4/(3·5) cos⁴θ + …)
            total += term
            term *= c2 * (2 * k) / (2 * k + 1)
        return min(1.0, 2.0 / math.pi * (theta + s * total) if df > 1 else 2.0 * theta / math.pi)
    total, term = 0.0, 1.0
    for k in range(1, df // 2 + 1):  # 1 + 1/2 cos²θ + 1·3/(2·4) cos⁴θ + …
        total += term
        term *= c2 * (2 * k - 1) / (2 * k)
    return min(1.0, s * total)  # the series can round a hair above 1 far in the tail


def t_quantile(confidence: float, df: int) -> float:
    """The two-sided critical value: ``t`` with :math:`P(|T| < t) = ` ``confidence``."""
    lo, hi = 0.0, 1.0
    while t_central_probability(hi, df) < confidence:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_central_probability(mid, df) < confidence else (lo, mid)
    return (lo + hi) / 2


@dataclass(frozen=True)
class Paired:
    """The paired comparison of A and B: differences A − B per seed, their mean, interval, t and p."""

    seeds: tuple
    differences: tuple
    mean: float | None
    low: float | None
    high: float | None
    t: float | None
    p: float | None
    verdict: str

    def describe(self, digits: int = 3) -> str:
        diffs = ", ".join(f"{s}: {_g(d, digits)}" for s, d in zip(self.seeds, self.differences, strict=True))
        text = f"differences A−B per seed [{diffs or 'none'}]"
        if self.low is None:
            return text + f"; {len(self.differences)} paired seed(s) < {MIN_SEEDS}, no interval"
        return (text + f"; mean {_g(self.mean, digits)}, 95 % t interval [{_g(self.low, digits)}, "
                f"{_g(self.high, digits)}], paired t = {_g(self.t, 3)}, p = {_g(self.p, 2)} (n = {len(self.seeds)})")


def _g(x, digits):
    return "–" if x is None else f"{x:.{digits}g}"


def paired(a: dict, b: dict) -> Paired:
    """Compare ``a`` and ``b`` (seed → metric, lower is better; a missing seed is a run that did not finish)."""
    seeds = tuple(sorted(set(a) & set(b)))
    diffs = tuple(float(a[s]) - float(b[s]) for s in seeds)
    n = len(diffs)
    if n == 0:
        return Paired(seeds, diffs, None, None, None, None, None, INCONCLUSIVE)
    mean = statistics.fmean(diffs)
    if n < MIN_SEEDS:
        return Paired(seeds, diffs, mean, None, None, None, None, INCONCLUSIVE)
    se = statistics.stdev(diffs) / math.sqrt(n)
    half = t_quantile(CONFIDENCE, n - 1) * se
    low, high = mean - half, mean + half
    if se == 0:
        t, p = (0.0, 1.0) if mean == 0 else (math.copysign(math.inf, mean), 0.0)
    else:
        t = mean / se
        p = 1.0 - t_central_probability(t, n - 1)
    verdict = SUPPORTED if high < 0 else NOT_SUPPORTED if low > 0 else INCONCLUSIVE
    return Paired(seeds, diffs, mean, low, high, t, p, verdict)


def all_of(verdicts) -> str:
    """A claim made of several pairs that must all hold: supported when every one is, not supported when any
    one is contradicted, else inconclusive."""
    verdicts = list(verdicts)
    if verdicts and all(v == SUPPORTED for v in verdicts):
        return SUPPORTED
    return NOT_SUPPORTED if NOT_SUPPORTED in verdicts else INCONCLUSIVE


def any_of(verdicts) -> str:
    """At least one of several pairs holds: supported when one is, not supported when all are contradicted."""
    verdicts = list(verdicts)
    if SUPPORTED in verdicts:
        return SUPPORTED
    return NOT_SUPPORTED if verdicts and all(v == NOT_SUPPORTED for v in verdicts) else INCONCLUSIVE


def most_of(verdicts) -> str:
    """"Generally": supported when more than half are, not supported when more than half are contradicted."""
    verdicts = list(verdicts)
    if sum(v == SUPPORTED for v in verdicts) * 2 > len(verdicts):
        return SUPPORTED
    if sum(v == NOT_SUPPORTED for v in verdicts) * 2 > len(verdicts):
        return NOT_SUPPORTED
    return INCONCLUSIVE


def interval(p: Paired, confidence: float) -> tuple[float, float] | None:
    """The two-sided Student-t interval of ``p``'s mean difference at ``confidence`` (None without one)."""
    if p.low is None:
        return None
    n = len(p.differences)
    se = statistics.stdev(p.differences) / math.sqrt(n)
    half = t_quantile(confidence, n - 1) * se
    return p.mean - half, p.mean + half


def holm(pvalues, alpha: float = 1 - CONFIDENCE) -> list[dict]:
    r"""Holm–Bonferroni (Holm 1979) over the family ``pvalues``, in their order: for each, the adjusted p
    :math:`\max_{j \le i} \min(1, (m - j + 1)\, p_{(j)})` (:math:`p_{(j)}` sorted ascending), whether it is
    rejected at family-wise ``alpha``, and ``level``: the α it was tested at, :math:`\alpha / (m - k + 1)`
    with :math:`k` its step, or, after the first step that is not rejected, that step's (so an interval at
    1 − ``level`` excludes 0 exactly when Holm rejects). An empty family gives an empty list: nothing
    compared, nothing rejected."""
    pvalues = [float(p) for p in pvalues]
    if any(not 0 <= p <= 1 for p in pvalues):
        raise ValueError(f"p-values {pvalues}; expected numbers in [0, 1]")
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    out: list[dict] = [{} for _ in pvalues]
    running, stopped_at = 0.0, None
    for step, i in enumerate(order, start=1):
        running = max(running, min(1.0, (m - step + 1) * pvalues[i]))
        if stopped_at is None and pvalues[i] > alpha / (m - step + 1):
            stopped_at = step
        level = alpha / (m - (step if stopped_at is None else stopped_at) + 1)
        out[i] = {"p": running, "rejected": stopped_at is None, "level": level, "step": step}
    return out
