r"""MaxaProp (Dozat 2016, Section 2.3): RMSProp with the :math:`L_\infty` norm.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_{\theta_{t-1}} f(\theta_{t-1}) \\
   n_t &\leftarrow \max(\nu\, n_{t-1}, |g_t|) \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, \frac{g_t}{n_t + \varepsilon}
   \end{aligned}

The paper names it but prints no box: this is AdaMax's :math:`n_t` and update applied to :math:`g_t` instead of
:math:`\hat m_t`. No library ships it. Default :math:`\eta = 0.002`, as for AdaMax.
"""

from ._common import absolute, maximum
from ._spec import RuleSpec

NAME = "maxaprop"
ALGORITHM = "Section 2.3 (MaxaProp)"
DEFAULT_LR = 2e-3
SPEC = RuleSpec(NAME, hparams=("lr", "nu", "eps"))
HPARAMS = SPEC.hparams
STATE = ("n",)
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("n", "n_t ← max(ν n_{t−1}, |g_t|)"),
    ("theta", "θ_t ← θ_{t−1} − η g_t / (n_t + ε)"),
)


def step(theta, g, state, hp):
    t = state["t"] + 1

    n = maximum(hp.nu * state["n"], absolute(g))
    update = hp.lr * g / (n + hp.eps)
    theta = theta - update

    return theta, {**state, "t": t, "n": n}, {"t": t, "g": g, "n": n, "update": update, "theta": theta}
