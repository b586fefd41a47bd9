r"""Gradient descent (Dozat 2016, Algorithm 1).

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_{\theta_{t-1}} f(\theta_{t-1}) \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, g_t
   \end{aligned}

Default :math:`\eta = 0.1`: plain gradient descent has no normalisation, so its step is the raw gradient's size.
"""

from ._spec import RuleSpec

NAME = "gd"
ALGORITHM = "Algorithm 1"
DEFAULT_LR = 0.1
SPEC = RuleSpec(NAME, hparams=("lr",))
HPARAMS = SPEC.hparams
STATE = ()
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("theta", "θ_t ← θ_{t−1} − η g_t"),
)


def step(theta, g, state, hp):
    t = state["t"] + 1
    update = hp.lr * g
    theta = theta - update
    return theta, {**state, "t": t}, {"t": t, "g": g, "update": update, "theta": theta}
