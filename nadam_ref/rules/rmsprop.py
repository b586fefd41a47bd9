r"""RMSProp (Tieleman & Hinton 2012; Dozat 2016, Algorithm 5).

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_{\theta_{t-1}} f(\theta_{t-1}) \\
   n_t &\leftarrow \nu\, n_{t-1} + (1 - \nu)\, g_t^2 \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{n_t + \varepsilon}}
   \end{aligned}

The box has no bias correction, and that is the default. Section 4 says "All algorithms used initialization bias
correction", so ``bias_correction=True`` divides by :math:`1-\nu^t` first,
:math:`\hat n_t = n_t / (1 - \nu^t)`, and uses :math:`\hat n_t` in place of :math:`n_t`; this is Adam with
:math:`\mu = 0`, and what the experiments use. ``eps_placement="outside"`` gives
:math:`\sqrt{n_t} + \varepsilon` (torch's ``RMSprop``). Default :math:`\eta = 0.001`.
"""

from ._common import root
from ._spec import LibraryVariant, RuleSpec

NAME = "rmsprop"
ALGORITHM = "Algorithm 5"
DEFAULT_LR = 1e-3
SPEC = RuleSpec(
    NAME, hparams=("lr", "nu", "eps", "eps_placement", "bias_correction"),
    options={"eps_placement": ("inside", "outside"), "bias_correction": (False, True)},
    library_variants=(LibraryVariant("torch RMSprop", {"eps_placement": "outside"}),
                      LibraryVariant("optax rmsprop", {}),
                      LibraryVariant("keras 3 RMSprop", {})),
    golden=("eps_placement", "bias_correction"))
HPARAMS = SPEC.hparams
STATE = ("n",)
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("n", "n_t ← ν n_{t−1} + (1 − ν) g_t²"),
    ("n_hat", "n̂_t ← n_t / (1 − ν^t) if bias_correction else n_t"),
    ("theta", "θ_t ← θ_{t−1} − η g_t / √(n̂_t + ε)"),
)


def step(theta, g, state, hp):
    t = state["t"] + 1
    nu = hp.nu

    n = nu * state["n"] + (1 - nu) * g**2
    n_hat = n / (1 - nu**t) if hp.bias_correction else n
    update = hp.lr * g / root(n_hat, hp.eps, hp.eps_placement)
    theta = theta - update

    trace = {"t": t, "g": g, "n": n, "n_hat": n_hat, "update": update, "theta": theta}
    return theta, {**state, "t": t, "n": n}, trace
