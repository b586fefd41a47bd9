r"""The scalars of one fused step, computed once on the host for both engines.

A rule's box divides and multiplies whole arrays by scalars: :math:`1/(1-\prod\mu_i)`, :math:`1/(1-\nu^t)`,
:math:`\eta`. The element functions (:mod:`nadam_ref.fused.elements`) take those folded into a few coefficients,
so each element is touched by as few operations as possible. This module computes them in Python floats (float64)
from the very same schedule quantities the reference rules use (:func:`nadam_ref.rules._common.momentum_schedule`),
so the step count and the running product :math:`\prod\mu_i` in the state are bit-identical to the reference.

Folding :math:`\hat n = n / b` with :math:`b = 1-\nu^t` into the root (why the kernels need no :math:`\hat n`):

.. math::
   \frac{\eta\, x}{\sqrt{n/b + \varepsilon_r + \varepsilon}}
   = \frac{\eta\sqrt b\, x}{\sqrt{n + (\varepsilon_r + \varepsilon)b}}
   \qquad
   \frac{\eta\, x}{\sqrt{n/b + \varepsilon_r} + \varepsilon}
   = \frac{\eta\sqrt b\, x}{\sqrt{n + \varepsilon_r b} + \varepsilon\sqrt b}

so every L2 rule's update is :math:`x / (\sqrt{n + e_{in}} + e_{out})` with the factor :math:`\eta\sqrt b` in the
numerator's coefficients; keras' ε̂ = ε/√b (``eps_placement="hat"``) is the outside form with :math:`e_{out} = ε`.
Each function returns ``(scalars, coef)``: the new ``t`` and ``mu_prod`` of the state, and the coefficients named
as the rule's element function names its scalar parameters.
"""

from __future__ import annotations

import math

from ..rules._common import HParams, m_decay, max_eps, momentum_schedule


def _l2_root(hp: HParams, bias: float, hat_bias: float | None = None) -> dict:
    """``{e_in, e_out}`` of the root and ``scale`` = √b, the factor the numerator takes (see the module doc).
    ``bias`` is b, what the kept array is divided by to give n̂; ``hat_bias`` is keras' 1 − ν^t when it is not b
    (AMSGrad's ``max_n="n_hat"`` keeps n̂ itself: b = 1)."""
    sqrt_b, eps_root = math.sqrt(bias), hp.eps_root
    if hp.eps_placement == "inside":
        return {"e_in": (eps_root + hp.eps) * bias, "e_out": 0.0, "scale": sqrt_b}
    if hp.eps_placement == "hat":  # keras' ε̂ = ε / √(1 − ν^t) outside the root: times √b it is ε when b = 1 − ν^t
        e_out = hp.eps if hat_bias is None else hp.eps * sqrt_b / math.sqrt(hat_bias)
        return {"e_in": eps_root * bias, "e_out": e_out, "scale": sqrt_b}
    return {"e_in": eps_root * bias, "e_out": hp.eps * sqrt_b, "scale": sqrt_b}


def _with_root(coef: dict, root: dict) -> dict:
    return {**coef, "e_in": root["e_in"], "e_out": root["e_out"]}


def _max_eps(hp: HParams) -> dict:
    """AdaMax's ε: added to the denominator (the paper) or inside the max, ``eps_placement="max"`` (torch, optax)."""
    in_max, in_denominator = max_eps(hp)
    return {"e_max": in_max, "e": in_denominator}


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
    t = state["t"] + 1
    root = _l2_root(hp, 1.0)
    n_add = hp.n0 if t == 1 else 0.0  # libraries' initial accumulator, added before the first g²
    return {"t": t}, _with_root({"n_add": n_add, "c_g": hp.lr * root["scale"]}, root)


def rmsprop(state, hp):
    t = state["t"] + 1
    root = _l2_root(hp, 1 - hp.nu**t if hp.bias_correction else 1.0)
    return {"t": t}, _with_root({"nu": hp.nu, "take_n": 1 - hp.nu, "c_g": hp.lr * root["scale"]}, root)


def _max_n_root(hp: HParams, t: int) -> tuple[dict, dict]:
    """The root of Adam's and Nadam's n̂, and AMSGrad's ``n_div`` when ``max_n`` keeps a maximum: the kept array is
    n (divided by b = 1 − ν^t, folded as usual) or, under ``max_n="n_hat"``, n̂ itself (b = 1, kept as n / n_div)."""
    bias = 1 - hp.nu**t
    if hp.max_n == "none":
        return _l2_root(hp, bias), {}
    if hp.max_n == "n":
        return _l2_root(hp, bias), {"n_div": 1.0}
    return _l2_root(hp, 1.0, hat_bias=bias), {"n_div": bias}


def adam(state, hp):
    s = momentum_schedule(state, hp)
    decay = m_decay(s, hp)  # (μ_t, ∏ μ_i) as the box prints; (μ, μ^t) under m_decay="constant"
    root, amsgrad = _max_n_root(hp, s.t)
    coef = {"keep_m": decay.mu, "take_m": 1 - decay.mu, "nu": hp.nu, "take_n": 1 - hp.nu,
            "c_m": hp.lr * root["scale"] / (1 - decay.prod), **amsgrad}
    return {"t": s.t, "mu_prod": s.mu_prod}, _with_root(coef, root)


def adamax(state, hp):
    s = momentum_schedule(state, hp)
    decay = m_decay(s, hp)
    coef = {"keep_m": decay.mu, "take_m": 1 - decay.mu, "nu": hp.nu, "c_m": hp.lr / (1 - decay.prod)}
    return {"t": s.t, "mu_prod": s.mu_prod}, {**coef, **_max_eps(hp)}


def maxaprop(state, hp):
    return {"t": state["t"] + 1}, {"nu": hp.nu, "c_g": hp.lr, "e": hp.eps}


def _nesterov(hp, s, scale):
    r"""Nadam's :math:`\eta\bar m = c_g\, g + c_m\, m` with :math:`\hat g = g/(1-\prod_{i\le t}\mu_i)` and
    :math:`\hat m = m/(1-\prod_{i\le t+1}\mu_i)` (:math:`\prod_{i\le t}` under ``m_hat_correction="current"``)
    under either ``m_decay`` (see :mod:`nadam_ref.rules.nadam`), and
    m's decay: μ as the box prints, μ_t under ``m_decay="scheduled"``. ``scale`` is η times the root's factor."""
    keep = m_decay(s, hp).mu
    m_hat_prod = s.mu_prod if hp.m_hat_correction == "current" else s.mu_prod_next  # TF1/timm: this step's product
    return {"keep_m": keep, "take_m": 1 - keep, "c_g": scale * (1 - s.mu_t) / (1 - s.mu_prod),
            "c_m": scale * s.mu_next / (1 - m_hat_prod)}


def nadam(state, hp):
    s = momentum_schedule(state, hp)
    root, amsgrad = _max_n_root(hp, s.t)
    coef = {**_nesterov(hp, s, hp.lr * root["scale"]), "nu": hp.nu, "take_n": 1 - hp.nu, **amsgrad}
    return {"t": s.t, "mu_prod": s.mu_prod}, _with_root(coef, root)


def nadamax(state, hp):
    s = momentum_schedule(state, hp)
    coef = {**_nesterov(hp, s, hp.lr), "nu": hp.nu}
    return {"t": s.t, "mu_prod": s.mu_prod}, {**coef, **_max_eps(hp)}


BY_RULE = {"gd": gd, "momentum": momentum, "nag": nag, "nag_lookahead": nag_lookahead, "adagrad": adagrad,
           "rmsprop": rmsprop, "adam": adam, "adamax": adamax, "maxaprop": maxaprop, "nadam": nadam,
           "nadamax": nadamax}
