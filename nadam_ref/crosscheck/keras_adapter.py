"""keras 3, driven with ``apply_gradients`` on one ``keras.Variable``, eagerly.

keras 3 needs a backend before it is imported: the adapter sets ``KERAS_BACKEND=jax`` unless the environment
already names one (torch works too). float64 runs set ``keras.config.floatx`` to float64 for the run and put it
back after; with the JAX backend they also switch on ``jax_enable_x64``.
"""

from __future__ import annotations

import os

from ._adapter import Case, drive, import_module, library_default

LIBRARY = "keras"
EXTRA = "crosscheck"
DISTRIBUTION = "keras"


def load():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    if os.environ["KERAS_BACKEND"] == "jax":
        import_module("jax").config.update("jax_enable_x64", True)
    return import_module("keras")


def _floatx(keras, dtype):
    return library_default(keras.config.floatx, keras.config.set_floatx, dtype)


def _runner(make):
    """A ``Case.run`` for ``make(keras.optimizers, hp) -> optimizer``."""

    def run(grad_fn, theta0, steps, hp, dtype, floatx=None):
        """``floatx`` other than ``dtype`` measures what happens when keras' default float is left alone."""
        keras = load()
        import numpy

        def init(theta):
            return keras.Variable(theta, dtype=dtype), make(keras.optimizers, hp)

        def step(handle, g):
            variable, optimizer = handle
            optimizer.apply_gradients([(keras.ops.convert_to_tensor(g, dtype=dtype), variable)])
            return numpy.asarray(keras.ops.convert_to_numpy(variable.value))

        with _floatx(keras, floatx or dtype):
            return drive(init, step, grad_fn, theta0, steps)

    return run


def _sgd(nesterov):
    return lambda opt, hp: opt.SGD(learning_rate=hp["lr"], momentum=hp["mu"], nesterov=nesterov)


def _betas(hp):
    return {"learning_rate": hp["lr"], "beta_1": hp["mu"], "beta_2": hp["nu"], "epsilon": hp["eps"]}


CASES = (
    Case(LIBRARY, "SGD(η, momentum=μ)", "momentum", {"schedule": "constant"},
         "v ← μ v − η g;  θ ← θ + v", _runner(_sgd(False))),
    Case(LIBRARY, "SGD(η, momentum=μ, nesterov=True)", "nag", {"schedule": "constant"},
         "v ← μ v − η g;  θ ← θ + μ v − η g", _runner(_sgd(True))),
    Case(LIBRARY, "RMSprop(η, rho=ν, epsilon=ε)", "rmsprop", {},
         "v ← ν v + (1 − ν) g²;  θ ← θ − η g / √(v + ε)",
         _runner(lambda opt, hp: opt.RMSprop(learning_rate=hp["lr"], rho=hp["nu"], epsilon=hp["eps"]))),
    Case(LIBRARY, "Adagrad(η, epsilon=ε)", "adagrad", {"n0": 0.1},
         "s₀ = 0.1;  s ← s + g²;  θ ← θ − η g / √(s + ε)",
         _runner(lambda opt, hp: opt.Adagrad(learning_rate=hp["lr"], epsilon=hp["eps"]))),
    Case(LIBRARY, "Adam(η, beta_1=μ, beta_2=ν, epsilon=ε)", "adam", {"schedule": "constant", "eps_placement": "hat"},
         "θ ← θ − η √(1 − νᵗ)/(1 − μᵗ) · m / (√v + ε)   (Kingma & Ba's ε̂ form)",
         _runner(lambda opt, hp: opt.Adam(**_betas(hp))), min_version="3.0", needs="keras 3 optimizers"),
    Case(LIBRARY, "Adam(η, beta_1=μ, beta_2=ν, epsilon=ε, amsgrad=True)", "adam",
         {"schedule": "constant", "eps_placement": "hat", "max_n": "n"},
         "AMSGrad: v̂ ← max(v̂, v);  θ ← θ − η √(1 − νᵗ)/(1 − μᵗ) · m / (√v̂ + ε)",
         _runner(lambda opt, hp: opt.Adam(**_betas(hp), amsgrad=True)), min_version="3.0",
         needs="keras 3 optimizers"),
    Case(LIBRARY, "Nadam(η, beta_1=μ, beta_2=ν, epsilon=ε)", "nadam",
         {"schedule": "keras", "eps_placement": "outside"},
         "μ_t = μ(1 − ½·0.96ᵗ);  m̄ = μ_{t+1} m/(1 − ∏_{i≤t+1} μ_i) + (1 − μ_t) g/(1 − ∏_{i≤t} μ_i);  "
         "θ ← θ − η m̄ / (√n̂ + ε)",
         _runner(lambda opt, hp: opt.Nadam(**_betas(hp))), min_version="3.0",
         needs="keras 3's Nadam, whose schedule is 0.96^t"),
    Case(LIBRARY, "Adamax(η, beta_1=μ, beta_2=ν, epsilon=ε)", "adamax", {"schedule": "constant"},
         "u ← max(ν u, |g|);  θ ← θ − η m / ((1 − μᵗ)(u + ε))",
         _runner(lambda opt, hp: opt.Adamax(**_betas(hp))), min_version="3.0", needs="keras 3 optimizers"),
)
