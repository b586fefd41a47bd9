"""tf.keras 2 (the ``tf-keras`` package on TensorFlow 2), driven eagerly with ``apply_gradients`` on one
``tf.Variable``.

tf.keras 2 ships two generations of each optimizer, and training scripts use both: ``tf_keras.optimizers.X``
(rewritten in TF 2.11; keras 3's formulas) and ``tf_keras.optimizers.legacy.X`` (TF 2.0–2.10's ``OptimizerV2``,
whose ``Nadam`` still has ``schedule_decay`` = 0.004 and keras' old ``m_schedule`` product). float64 runs set
``tf_keras.backend.floatx`` to float64 for the run (the learning rate and the hyper-parameter variables are
created in floatx) and put it back after.

Even so, both generations turn a Python float hyper-parameter into a float32 constant before casting it to the
variable's dtype (``tf.cast(0.99, tf.float64)`` goes through float32): every case is run with η, μ, ν, ε rounded
to float32 (``float32_hparams``). Nadam's schedule constant 0.96 is cast the same way, and no nadam_ref option
rounds it, so the two Nadams have no exact float64 mapping: with 0.96 rounded to float32 in a callable schedule
they agree to 0.0 (measured), without it they part by ≈1e-8 (keras schedule) and ≈1e-10 (paper schedule).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import sys

from . import paddle_adapter
from ._adapter import Case, drive, import_module, library_default

LIBRARY = "tf_keras"
DISTRIBUTION = "tf-keras"
EXTRA = "peers"


def load():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter about CUDA and oneDNN
    if "tensorflow" not in sys.modules and importlib.util.find_spec("paddle") is not None:
        # Importing Paddle after TensorFlow kills the process (segmentation fault; paddlepaddle 3.3.1 and
        # tensorflow 2.21 on Linux x86-64); the other order works. So Paddle goes first whenever it is installed.
        paddle_adapter.load()
    with _native_start_up_log_silenced():
        tf = import_module("tensorflow", EXTRA)
        tf.config.list_physical_devices()  # where TensorFlow first looks for CUDA (and logs a failed cuInit)
        return import_module("tf_keras", EXTRA)


@contextlib.contextmanager
def _native_start_up_log_silenced():
    """TensorFlow's C++ start-up lines (oneDNN, "Could not find cuda drivers", a failed cuInit without a GPU) are
    written to file descriptor 2 before any setting of TensorFlow's can stop them; they go to /dev/null while
    TensorFlow is imported and first looks for devices. Python's own errors are unaffected (``sys.stderr`` is
    flushed first and the descriptor restored before any exception propagates)."""
    if "tensorflow" in sys.modules:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _floatx(tf_keras, dtype):
    return library_default(tf_keras.backend.floatx, tf_keras.backend.set_floatx, dtype)


def _runner(make):
    """A ``Case.run`` for ``make(optimizers, hp) -> optimizer`` (``optimizers`` is ``tf_keras.optimizers``)."""

    def run(grad_fn, theta0, steps, hp, dtype):
        tf_keras = load()
        import tensorflow as tf

        def init(theta):
            return tf.Variable(theta, dtype=dtype), make(tf_keras.optimizers, hp)

        def step(handle, g):
            variable, optimizer = handle
            optimizer.apply_gradients([(tf.constant(g, dtype=dtype), variable)])
            return variable.numpy()

        with _floatx(tf_keras, dtype):
            return drive(init, step, grad_fn, theta0, steps)

    return run


def _betas(hp):
    return {"learning_rate": hp["lr"], "beta_1": hp["mu"], "beta_2": hp["nu"], "epsilon": hp["eps"]}


def _sgd(legacy, nesterov):
    def make(opt, hp):
        return (opt.legacy if legacy else opt).SGD(learning_rate=hp["lr"], momentum=hp["mu"], nesterov=nesterov)
    return make


def _legacy(name, **fixed):
    return lambda opt, hp: getattr(opt.legacy, name)(**_betas(hp), **fixed)


_NADAM_KERAS = ("μ_t = μ(1 − ½·0.96ᵗ);  m̄ = μ_{t+1} m/(1 − ∏_{i≤t+1} μ_i) + (1 − μ_t) g/(1 − ∏_{i≤t} μ_i);  "
                "θ ← θ − η m̄ / (√n̂ + ε)")

_CASES = (
    # tf_keras.optimizers: the TF 2.11 rewrite, keras 3's formulas
    Case(LIBRARY, "SGD(η, momentum=μ)", "momentum", {"schedule": "constant"},
         "v ← μ v − η g;  θ ← θ + v", _runner(_sgd(False, False))),
    Case(LIBRARY, "SGD(η, momentum=μ, nesterov=True)", "nag", {"schedule": "constant"},
         "v ← μ v − η g;  θ ← θ + μ v − η g", _runner(_sgd(False, True))),
    Case(LIBRARY, "RMSprop(η, rho=ν, epsilon=ε)", "rmsprop", {},
         "v ← ν v + (1 − ν) g²;  θ ← θ − η g / √(v + ε)",
         _runner(lambda opt, hp: opt.RMSprop(learning_rate=hp["lr"], rho=hp["nu"], epsilon=hp["eps"]))),
    Case(LIBRARY, "Adagrad(η, epsilon=ε)", "adagrad", {"n0": 0.1},
         "s₀ = 0.1;  s ← s + g²;  θ ← θ − η g / √(s + ε)",
         _runner(lambda opt, hp: opt.Adagrad(learning_rate=hp["lr"], epsilon=hp["eps"]))),
    Case(LIBRARY, "Adam(η, beta_1=μ, beta_2=ν, epsilon=ε)", "adam", {"schedule": "constant", "eps_placement": "hat"},
         "θ ← θ − η √(1 − νᵗ)/(1 − μᵗ) · m / (√v + ε)   (ε̂ form)",
         _runner(lambda opt, hp: opt.Adam(**_betas(hp)))),
    Case(LIBRARY, "Adam(..., adaptive_epsilon=True)", "adam", {"schedule": "constant", "eps_placement": "outside"},
         "θ ← θ − η √(1 − νᵗ)/(1 − μᵗ) · m / (√v + ε√(1 − νᵗ)) = η m̂ / (√n̂ + ε)",
         _runner(lambda opt, hp: opt.Adam(**_betas(hp), adaptive_epsilon=True))),
    Case(LIBRARY, "Nadam(η, beta_1=μ, beta_2=ν, epsilon=ε)", "nadam", None,
         _NADAM_KERAS + "   (0.96 is a float32 constant)",
         _runner(lambda opt, hp: opt.Nadam(**_betas(hp)))),
    Case(LIBRARY, "Adamax(η, beta_1=μ, beta_2=ν, epsilon=ε)", "adamax", {"schedule": "constant"},
         "u ← max(ν u, |g|);  θ ← θ − η m / ((1 − μᵗ)(u + ε))",
         _runner(lambda opt, hp: opt.Adamax(**_betas(hp)))),
    # tf_keras.optimizers.legacy: OptimizerV2, what TF 2.0–2.10 called tf.keras.optimizers.X
    Case(LIBRARY, "legacy.SGD(η, momentum=μ, nesterov=True)", "nag", {"schedule": "constant"},
         "v ← μ v − η g;  θ ← θ + μ v − η g   (ResourceApplyKerasMomentum)", _runner(_sgd(True, True))),
    Case(LIBRARY, "legacy.RMSprop(η, rho=ν, epsilon=ε)", "rmsprop", {"eps_placement": "outside"},
         "v ← ν v + (1 − ν) g²;  θ ← θ − η g / (√v + ε)   (ResourceApplyRMSProp)",
         _runner(lambda opt, hp: opt.legacy.RMSprop(learning_rate=hp["lr"], rho=hp["nu"], epsilon=hp["eps"]))),
    Case(LIBRARY, "legacy.Adagrad(η, epsilon=ε)", "adagrad", {"n0": 0.1, "eps_placement": "outside"},
         "s₀ = 0.1;  s ← s + g²;  θ ← θ − η g / (√s + ε)   (ResourceApplyAdagradV2)",
         _runner(lambda opt, hp: opt.legacy.Adagrad(learning_rate=hp["lr"], epsilon=hp["eps"]))),
    Case(LIBRARY, "legacy.Adam(η, beta_1=μ, beta_2=ν, epsilon=ε)", "adam",
         {"schedule": "constant", "eps_placement": "hat"},
         "θ ← θ − η √(1 − νᵗ)/(1 − μᵗ) · m / (√v + ε)   (ResourceApplyAdam)", _runner(_legacy("Adam"))),
    Case(LIBRARY, "legacy.Nadam(η, beta_1=μ, beta_2=ν, epsilon=ε)", "nadam", None,
         "μ_t = μ(1 − ½·0.96^{0.004 t}) (schedule_decay = 0.004; 0.96 a float32 constant);  "
         "m_schedule ← m_schedule · μ_t;  m̄ = (1 − μ_t) g/(1 − m_schedule) + μ_{t+1} m/(1 − m_schedule · μ_{t+1});  "
         "θ ← θ − η m̄ / (√n̂ + ε)",
         _runner(_legacy("Nadam"))),
    Case(LIBRARY, "legacy.Adamax(η, beta_1=μ, beta_2=ν, epsilon=ε)", "adamax", {"schedule": "constant"},
         "u ← max(ν u, |g|);  θ ← θ − η/(1 − μᵗ) · m / (u + ε)   (ResourceApplyAdaMax)",
         _runner(_legacy("Adamax"))),
)
CASES = tuple(dataclasses.replace(case, float32_hparams=True) for case in _CASES)
