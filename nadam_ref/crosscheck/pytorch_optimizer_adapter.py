"""pytorch-optimizer (``pip install pytorch-optimizer``, imported as ``pytorch_optimizer``), driven like
torch.optim.

Its Nadam family: ``load_optimizer("nadam")`` is torch's ``NAdam`` re-exported (the torch rows apply), and
``AdamP(nesterov=True)`` is Adam with the Nesterov look-ahead of TensorFlow 1's ``ApplyAdam(use_nesterov)``. Its
AdaMax family: its own ``AdaMax`` (with ``adam_debias`` to drop the bias correction of m). The problems' parameters
are vectors, so AdamP's projection (applied to parameters of two or more dimensions) stays out of the way.
"""

from __future__ import annotations

from ._adapter import Case, import_module
from .torch_adapter import _runner

LIBRARY = "pytorch_optimizer"
DISTRIBUTION = "pytorch-optimizer"
EXTRA = "peers"


def load():
    return import_module("pytorch_optimizer", EXTRA)


def _betas(hp):
    return {"lr": hp["lr"], "betas": (hp["mu"], hp["nu"]), "eps": hp["eps"]}


def _make(name, **fixed):
    return lambda torch, p, hp: load().load_optimizer(name)(p, **_betas(hp), **fixed)


CASES = (
    Case(LIBRARY, 'load_optimizer("nadam")(lr=η, betas=(μ, ν), eps=ε)', "nadam", {"eps_placement": "outside"},
         "torch.optim.NAdam itself", _runner(_make("nadam"))),
    Case(LIBRARY, "AdamP(lr=η, betas=(μ, ν), eps=ε, nesterov=True, weight_decay=0)", "nadam",
         {"schedule": "constant", "eps_placement": "hat", "m_hat_correction": "current"},
         "m̄ = μ m + (1 − μ) g;  θ ← θ − η √(1 − νᵗ)/(1 − μᵗ) · m̄ / (√v + ε)",
         _runner(_make("adamp", nesterov=True, weight_decay=0.0))),
    Case(LIBRARY, "AdaMax(lr=η, betas=(μ, ν), eps=ε)", "adamax", {"schedule": "constant", "eps_placement": "max"},
         "m ← μ m + (1 − μ) g;  u ← max(ν u, |g| + ε);  θ ← θ − η/(1 − μᵗ) · m / u", _runner(_make("adamax"))),
    Case(LIBRARY, "AdaMax(..., adam_debias=True)", "adamax", None,
         "as AdaMax, but θ ← θ − η m / u: m is not divided by 1 − μᵗ", _runner(_make("adamax", adam_debias=True))),
)
