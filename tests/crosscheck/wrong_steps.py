"""Deliberately wrong step functions (compare()'s signature), each one slip away from a rule of the paper, for
``identify`` to answer "none" and name the rule and the box line where the slip is. The paper's numbers:
μ = 0.99 with the warming schedule, ν = 0.999, ε = 1e-8, η as each rule's default."""

import numpy as np

from nadam_ref.schedules import warming

MU, NU, EPS = 0.99, 0.999, 1e-8


def _moments(state, g, t):
    """The paper's schedule quantities and Nadam's m, n after step t."""
    prod = state.get("prod", 1.0) * warming(t)
    m = MU * state.get("m", 0.0) + (1 - MU) * g
    n = NU * state.get("n", 0.0) + (1 - NU) * g * g
    return prod, m, n


def _nadam(theta, g, state, *, mu_in_m_bar, n_hat_corrected=True, undamped=False, eps_in_n_hat=False):
    t = state.get("t", 0) + 1
    prod, m, n = _moments(state, g, t)
    if undamped:
        m = MU * state.get("m", 0.0) + g
    prod_next = prod * warming(t + 1)
    g_hat, m_hat = g / (1 - prod), m / (1 - prod_next)
    n_hat = n / (1 - NU**t) if n_hat_corrected else n
    if eps_in_n_hat:
        n_hat = (n + EPS) / (1 - NU**t)
    m_bar = (1 - warming(t)) * g_hat + mu_in_m_bar(t) * m_hat
    root = np.sqrt(n_hat) if eps_in_n_hat else np.sqrt(n_hat + EPS)
    theta = theta - 2e-3 * m_bar / root
    return theta, {"t": t, "prod": prod, "m": m, "n": n}, {"g_hat": g_hat, "m": m, "m_hat": m_hat, "n": n,
                                                          "n_hat": n_hat, "m_bar": m_bar}


def nadam_with_mu_t_in_m_bar(theta, g, state):
    """μ_t where the box has μ_{t+1} in m̄ (the classic slip)."""
    return _nadam(theta, g, state, mu_in_m_bar=warming)


def nadam_without_n_hat(theta, g, state):
    """n̂ left uncorrected: n̂ = n."""
    return _nadam(theta, g, state, mu_in_m_bar=lambda t: warming(t + 1), n_hat_corrected=False)


def nadam_undamped_m(theta, g, state):
    """m ← μ m + g: the (1 − μ) dropped."""
    return _nadam(theta, g, state, mu_in_m_bar=lambda t: warming(t + 1), undamped=True)


def nadam_with_eps_in_n_hat(theta, g, state):
    """ε added to n before the bias correction, √((n + ε)/(1 − νᵗ)). (ε inside the root and again outside,
    √(n̂ + ε) + ε, is no slip: it is optax's nadam(eps=ε, eps_root=ε), which identify finds.)"""
    return _nadam(theta, g, state, mu_in_m_bar=lambda t: warming(t + 1), eps_in_n_hat=True)


def adam_off_by_one(theta, g, state):
    """Adam (paper schedule) with m̂ corrected by 1 − ∏_{i≤t+1} μ_i, Nadam's denominator. Its m, m̂, n, n̂ are
    Nadam's under m_decay="scheduled", so that is the variant that agrees longest: it parts at θ, where Nadam
    would add the gradient term (1 − μ_t) ĝ."""
    t = state.get("t", 0) + 1
    mu_t = warming(t)
    prod = state.get("prod", 1.0) * mu_t
    m = mu_t * state.get("m", 0.0) + (1 - mu_t) * g
    m_hat = m / (1 - prod * warming(t + 1))
    n = NU * state.get("n", 0.0) + (1 - NU) * g * g
    n_hat = n / (1 - NU**t)
    theta = theta - 1e-3 * m_hat / np.sqrt(n_hat + EPS)
    return theta, {"t": t, "prod": prod, "m": m, "n": n}, {"m": m, "m_hat": m_hat, "n": n, "n_hat": n_hat}


def momentum_dampened(theta, g, state):
    """Classical momentum with dampening, m ← μ_t m + (1 − μ_t) g (torch's dampening=μ)."""
    t = state.get("t", 0) + 1
    m = warming(t) * state.get("m", 0.0) + (1 - warming(t)) * g
    return theta - 1e-4 * m, {"t": t, "m": m}, {"m": m}


def rmsprop_without_root(theta, g, state):
    """RMSProp dividing by n + ε instead of √(n + ε)."""
    n = NU * state.get("n", 0.0) + (1 - NU) * g * g
    return theta - 1e-3 * g / (n + EPS), {"n": n}, {"n": n}


#: name -> (the variant identify should find nearest, the box line where they should first part, η built in)
EXPECTED = {
    "nadam_with_mu_t_in_m_bar": ("nadam()", "m_bar", 2e-3),
    "nadam_without_n_hat": ("nadam()", "n_hat", 2e-3),
    "nadam_undamped_m": ("nadam()", "m", 2e-3),
    "nadam_with_eps_in_n_hat": ("nadam()", "n_hat", 2e-3),
    "adam_off_by_one": ("nadam(m_decay='scheduled')", "theta", 1e-3),
    "momentum_dampened": ("momentum()", "m", 1e-4),
    "rmsprop_without_root": ("rmsprop()", "theta", 1e-3),
}
