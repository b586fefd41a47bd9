r"""Each rule's fused update of ONE element, written once; both engines are made from these functions.

A function here takes one element of θ, g and the rule's state (``m``, ``n``) and the step's scalars, and returns
the new θ and state, in that order. The scalars are computed once per step on the host
(:mod:`nadam_ref.fused.coefficients`, whose keys are these parameters' names): the bias corrections, η and the
schedule are folded into them, so an element costs a handful of multiply-adds, one root and one division.

* CPU: :mod:`nadam_ref.fused.compiled` wraps each function in a numba ``prange`` loop over the elements.
* GPU: :mod:`nadam_ref.fused.cupy_kernels` translates its assignment lines into an ``ElementwiseKernel``.

So the functions must stay inside what both understand: assignments to the outputs (``theta``, ``m``, ``n``), the
operators ``+ - * /``, parentheses, and ``sqrt``, ``max``, ``abs``; no literals (a Python literal is a double in
CUDA and in numba, and would promote a float32 step). The tests check every rule against the reference box.

Every variant is a choice of scalars, not a second formula (``e_in``, ``e_out`` and ``e_max`` are 0 when unused,
and adding 0 is exact):

* ε inside, outside, keras' ε̂ and optax's ``eps_root`` are one root, :math:`\sqrt{n + e_{in}} + e_{out}`;
* AdaMax's ε outside or inside the max (torch, optax) is :math:`\max(\nu n, |g| + e_{max}) ` then :math:`/(n + e)`;
* ``m_decay`` picks ``keep_m``, ``take_m`` (μ_t or μ), AdaGrad's ``n0`` is ``n_add`` at the first step.

AMSGrad (``max_n``) is the one option that adds a state array, ``n_max``, so it has its own functions for Adam and
Nadam (``adam_max_n``, ``nadam_max_n``): the default step should not read and write an array it does not use.
:func:`kernel_name` says which function a rule's step runs under its hyper-parameters.
"""

from __future__ import annotations

from math import sqrt


def gd(theta, g, lr):
    """θ ← θ − η g."""
    theta = theta - lr * g
    return (theta,)


def momentum(theta, g, m, mu_t, lr):
    """m ← μ_t m + g; θ ← θ − η m (also Algorithm 3 once its look-ahead gradient is taken)."""
    m = mu_t * m + g
    theta = theta - lr * m
    return theta, m


def nag(theta, g, m, mu_t, mu_next, lr):
    """m ← μ_t m + g; θ ← θ − η (g + μ_{t+1} m)."""
    m = mu_t * m + g
    theta = theta - lr * (g + mu_next * m)
    return theta, m


def adagrad(theta, g, n, n_add, c_g, e_in, e_out):
    """n ← (n + n_0 at t = 1) + g²; θ ← θ − c_g g / root(n)."""
    n = n + n_add + g * g
    theta = theta - c_g * g / (sqrt(n + e_in) + e_out)
    return theta, n


def rmsprop(theta, g, n, nu, take_n, c_g, e_in, e_out):
    """n ← ν n + (1 − ν) g²; θ ← θ − c_g g / root(n) (the optional bias correction folded into c_g, e)."""
    n = nu * n + take_n * (g * g)
    theta = theta - c_g * g / (sqrt(n + e_in) + e_out)
    return theta, n


def adam(theta, g, m, n, keep_m, take_m, nu, take_n, c_m, e_in, e_out):
    """m ← keep m + take g; n ← ν n + (1 − ν) g²; θ ← θ − c_m m / root(n)."""
    m = keep_m * m + take_m * g
    n = nu * n + take_n * (g * g)
    theta = theta - c_m * m / (sqrt(n + e_in) + e_out)
    return theta, m, n


def adam_max_n(theta, g, m, n, n_max, keep_m, take_m, nu, take_n, n_div, c_m, e_in, e_out):
    """Adam with AMSGrad's n_max ← max(n_max, n / n_div): n_div = 1 keeps the raw n (``max_n="n"``, the bias
    correction folded into c_m and e as for n), n_div = 1 − ν^t keeps n̂ itself (``"n_hat"``)."""
    m = keep_m * m + take_m * g
    n = nu * n + take_n * (g * g)
    n_max = max(n_max, n / n_div)
    theta = theta - c_m * m / (sqrt(n_max + e_in) + e_out)
    return theta, m, n, n_max


def adamax(theta, g, m, n, keep_m, take_m, nu, e_max, c_m, e):
    """m ← keep m + take g; n ← max(ν n, |g| + e_max); θ ← θ − c_m m / (n + e)."""
    m = keep_m * m + take_m * g
    n = max(nu * n, abs(g) + e_max)
    theta = theta - c_m * m / (n + e)
    return theta, m, n


def maxaprop(theta, g, n, nu, c_g, e):
    """n ← max(ν n, |g|); θ ← θ − η g / (n + ε)."""
    n = max(nu * n, abs(g))
    theta = theta - c_g * g / (n + e)
    return theta, n


def nadam(theta, g, m, n, keep_m, take_m, nu, take_n, c_g, c_m, e_in, e_out):
    """m ← keep m + take g; n ← ν n + (1 − ν) g²; θ ← θ − (c_g g + c_m m) / root(n), i.e. η m̄ / root(n̂)."""
    m = keep_m * m + take_m * g
    n = nu * n + take_n * (g * g)
    theta = theta - (c_g * g + c_m * m) / (sqrt(n + e_in) + e_out)
    return theta, m, n


def nadam_max_n(theta, g, m, n, n_max, keep_m, take_m, nu, take_n, n_div, c_g, c_m, e_in, e_out):
    """Nadam with AMSGrad's n_max ← max(n_max, n / n_div), as :func:`adam_max_n`."""
    m = keep_m * m + take_m * g
    n = nu * n + take_n * (g * g)
    n_max = max(n_max, n / n_div)
    theta = theta - (c_g * g + c_m * m) / (sqrt(n_max + e_in) + e_out)
    return theta, m, n, n_max


def nadamax(theta, g, m, n, keep_m, take_m, nu, e_max, c_g, c_m, e):
    """m ← keep m + take g; n ← max(ν n, |g| + e_max); θ ← θ − (c_g g + c_m m) / (n + e)."""
    m = keep_m * m + take_m * g
    n = max(nu * n, abs(g) + e_max)
    theta = theta - (c_g * g + c_m * m) / (n + e)
    return theta, m, n


#: rule -> its element function; ``nag_lookahead``'s update after its gradient is momentum's.
BY_RULE = {"gd": gd, "momentum": momentum, "nag": nag, "nag_lookahead": momentum, "adagrad": adagrad,
           "rmsprop": rmsprop, "adam": adam, "adamax": adamax, "maxaprop": maxaprop, "nadam": nadam,
           "nadamax": nadamax}

#: The functions of the options that add a state array: AMSGrad's ``max_n`` (see :func:`kernel_name`).
MAX_N = {"adam_max_n": adam_max_n, "nadam_max_n": nadam_max_n}

#: The parameters that are arrays (one element each); every other parameter is a scalar of the step.
ARRAYS = ("theta", "g", "m", "n", "n_max")


def kernel_name(rule: str, hp) -> str:
    """The name of the element function a step of ``rule`` runs under ``hp``: the rule's own, or its AMSGrad
    function (``"adam_max_n"``) when ``max_n`` keeps a running maximum. Engines key their kernels by it."""
    if getattr(hp, "max_n", "none") != "none":
        return f"{rule}_max_n"
    return rule


def function(name: str):
    """The element function called ``name`` (a rule, or a :func:`kernel_name`)."""
    return BY_RULE[name] if name in BY_RULE else MAX_N[name]


#: Every kernel name: each rule's, then the AMSGrad functions.
KERNEL_NAMES = (*BY_RULE, *MAX_N)


def signature(rule: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """``(arrays, scalars, outputs)`` of the element function ``rule`` (a rule or a :func:`kernel_name`), from its
    parameter names."""
    code = function(rule).__code__
    params = code.co_varnames[: code.co_argcount]
    arrays = tuple(p for p in params if p in ARRAYS)
    scalars = tuple(p for p in params if p not in ARRAYS)
    outputs = tuple(p for p in arrays if p != "g")
    return arrays, scalars, outputs
