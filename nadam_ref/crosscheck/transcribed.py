"""Published Nadam code that cannot be installed here, transcribed as formulas (in our words, not copied) and run
as step functions with :func:`~nadam_ref.crosscheck.compare`'s signature, so that :func:`identify` can name the
nadam_ref variant each one computes. The table marks these rows "transcribed": the formulas were read from the
source cited, and the library itself was not run.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..backend import array_module


@dataclass(frozen=True)
class Transcription:
    """One published implementation: where it is, under which licence, what it computes, and its step function."""

    library: str
    call: str
    source: str
    licence: str
    formula: str
    defaults: dict  # the implementation's own defaults, in nadam_ref's names
    make: object  # make(lr, mu, nu, eps) -> step_fn(theta, g, state)
    variant: dict  # the nadam_ref variant it computes (identify finds it; tests/crosscheck/test_identify.py)


def dozat_nadam(lr, mu, nu, eps):
    r"""Dozat's ``NadamOptimizer`` (tdozat/Optimization, ``tensorflow/nadam.py``).

    Both moving averages are kept already bias-corrected: :math:`a_t = \beta_t a_{t-1} + (1-\beta_t) b_t` with
    :math:`\beta_t = \beta(1-\beta^{t-1})/(1-\beta^t)` (``optimizer.py``'s ``_dense_moving_average``), which is
    :math:`a_t = \text{EMA}_t / (1-\beta^t)`. With :math:`\mu_t = \mu(1-\mu^{t-1})/(1-\mu^t)` and
    :math:`\mu_{t+1} = \mu(1-\mu^t)/(1-\mu^{t+1})` the step is
    :math:`\theta \mathrel{-}= \eta(\mu_{t+1} a^m_t + (1-\mu_t) g_t) / \sqrt{a^v_t + \varepsilon}`.
    """

    def step(theta, g, state):
        t = state.get("t", 0) + 1
        decay_m = mu * (1 - mu ** (t - 1)) / (1 - mu**t)
        decay_v = nu * (1 - nu ** (t - 1)) / (1 - nu**t)
        m_avg = decay_m * state.get("m_avg", 0.0) + (1 - decay_m) * g
        v_avg = decay_v * state.get("v_avg", 0.0) + (1 - decay_v) * g * g
        mu_t = decay_m
        mu_next = mu * (1 - mu**t) / (1 - mu ** (t + 1))
        m_bar = mu_next * m_avg + (1 - mu_t) * g
        theta = theta - lr * m_bar / array_module(v_avg).sqrt(v_avg + eps)
        return theta, {"t": t, "m_avg": m_avg, "v_avg": v_avg}, {"m_bar": m_bar, "n_hat": v_avg}

    return step


def tf1_contrib_nadam(lr, mu, nu, eps):
    r"""TensorFlow 1's ``tf.contrib.opt.NadamOptimizer``: ``ApplyAdam`` with ``use_nesterov=True``.

    :math:`m \leftarrow \mu m + (1-\mu) g`, :math:`v \leftarrow \nu v + (1-\nu) g^2`,
    :math:`\theta \mathrel{-}= \eta\frac{\sqrt{1-\nu^t}}{1-\mu^t}\,\frac{\mu m + (1-\mu) g}{\sqrt v + \varepsilon}`:
    constant μ, the look-ahead term divided by :math:`1-\mu^t` (not :math:`1-\mu^{t+1}`), and Adam's ε̂ form.
    """

    def step(theta, g, state):
        t = state.get("t", 0) + 1
        m = mu * state.get("m", 0.0) + (1 - mu) * g
        v = nu * state.get("v", 0.0) + (1 - nu) * g * g
        step_size = lr * (1 - nu**t) ** 0.5 / (1 - mu**t)
        theta = theta - step_size * (mu * m + (1 - mu) * g) / (array_module(v).sqrt(v) + eps)
        return theta, {"t": t, "m": m, "v": v}, {"m": m, "n": v}

    return step


TRANSCRIPTIONS = (
    Transcription(
        "Dozat's own TensorFlow code", "NadamOptimizer(lr, mu, ups, eps)",
        "github.com/tdozat/Optimization, tensorflow/nadam.py and optimizer.py at commit "
        "d1dccb0db0e37561b246fce89bbadac1e5d144c0", "Apache-2.0 (tensorflow/LICENSE)",
        "a^m, a^v: moving averages kept bias-corrected;  μ_t = μ(1 − μ^{t−1})/(1 − μᵗ);  "
        "θ ← θ − η (μ_{t+1} a^m + (1 − μ_t) g) / √(a^v + ε)",
        {"lr": 0.002, "mu": 0.9, "nu": 0.9, "eps": 1e-16}, dozat_nadam, {"schedule": "constant"}),
    Transcription(
        "TensorFlow 1 contrib", "tf.contrib.opt.NadamOptimizer(lr, beta1, beta2, epsilon)",
        "github.com/tensorflow/tensorflow, tensorflow/contrib/opt/python/training/nadam_optimizer.py at commit "
        "ae158ddf8485d2e658510d0a5dbaabb59b44f25a (ApplyAdam with use_nesterov=True)", "Apache-2.0",
        "m ← μ m + (1 − μ) g;  v ← ν v + (1 − ν) g²;  θ ← θ − η √(1 − νᵗ)/(1 − μᵗ) · (μ m + (1 − μ) g) / (√v + ε)",
        {"lr": 0.001, "mu": 0.9, "nu": 0.999, "eps": 1e-8}, tf1_contrib_nadam,
        {"schedule": "constant", "eps_placement": "hat", "m_hat_correction": "current"}),
)
