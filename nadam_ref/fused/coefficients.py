r"""The scalars of one fused step, computed once on the host for both backends.

A rule's box divides and multiplies whole arrays by scalars: :math:`1/(1-\prod\mu_i)`, :math:`1/(1-\nu^t)`,
:math:`\eta`. The fused kernels fold those scalars into one or two coefficients, so each element is touched by
as few operations as possible. This module computes the coefficients, in Python floats (float64), from the very
same schedule quantities the reference rules use (:func:`nadam_ref.rules._common.momentum_schedule`), so the
step count and the running product :math:`\prod\mu_i` in the state are bit-identical to the reference.

Folding the bias correction :math:`\hat n = n / b` with :math:`b = 1-\nu^t` into the root (why the kernels need
no :math:`\hat n` array):

.. math::
   \frac{\eta\, x}{\sqrt{n/b + \varepsilon}} = \frac{\eta\sqrt b\, x}{\sqrt{n + \varepsilon b}}
   \qquad
   \frac{\eta\, x}{\sqrt{n/b} + \varepsilon} = \frac{\eta\sqrt b\, x}{\sqrt n + \varepsilon\sqrt b}

so every L2 rule's update is :math:`(c_g\,g + c_m\,m) / \mathrm{root}(n, e)` with ``root`` either
:math:`\sqrt{n + e}` (``eps_placement="inside"``) or :math:`\sqrt n + e` (``"outside"``). Each function returns
``(scalars, coef)``: the new ``t`` and ``mu_prod`` of the state, and the coefficients by name.
"""

from __future__ import annotations

import math

from ..rules._common import HParams, m_decay, momentum_schedule


def _l2_root(hp: HParams, bias: float) -> tuple[float, float]:
    """(√b, e): the factor that multiplies the numerator, and the ε that the root adds (see the module doc)."""
    if hp.eps_placement == "inside":
        return math.sqrt(bias), hp.eps * bias
    return math.sqrt(bias), hp.eps * math.sqrt(bias)


def gd(state, hp):
    return {"t": state["t"] + 1}, {"lr": hp.lr}


def momentum(state, hp):
    t, mu_t, _, mu_prod, _ = momentum_schedule(state, hp)
    return {"t": t, "mu_prod": mu_prod}, {"mu_t": mu_t, "lr": hp.lr}


#: Algorithm 3 after its gradient: m ← μ_t m + g; θ ← θ − η m — momentum's update on the look-ahead gradient.
nag_lookahead = momentum


def nag(state, hp):
    t, mu_t, mu_next, mu_prod, _ = momentum_schedule(state, hp)
    return {"t": t, "mu_prod": mu_prod}, {"mu_t": mu_t, "mu_next": mu_next, "lr": hp.lr}


def adagrad(state, hp):
    sqrt_b, e = _l2_root(hp, 1.0)
    return {"t": state["t"] + 1}, {"c_g": hp.lr * sqrt_b, "e": e}


def rmsprop(state, hp):
    t = state["t"] + 1
    sqrt_b, e = _l2_root(hp, 1 - hp.nu**t if hp.bias_correction else 1.0)
    return {"t": t}, {"nu": hp.nu, "one_minus_nu": 1 - hp.nu, "c_g": hp.lr * sqrt_b, "e": e}


def adam(state, hp):
    s = momentum_schedule(state, hp)
    decay = m_decay(s, hp)  # the kernels' "mu_t" is what m decays with: μ_t, or μ under m_decay="constant"
    sqrt_b, e = _l2_root(hp, 1 - hp.nu**s.t)
    return {"t": s.t, "mu_prod": s.mu_prod}, {
        "mu_t": decay.mu, "one_minus_mu_t": 1 - decay.mu, "nu": hp.nu, "one_minus_nu": 1 - hp.nu,
        "c_m": hp.lr * sqrt_b / (1 - decay.prod), "e": e}


def adamax(state, hp):
    s = momentum_schedule(state, hp)
    decay = m_decay(s, hp)
    return {"t": s.t, "mu_prod": s.mu_prod}, {
        "mu_t": decay.mu, "one_minus_mu_t": 1 - decay.mu, "nu": hp.nu, "c_m": hp.lr / (1 - decay.prod),
        "e": hp.eps}


def maxaprop(state, hp):
    return {"t": state["t"] + 1}, {"nu": hp.nu, "c_g": hp.lr, "e": hp.eps}


def _nesterov(mu_t, mu_next, mu_prod, mu_prod_next, scale):
    r"""Nadam's :math:`\eta\bar m = c_g\, g + c_m\, m` with :math:`\hat g = g/(1-\prod_{i\le t}\mu_i)` and
    :math:`\hat m = m/(1-\prod_{i\le t+1}\mu_i)`; ``scale`` is :math:`\eta` times the root's factor."""
    return scale * (1 - mu_t) / (1 - mu_prod), scale * mu_next / (1 - mu_prod_next)


def nadam(state, hp):
    t, mu_t, mu_next, mu_prod, mu_prod_next = s = momentum_schedule(state, hp)
    sqrt_b, e = _l2_root(hp, 1 - hp.nu**t)
    c_g, c_m = _nesterov(mu_t, mu_next, mu_prod, mu_prod_next, hp.lr * sqrt_b)
    mu = m_decay(s, hp).mu  # what m decays with: μ, or μ_t under m_decay="scheduled"
    return {"t": t, "mu_prod": mu_prod}, {
        "mu": mu, "one_minus_mu": 1 - mu, "nu": hp.nu, "one_minus_nu": 1 - hp.nu, "c_g": c_g, "c_m": c_m, "e": e}


def nadamax(state, hp):
    t, mu_t, mu_next, mu_prod, mu_prod_next = s = momentum_schedule(state, hp)
    c_g, c_m = _nesterov(mu_t, mu_next, mu_prod, mu_prod_next, hp.lr)
    mu = m_decay(s, hp).mu
    return {"t": t, "mu_prod": mu_prod}, {
        "mu": mu, "one_minus_mu": 1 - mu, "nu": hp.nu, "c_g": c_g, "c_m": c_m, "e": hp.eps}


BY_RULE = {"gd": gd, "momentum": momentum, "nag": nag, "nag_lookahead": nag_lookahead, "adagrad": adagrad,
           "rmsprop": rmsprop, "adam": adam, "adamax": adamax, "maxaprop": maxaprop, "nadam": nadam,
           "nadamax": nadamax}
