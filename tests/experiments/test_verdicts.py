"""Paired verdicts from hand-made per-seed numbers, where the interval can be worked out by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nadam_ref.experiments import verdicts

# t_{0.975, df} from any printed table
T_TABLE = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 5: 2.5706, 9: 2.2622, 10: 2.2281, 30: 2.0423}


@pytest.mark.parametrize("df,expected", sorted(T_TABLE.items()))
def test_t_quantile_matches_the_printed_table(df, expected):
    assert verdicts.t_quantile(0.95, df) == pytest.approx(expected, abs=1e-4)


@given(st.floats(0.01, 50), st.integers(1, 40))
def test_central_probability_is_a_probability_rising_in_t(t, df):
    p = verdicts.t_central_probability(t, df)
    assert 0 < p <= 1  # 1.0 in floating point far in the tail
    assert verdicts.t_central_probability(t * 1.1, df) >= p - 1e-15
    if df >= 3:  # heavier tails reach past the integration range
        assert p == pytest.approx(1 - 2 * _upper_tail(t, df), abs=1e-4)


def _upper_tail(t, df, steps=20000):
    """P(T > t) by the midpoint rule on the density, an independent check of the closed form."""
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    top = t + 400.0
    h = (top - t) / steps
    return sum(c * (1 + ((t + (i + 0.5) * h) ** 2) / df) ** (-(df + 1) / 2) * h for i in range(steps))


def test_supported_when_the_whole_interval_is_below_zero():
    # A − B = −1.0, −1.1, −0.9: mean −1, sd 0.1, se 0.1/√3; half-width 4.3027 · 0.057735 = 0.2484
    cmp = verdicts.paired({0: 1.0, 1: 2.0, 2: 3.0}, {0: 2.0, 1: 3.1, 2: 3.9})
    assert cmp.verdict == "supported"
    assert cmp.mean == pytest.approx(-1.0)
    assert (cmp.low, cmp.high) == pytest.approx((-1.2484, -0.7516), abs=1e-4)
    assert cmp.t == pytest.approx(-1 / (0.1 / math.sqrt(3)))
    assert "95 % t interval [-1.25, -0.752]" in cmp.describe()
    assert "0: -1" in cmp.describe() and "1: -1.1" in cmp.describe()


def test_not_supported_when_the_whole_interval_is_above_zero():
    cmp = verdicts.paired({0: 3.0, 1: 3.1, 2: 2.9, 3: 3.0}, {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.1})
    assert cmp.verdict == "not supported" and cmp.low > 0


def test_inconclusive_when_the_interval_contains_zero():
    # A − B = −1, −2, −3: mean −2, sd 1, half-width 4.3027/√3 = 2.484 → [−4.484, 0.484]
    cmp = verdicts.paired({0: 0.0, 1: 0.0, 2: 0.0}, {0: 1.0, 1: 2.0, 2: 3.0})
    assert cmp.verdict == "inconclusive"
    assert (cmp.low, cmp.high) == pytest.approx((-4.4841, 0.4841), abs=1e-4)
    assert 0.05 < cmp.p < 0.2


def test_fewer_than_three_seeds_is_inconclusive_however_large_the_margin():
    cmp = verdicts.paired({0: 1.0, 1: 1.0}, {0: 100.0, 1: 100.0})
    assert cmp.verdict == "inconclusive" and cmp.low is None
    assert "2 paired seed(s) < 3" in cmp.describe()


def test_only_seeds_both_rules_finished_are_paired():
    cmp = verdicts.paired({0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}, {0: 2.0, 1: 2.5, 3: 2.2})
    assert cmp.seeds == (0, 1, 3) and cmp.verdict == "supported"
    assert verdicts.paired({0: 1.0}, {1: 2.0}).verdict == "inconclusive"


def test_combining_pairs():
    S, N, I = "supported", "not supported", "inconclusive"
    assert verdicts.all_of([S, S]) == S and verdicts.all_of([S, I]) == I and verdicts.all_of([S, N, I]) == N
    assert verdicts.any_of([I, S]) == S and verdicts.any_of([N, N]) == N and verdicts.any_of([N, I]) == I
    assert verdicts.most_of([S, S, I]) == S and verdicts.most_of([N, N, S]) == N and verdicts.most_of([S, N]) == I
