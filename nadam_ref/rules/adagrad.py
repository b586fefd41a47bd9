r"""AdaGrad (Duchi, Hazan & Singer 2011; Dozat 2016, Algorithm 4).

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_{\theta_{t-1}} f(\theta_{t-1}) \\
   n_t &\leftarrow n_{t-1} + g_t^2 \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{n_t + \varepsilon}}
   \end{aligned}

:math:`\varepsilon` sits inside the root as the paper prints it; ``eps_placement="outside"`` gives
:math:`\sqrt{n_t} + \varepsilon`, as torch's ``Adagrad`` computes. Default :math:`\eta = 0.01`.

The box starts the accumulator at :math:`n_0 = 0`, as torch does. ``n0`` starts it elsewhere: optax's ``adagrad`` and
keras' ``Adagrad`` default to ``initial_accumulator_value=0.1``, i.e. ``n0=0.1``; both keep :math:`\varepsilon`
inside the root as the paper does.
"""

from ._common import root
from ._spec import LibraryVariant, RuleSpec

NAME = "adagrad"
ALGORITHM = "Algorithm 4"
DEFAULT_LR = 0.01
SPEC = RuleSpec(
    NAME, hparams=("lr", "eps", "eps_placement", "n0"), options={"eps_placement": ("inside", "outside")},
    numeric_variants={"n0": 0.1},
    library_variants=(LibraryVariant("torch Adagrad", {"eps_placement": "outside"}),
                      LibraryVariant("optax adagrad", {"n0": 0.1}),
                      LibraryVariant("keras 3 Adagrad", {"n0": 0.1})),
    golden=("eps_placement", "n0"))
HPARAMS = SPEC.hparams
STATE = ("n",)
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("n", "n_t ← n_{t−1} + g_t²"),
    ("theta", "θ_t ← θ_{t−1} − η g_t / √(n_t + ε)"),
)


def step(theta, g, state, hp):
    t = state["t"] + 1

    n_prev = state["n"]
    if t == 1 and hp.n0:  # variant: libraries' initial_accumulator_value, n_0 = n0
        n_prev = n_prev + hp.n0
    n = n_prev + g**2
    update = hp.lr * g / root(n, hp.eps, hp.eps_placement)
    theta = theta - update

    return theta, {**state, "t": t, "n": n}, {"t": t, "g": g, "n": n, "update": update, "theta": theta}
