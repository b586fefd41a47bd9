"""optax, driven eagerly: ``update`` then ``apply_updates`` once per step, with float64 switched on in JAX.

``jax_enable_x64`` is a process-wide JAX switch; the adapter turns it on when it is first used (float32 runs
still get float32 arrays, since every array is created with an explicit dtype).
"""

from __future__ import annotations

from ._adapter import Case, drive, import_module

LIBRARY = "optax"
EXTRA = "crosscheck"
DISTRIBUTION = "optax"


def load():
    jax = import_module("jax")
    jax.config.update("jax_enable_x64", True)
    return import_module("optax")


def _runner(make):
    """A ``Case.run`` for ``make(optax, hp) -> GradientTransformation``."""

    def run(grad_fn, theta0, steps, hp, dtype):
        optax = load()
        import jax.numpy as jnp
        import numpy

        def init(theta):
            params = jnp.asarray(theta, dtype=dtype)
            transform = make(optax, hp)
            return {"params": params, "transform": transform, "state": transform.init(params)}

        def step(handle, g):
            updates, handle["state"] = handle["transform"].update(jnp.asarray(g, dtype=dtype), handle["state"],
                                                                  handle["params"])
            handle["params"] = optax.apply_updates(handle["params"], updates)
            return numpy.asarray(handle["params"])

        return drive(init, step, grad_fn, theta0, steps)

    return run


def _sgd(nesterov):
    return lambda optax, hp: optax.sgd(hp["lr"], momentum=hp["mu"], nesterov=nesterov)


CASES = (
    Case(LIBRARY, "sgd(η, momentum=μ)", "momentum", {"schedule": "constant"},
         "m ← g + μ m;  θ ← θ − η m", _runner(_sgd(False))),
    Case(LIBRARY, "sgd(η, momentum=μ, nesterov=True)", "nag", {"schedule": "constant"},
         "m ← g + μ m;  θ ← θ − η (g + μ m)", _runner(_sgd(True))),
    Case(LIBRARY, "rmsprop(η, decay=ν, eps=ε)", "rmsprop", {},
         "n ← ν n + (1 − ν) g²;  θ ← θ − η g / √(n + ε)   (eps_in_sqrt=True by default)",
         _runner(lambda optax, hp: optax.rmsprop(hp["lr"], decay=hp["nu"], eps=hp["eps"]))),
    Case(LIBRARY, "adagrad(η, eps=ε)", "adagrad", {"n0": 0.1},
         "s₀ = 0.1;  s ← s + g²;  θ ← θ − η g / √(s + ε)",
         _runner(lambda optax, hp: optax.adagrad(hp["lr"], eps=hp["eps"]))),
    Case(LIBRARY, "adam(η, b1=μ, b2=ν, eps=ε)", "adam", {"schedule": "constant", "eps_placement": "outside"},
         "m̂ = m/(1 − μᵗ);  n̂ = n/(1 − νᵗ);  θ ← θ − η m̂ / (√(n̂ + eps_root) + ε),  eps_root = 0",
         _runner(lambda optax, hp: optax.adam(hp["lr"], b1=hp["mu"], b2=hp["nu"], eps=hp["eps"]))),
    Case(LIBRARY, "adam(η, b1=μ, b2=ν, eps=0, eps_root=ε)", "adam", {"schedule": "constant"},
         "θ ← θ − η m̂ / √(n̂ + ε): the paper's ε inside, with constant μ",
         _runner(lambda optax, hp: optax.adam(hp["lr"], b1=hp["mu"], b2=hp["nu"], eps=0.0,
                                              eps_root=hp["eps"]))),
    Case(LIBRARY, "amsgrad(η, b1=μ, b2=ν, eps=ε)", "adam",
         {"schedule": "constant", "eps_placement": "outside", "max_n": "n_hat"},
         "AMSGrad on the corrected n̂: n̂_max ← max(n̂_max, n/(1 − νᵗ));  θ ← θ − η m̂ / (√n̂_max + ε)",
         _runner(lambda optax, hp: optax.amsgrad(hp["lr"], b1=hp["mu"], b2=hp["nu"], eps=hp["eps"])),
         min_version="0.1.5", needs="optax.amsgrad"),
    Case(LIBRARY, "nadam(η, b1=μ, b2=ν, eps=ε)", "nadam", {"schedule": "constant", "eps_placement": "outside"},
         "m̄ = μ m/(1 − μ^{t+1}) + (1 − μ) g/(1 − μᵗ);  θ ← θ − η m̄ / (√n̂ + ε)",
         _runner(lambda optax, hp: optax.nadam(hp["lr"], b1=hp["mu"], b2=hp["nu"], eps=hp["eps"])),
         min_version="0.1.8", needs="optax.nadam, added after 0.1.7"),
    Case(LIBRARY, "nadam(η, b1=μ, b2=ν, eps=0, eps_root=ε)", "nadam", {"schedule": "constant"},
         "θ ← θ − η m̄ / √(n̂ + ε): the paper's ε inside, with constant μ",
         _runner(lambda optax, hp: optax.nadam(hp["lr"], b1=hp["mu"], b2=hp["nu"], eps=0.0,
                                               eps_root=hp["eps"])),
         min_version="0.1.8", needs="optax.nadam, added after 0.1.7"),
    Case(LIBRARY, "adamax(η, b1=μ, b2=ν, eps=ε)", "adamax", {"schedule": "constant", "eps_placement": "max"},
         "u ← max(ν u, |g| + ε);  θ ← θ − η m/(1 − μᵗ) / u",
         _runner(lambda optax, hp: optax.adamax(hp["lr"], b1=hp["mu"], b2=hp["nu"], eps=hp["eps"]))),
)
