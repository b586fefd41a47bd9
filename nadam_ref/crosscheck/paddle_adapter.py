"""PaddlePaddle (``paddle.optimizer``), driven in dynamic-graph mode.

The gradient is handed over by back-propagating ``sum(θ · g)`` (whose gradient with respect to θ is ``g``
exactly), then ``step()`` and ``clear_grad()``. float64 parameters keep every accumulator (moments, the powers of
β, NAdam's ``mu_product``) in float64, but ``Momentum`` and ``NAdam`` hand their hyper-parameters to the kernel as
float32 attributes (``float32_hparams``), and NAdam's ``momentum_decay`` ψ too, which no nadam_ref option rounds:
its closest variant parts by ≈1e-11.
"""

from __future__ import annotations

import warnings

from ._adapter import Case, drive, import_module

LIBRARY = "paddle"
DISTRIBUTION = "paddlepaddle"
EXTRA = "peers"


def load():
    with warnings.catch_warnings():  # paddle warns at import that ccache (for compiling extensions) is missing
        warnings.simplefilter("ignore", UserWarning)
        return import_module("paddle", EXTRA)


def _runner(make):
    """A ``Case.run`` for ``make(paddle.optimizer, parameters, hp) -> optimizer``."""

    def run(grad_fn, theta0, steps, hp, dtype):
        paddle = load()

        def init(theta):
            param = paddle.create_parameter(list(theta.shape), dtype)
            param.set_value(theta)
            return param, make(paddle.optimizer, [param], hp)

        def step(handle, g):
            param, optimizer = handle
            (param * paddle.to_tensor(g, dtype=dtype)).sum().backward()
            optimizer.step()
            optimizer.clear_grad()
            return param.numpy()

        return drive(init, step, grad_fn, theta0, steps)

    return run


def _betas(hp):
    return {"learning_rate": hp["lr"], "beta1": hp["mu"], "beta2": hp["nu"], "epsilon": hp["eps"]}


def _momentum(nesterov):
    return lambda opt, p, hp: opt.Momentum(learning_rate=hp["lr"], momentum=hp["mu"], parameters=p,
                                           use_nesterov=nesterov)


CASES = (
    Case(LIBRARY, "Momentum(η, momentum=μ)", "momentum", {"schedule": "constant"},
         "v ← μ v + g;  θ ← θ − η v", _runner(_momentum(False)), float32_hparams=True),
    Case(LIBRARY, "Momentum(η, momentum=μ, use_nesterov=True)", "nag", {"schedule": "constant"},
         "v ← μ v + g;  θ ← θ − η (g + μ v)", _runner(_momentum(True)), float32_hparams=True),
    Case(LIBRARY, "Adam(η, beta1=μ, beta2=ν, epsilon=ε)", "adam", {"schedule": "constant", "eps_placement": "outside"},
         "m̂ = m/(1 − μᵗ);  θ ← θ − η √(1 − νᵗ)/(1 − μᵗ) · m / (√v + ε√(1 − νᵗ)) = η m̂ / (√n̂ + ε)",
         _runner(lambda opt, p, hp: opt.Adam(**_betas(hp), parameters=p))),
    Case(LIBRARY, "NAdam(η, beta1=μ, beta2=ν, epsilon=ε)", "nadam", None,
         "μ_t = μ(1 − ½·0.96^{0.004 t}) (momentum_decay ψ = 0.004, a float32 attribute);  "
         "m̄ = (1 − μ_t) g/(1 − ∏_{i≤t} μ_i) + μ_{t+1} m/(1 − ∏_{i≤t+1} μ_i);  θ ← θ − η m̄ / (√n̂ + ε)",
         _runner(lambda opt, p, hp: opt.NAdam(**_betas(hp), parameters=p)), float32_hparams=True),
    Case(LIBRARY, "Adamax(η, beta1=μ, beta2=ν, epsilon=ε)", "adamax", None,
         "u ← max(ν u + ε, |g|);  θ ← θ − η/(1 − μᵗ) · m / u   (ε added to the decayed u, inside the max)",
         _runner(lambda opt, p, hp: opt.Adamax(**_betas(hp), parameters=p))),
)
