r"""Fused steps for CuPy: one ``cupy.ElementwiseKernel`` per rule, one pass over memory per step.

Each kernel reads :math:`\theta, g, m, n` once and writes :math:`\theta, m, n` once, with the scalars of
:mod:`nadam_ref.fused.coefficients` as arguments. The kernel sources are plain strings in :data:`SOURCES`, so they
can be read, and checked by the tests, on a machine without a GPU; CuPy compiles them on first use.

Only :mod:`nadam_ref.backend` touches CuPy itself (it builds the kernels); this module holds their CUDA sources,
and :mod:`nadam_ref.fused` uses it only for CuPy arrays, as ``backend.backend_name`` says.
"""

from __future__ import annotations

from functools import cache

from .. import backend

_INSIDE = {"ROOT": "sqrt(n + e)", "MAXARG": "fabs(g)", "DENOM": "(n + e)"}
#: Where ε goes (:func:`nadam_ref.fused.form`) -> the text of each placeholder: the root √(n + e) (the paper),
#: √n + e, or √(n + r) + e (optax's eps_root); for the L∞ rules, ε in the denominator or inside the max.
FORMS = {"inside": _INSIDE, "outside": {**_INSIDE, "ROOT": "(sqrt(n) + e)"},
         "both": {**_INSIDE, "ROOT": "(sqrt(n + r) + e)"}, "max": {**_INSIDE, "MAXARG": "(fabs(g) + e)", "DENOM": "n"}}

#: rule -> (scalar inputs after ``T g``, outputs updated in place, the per-element operation).
#: The scalar names are the keys of the rule's coefficients; ``ROOT``, ``MAXARG`` and ``DENOM`` are replaced as
#: :data:`FORMS` says.
SOURCES = {
    "gd": ("lr", "theta", "theta -= lr * g;"),
    "momentum": ("mu_t, lr", "theta, m", "m = mu_t * m + g; theta -= lr * m;"),
    "nag": ("mu_t, mu_next, lr", "theta, m", "m = mu_t * m + g; theta -= lr * (g + mu_next * m);"),
    "adagrad": ("n0, c_g, e", "theta, n", "n = (n + n0) + g * g; theta -= c_g * g / ROOT;"),
    "rmsprop": ("nu, one_minus_nu, c_g, e", "theta, n",
                "n = nu * n + one_minus_nu * (g * g); theta -= c_g * g / ROOT;"),
    "adam": ("mu_t, one_minus_mu_t, nu, one_minus_nu, c_m, e, r", "theta, m, n",
             "m = mu_t * m + one_minus_mu_t * g; n = nu * n + one_minus_nu * (g * g); theta -= c_m * m / ROOT;"),
    "adamax": ("mu_t, one_minus_mu_t, nu, c_m, e", "theta, m, n",
               "m = mu_t * m + one_minus_mu_t * g; n = fmax(nu * n, MAXARG); theta -= c_m * m / DENOM;"),
    "maxaprop": ("nu, c_g, e", "theta, n", "n = fmax(nu * n, MAXARG); theta -= c_g * g / DENOM;"),
    "nadam": ("mu, one_minus_mu, nu, one_minus_nu, c_g, c_m, e, r", "theta, m, n",
              "m = mu * m + one_minus_mu * g; n = nu * n + one_minus_nu * (g * g); "
              "theta -= (c_g * g + c_m * m) / ROOT;"),
    "nadamax": ("mu, one_minus_mu, nu, c_g, c_m, e", "theta, m, n",
                "m = mu * m + one_minus_mu * g; n = fmax(nu * n, MAXARG); "
                "theta -= (c_g * g + c_m * m) / DENOM;"),
}
SOURCES["nag_lookahead"] = SOURCES["momentum"]  # Algorithm 3's update after its gradient is momentum's


def names(text: str) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``."""
    return [s.strip() for s in text.split(",")]


def kernel_parts(rule: str, form: str) -> tuple[str, str, str, str]:
    """``(in_params, out_params, operation, name)`` of the kernel for ``rule``, as ``ElementwiseKernel`` takes them."""
    scalars, outputs, operation = SOURCES[rule]
    in_params = ", ".join(f"T {x}" for x in ["g", *names(scalars)])
    out_params = ", ".join(f"T {x}" for x in names(outputs))
    for placeholder, text in FORMS[form].items():
        operation = operation.replace(placeholder, text)
    return in_params, out_params, operation, f"nadam_ref_{rule}_{form}"


@cache
def kernel(rule: str, form: str):
    """The compiled-on-first-call ``ElementwiseKernel`` for ``rule``."""
    return backend.elementwise_kernel(*kernel_parts(rule, form))


def run(rule: str, theta, g, m, n, coef: dict, form: str) -> None:
    """One fused step of ``rule``: θ, m and n are updated in place by one kernel launch."""
    scalars, outputs, _ = SOURCES[rule]
    state = {"theta": theta, "m": m, "n": n}
    kernel(rule, form)(g, *(coef[x] for x in names(scalars)), *(state[x] for x in names(outputs)))
