"""torch.optim, driven one ``step()`` at a time with the gradient written into ``.grad``.

Runs in float64 by making the parameter float64 *and* setting torch's default dtype to float64 while the
optimizer lives: ``NAdam`` keeps ``mu_product`` (and every optimizer keeps ``step``) in the default dtype, so
without it the schedule's running product is float32 (the ``NAdam, float32 product`` case measures that).
"""

from __future__ import annotations

from ._adapter import Case, drive, import_module, library_default

LIBRARY = "torch"
EXTRA = "crosscheck"
DISTRIBUTION = "torch"


def load():
    return import_module("torch")


def _default_dtype(torch, dtype):
    return library_default(torch.get_default_dtype, torch.set_default_dtype, dtype)


def _runner(make, scalar_dtype=None):
    """A ``Case.run`` for ``make(torch, params, hp) -> optimizer``."""

    def run(grad_fn, theta0, steps, hp, dtype):
        torch = load()
        tdtype = getattr(torch, dtype)

        def init(theta):
            param = torch.nn.Parameter(torch.tensor(theta, dtype=tdtype))
            return param, make(torch, [param], hp)

        def step(handle, g):
            param, optimizer = handle
            param.grad = torch.tensor(g, dtype=tdtype)
            optimizer.step()
            return param.detach().numpy()

        with _default_dtype(torch, getattr(torch, scalar_dtype or dtype)):
            return drive(init, step, grad_fn, theta0, steps)

    return run


def _sgd(nesterov):
    return lambda torch, p, hp: torch.optim.SGD(p, lr=hp["lr"], momentum=hp["mu"], nesterov=nesterov)


def _nadam(torch, p, hp):
    return torch.optim.NAdam(p, lr=hp["lr"], betas=(hp["mu"], hp["nu"]), eps=hp["eps"])


CASES = (
    Case(LIBRARY, "SGD(lr=η, momentum=μ)", "momentum", {"schedule": "constant"},
         "b ← μ b + g;  θ ← θ − η b", _runner(_sgd(False))),
    Case(LIBRARY, "SGD(lr=η, momentum=μ, nesterov=True)", "nag", {"schedule": "constant"},
         "b ← μ b + g;  θ ← θ − η (g + μ b)", _runner(_sgd(True))),
    Case(LIBRARY, "RMSprop(lr=η, alpha=ν, eps=ε)", "rmsprop", {"eps_placement": "outside"},
         "v ← ν v + (1 − ν) g²;  θ ← θ − η g / (√v + ε)",
         _runner(lambda torch, p, hp: torch.optim.RMSprop(p, lr=hp["lr"], alpha=hp["nu"], eps=hp["eps"]))),
    Case(LIBRARY, "Adagrad(lr=η, eps=ε)", "adagrad", {"eps_placement": "outside"},
         "s ← s + g²;  θ ← θ − η g / (√s + ε)",
         _runner(lambda torch, p, hp: torch.optim.Adagrad(p, lr=hp["lr"], eps=hp["eps"]))),
    Case(LIBRARY, "Adam(lr=η, betas=(μ, ν), eps=ε)", "adam", {"schedule": "constant", "eps_placement": "outside"},
         "m ← μ m + (1 − μ) g;  v ← ν v + (1 − ν) g²;  θ ← θ − η/(1 − μᵗ) · m / (√(v/(1 − νᵗ)) + ε)",
         _runner(lambda torch, p, hp: torch.optim.Adam(p, lr=hp["lr"], betas=(hp["mu"], hp["nu"]),
                                                       eps=hp["eps"]))),
    Case(LIBRARY, "Adam(lr=η, betas=(μ, ν), eps=ε, amsgrad=True)", "adam",
         {"schedule": "constant", "eps_placement": "outside", "max_n": "n"},
         "AMSGrad: v_max ← max(v_max, v);  θ ← θ − η/(1 − μᵗ) · m / (√(v_max/(1 − νᵗ)) + ε)",
         _runner(lambda torch, p, hp: torch.optim.Adam(p, lr=hp["lr"], betas=(hp["mu"], hp["nu"]), eps=hp["eps"],
                                                       amsgrad=True))),
    Case(LIBRARY, "NAdam(lr=η, betas=(μ, ν), eps=ε)", "nadam", {"eps_placement": "outside"},
         "μ_t = μ(1 − ½·0.96^{0.004 t});  m ← μ m + (1 − μ) g;  θ ← θ − η [(1 − μ_t) g/(1 − ∏_{i≤t} μ_i) "
         "+ μ_{t+1} m/(1 − ∏_{i≤t+1} μ_i)] / (√n̂ + ε)",
         _runner(_nadam), min_version="1.10", needs="NAdam with momentum_decay"),
    Case(LIBRARY, "NAdam(...) with default dtype float32", "nadam", None,
         "as NAdam, but ∏ μ_i is accumulated in a float32 tensor (torch's default dtype)",
         _runner(_nadam, scalar_dtype="float32"), min_version="1.10", needs="NAdam with momentum_decay",
         float64_only=True),
    Case(LIBRARY, "Adamax(lr=η, betas=(μ, ν), eps=ε)", "adamax", {"schedule": "constant", "eps_placement": "max"},
         "m ← μ m + (1 − μ) g;  u ← max(ν u, |g| + ε);  θ ← θ − η/(1 − μᵗ) · m / u",
         _runner(lambda torch, p, hp: torch.optim.Adamax(p, lr=hp["lr"], betas=(hp["mu"], hp["nu"]),
                                                         eps=hp["eps"]))),
)
