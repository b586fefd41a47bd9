r"""AdaGrad (Duchi, Hazan & Singer 2011; Dozat 2016, Algorithm 4).

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_{\theta_{t-1}} f(\theta_{t-1}) \\
   n_t &\leftarrow n_{t-1} + g_t^2 \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{n_t + \varepsilon}}
   \end{aligned}

:math:`\varepsilon` sits inside the root as the paper prints it; ``eps_placement="outside"`` gives
:math:`\sqrt{n_t} + \varepsilon`, as torch's ``Adagrad`` computes. Default :math:`\eta = 0.01`.
"""

from ._common import root

NAME = "adagrad"
ALGORITHM = "Algorithm 4"
DEFAULT_LR = 0.01
HPARAMS = ("lr", "eps", "eps_placement")
STATE = ("n",)
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("n", "n_t ← n_{t−1} + g_t²"),
    ("theta", "θ_t ← θ_{t−1} − η g_t / √(n_t + ε)"),
)


def step(theta, g, state, hp):
    t = state["t"] + 1

    n = state["n"] + g**2
    update = hp.lr * g / root(n, hp.eps, hp.eps_placement)
    theta = theta - update

    return theta, {**state, "t": t, "n": n}, {"t": t, "g": g, "n": n, "update": update, "theta": theta}
