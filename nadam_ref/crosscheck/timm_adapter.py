"""timm's own optimizers (``timm.optim``), driven like torch.optim (they are ``torch.optim.Optimizer``s).

timm's optimizer factory hands out torch's classes for ``"nadam"``, ``"adamax"``, ``"adam"`` and ``"sgd"`` /
``"momentum"`` (``timm/optim/_optim_factory.py``): those rows are torch's. What timm adds is its own code:
``NAdamLegacy`` (its pre-torch Nadam, still exported), ``NAdamW`` (the MLCommons "NAdam" of Dozat's
reformulation with decoupled weight decay) and ``SGDW`` (SGD with decoupled weight decay and Nesterov).

The modules are loaded from timm's ``optim`` folder without running ``timm/__init__.py``: that imports
torchvision, and PyPI's torchvision wheel is a CUDA build that cannot load next to the CPU torch used here
(``operator torchvision::nms does not exist``). The optimizer files import only torch and their siblings, so the
code that runs is exactly timm's.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path

from ._adapter import Case, LibraryMissingError
from .torch_adapter import _runner

LIBRARY = "timm"
DISTRIBUTION = "timm"
EXTRA = "peers"
_PACKAGE = "_nadam_ref_timm_optim"  # a private name, so that a real ``import timm`` elsewhere is not disturbed


def load():
    """timm's ``optim`` folder as a package of its own (see the module docstring)."""
    if _PACKAGE in sys.modules:
        return sys.modules[_PACKAGE]
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise LibraryMissingError(f"timm is not installed; pip install -e '.[{EXTRA}]'")
    folder = Path(next(iter(spec.submodule_search_locations))) / "optim"
    package = types.ModuleType(_PACKAGE)
    package.__path__ = [str(folder)]
    sys.modules[_PACKAGE] = package
    return package


def _class(module: str, name: str):
    load()
    return getattr(importlib.import_module(f"{_PACKAGE}.{module}"), name)


def _betas(hp):
    return {"lr": hp["lr"], "betas": (hp["mu"], hp["nu"]), "eps": hp["eps"]}


def _nadamw(torch, p, hp):
    # foreach=False: the per-parameter loop; timm picks it on CPU anyway, fixed here so both paths cannot mix.
    return _class("nadamw", "NAdamW")(p, **_betas(hp), weight_decay=0.0, foreach=False)


CASES = (
    Case(LIBRARY, "NAdamLegacy(lr=η, betas=(μ, ν), eps=ε)", "nadam", {"eps_placement": "outside"},
         "μ_t = μ(1 − ½·0.96^{0.004 t});  m_schedule ← m_schedule · μ_t (a Python float);  "
         "θ ← θ − η [(1 − μ_t) g/(1 − m_schedule) + μ_{t+1} m/(1 − m_schedule · μ_{t+1})] / (√n̂ + ε)",
         _runner(lambda torch, p, hp: _class("nadam", "NAdamLegacy")(p, **_betas(hp)))),
    Case(LIBRARY, "NAdamW(lr=η, betas=(μ, ν), eps=ε, weight_decay=0)", "nadam",
         {"schedule": "constant", "eps_placement": "outside", "m_hat_correction": "current"},
         "m ← μ m + (1 − μ) g;  m̄ = (μ m + (1 − μ) g)/(1 − μᵗ);  θ ← θ − η m̄ / (√n̂ + ε)",
         _runner(_nadamw)),
    Case(LIBRARY, "SGDW(lr=η, momentum=μ, nesterov=True, weight_decay=0)", "nag", {"schedule": "constant"},
         "b ← μ b + g;  θ ← θ − η (g + μ b)",
         _runner(lambda torch, p, hp: _class("sgdw", "SGDW")(p, lr=hp["lr"], momentum=hp["mu"], nesterov=True,
                                                            weight_decay=0.0))),
)
