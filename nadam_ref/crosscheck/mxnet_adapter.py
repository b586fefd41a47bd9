"""Apache MXNet 1.9.1 (``mx.optimizer``), driven through ``Optimizer.update`` on one float64 ``NDArray``.

MXNet cannot live in the environment of the other peers: its last release pins ``numpy < 2`` (jax and the
crosscheck extra need NumPy 2) and fails to import on NumPy ≥ 1.24 (it uses ``numpy.bool``, removed in 1.24).
It runs in an environment of its own, ``pip install mxnet "numpy<1.24"`` next to nadam_ref's code (see
``docs/conventions.md`` for the measured rows and how they were made); elsewhere it is reported as not
installed. SGD, NAG and Adam run fused C++ kernels that take their hyper-parameters as float32 attributes
(``float32_hparams``); Nadam and Adamax are plain Python over NDArrays.
"""

from __future__ import annotations

import importlib

from ._adapter import Case, LibraryMissingError, drive

LIBRARY = "mxnet"
DISTRIBUTION = "mxnet"
EXTRA = "mxnet"  # not an extra of pyproject.toml: a separate environment (see the module docstring)
INSTALL = ("MXNet needs an environment of its own: pip install mxnet 'numpy<1.24' (its wheel pins numpy<2 and "
           "fails to import on NumPy >= 1.24), then run nadam_ref's code there")


def load():
    try:
        return importlib.import_module("mxnet")
    except ImportError as e:
        raise LibraryMissingError(f"mxnet is not installed ({e}); {INSTALL}") from None


def _runner(make):
    """A ``Case.run`` for ``make(mx.optimizer, hp) -> optimizer``; parameter index 0 is the only parameter."""

    def run(grad_fn, theta0, steps, hp, dtype):
        mx = load()

        def init(theta):
            weight = mx.nd.array(theta, dtype=dtype)
            optimizer = make(mx.optimizer, hp)
            return weight, optimizer, optimizer.create_state(0, weight)

        def step(handle, g):
            weight, optimizer, state = handle
            optimizer.update(0, weight, mx.nd.array(g, dtype=dtype), state)
            return weight.asnumpy()

        return drive(init, step, grad_fn, theta0, steps)

    return run


def _betas(hp):
    return {"learning_rate": hp["lr"], "beta1": hp["mu"], "beta2": hp["nu"], "epsilon": hp["eps"]}


CASES = (
    Case(LIBRARY, "SGD(learning_rate=η, momentum=μ)", "momentum", {"schedule": "constant"},
         "v ← μ v − η g;  θ ← θ + v",
         _runner(lambda opt, hp: opt.SGD(learning_rate=hp["lr"], momentum=hp["mu"])), float32_hparams=True),
    Case(LIBRARY, "NAG(learning_rate=η, momentum=μ)", "nag", {"schedule": "constant"},
         "m ← μ m + g;  θ ← θ − η (g + μ m)",
         _runner(lambda opt, hp: opt.NAG(learning_rate=hp["lr"], momentum=hp["mu"])), float32_hparams=True),
    Case(LIBRARY, "Adam(learning_rate=η, beta1=μ, beta2=ν, epsilon=ε)", "adam", None,
         "θ ← θ − η √(1 − νᵗ)/(1 − μᵗ) · m / (√v + ε)   (that step size goes to the kernel as a float32 attribute)",
         _runner(lambda opt, hp: opt.Adam(**_betas(hp))), float32_hparams=True),
    Case(LIBRARY, "Nadam(learning_rate=η, beta1=μ, beta2=ν, epsilon=ε)", "nadam", {"eps_placement": "outside"},
         "μ_t = μ(1 − ½·0.96^{0.004 t});  m_schedule ← m_schedule · μ_t (one Python float for the whole optimizer: "
         "with k parameter arrays it advances k times a step);  θ ← θ − η m̄ / (√n̂ + ε)",
         _runner(lambda opt, hp: opt.Nadam(**_betas(hp)))),
    Case(LIBRARY, "Adamax(learning_rate=η, beta1=μ, beta2=ν)", "adamax", None,
         "u ← max(ν u, |g|);  θ ← θ − η/(1 − μᵗ) · m / u   (no ε at all)",
         _runner(lambda opt, hp: opt.Adamax(learning_rate=hp["lr"], beta1=hp["mu"], beta2=hp["nu"]))),
)
