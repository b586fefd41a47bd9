r"""Nesterov's accelerated gradient in its look-ahead form (Sutskever et al. 2013; Dozat 2016, Algorithm 3).

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla f(\theta_{t-1} - \eta\,\mu_t\, m_{t-1}) \\
   m_t &\leftarrow \mu_t\, m_{t-1} + g_t \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, m_t
   \end{aligned}

The gradient is taken at the look-ahead point, so this rule takes a *gradient function* ``grad_fn(theta)``
instead of a gradient. Its look-ahead points :math:`\phi_t = \theta_t - \eta\,\mu_{t+1}m_t` are exactly the
iterates of Algorithm 7 (:mod:`nadam_ref.rules.nag`): :math:`\phi_t = \phi_{t-1} - \eta(g_t + \mu_{t+1}m_t)`.
The box prints a constant :math:`\mu`; the schedule enters as in Algorithm 7. Default :math:`\eta = 0.01`.
"""

from ._common import momentum_schedule
from ._spec import RuleSpec

NAME = "nag_lookahead"
ALGORITHM = "Algorithm 3"
DEFAULT_LR = 0.01
SPEC = RuleSpec(
    NAME, hparams=("lr", "mu", "schedule"), options={"schedule": ("paper", "constant")}, needs_grad_fn=True,
    golden=("schedule",))
HPARAMS = SPEC.hparams
STATE = ("m",)
BOX = (
    ("lookahead", "φ_{t−1} ← θ_{t−1} − η μ_t m_{t−1}"),
    ("g", "g_t ← ∇f(φ_{t−1})"),
    ("m", "m_t ← μ_t m_{t−1} + g_t"),
    ("theta", "θ_t ← θ_{t−1} − η m_t"),
)


def lookahead_point(theta, state, hp):
    r""":math:`\theta_{t-1} - \eta\,\mu_t\, m_{t-1}`, where the next gradient is taken."""
    mu_t = hp.mu_at(state["t"] + 1)
    return theta - hp.lr * mu_t * state["m"]


def step(theta, grad_fn, state, hp):
    t, mu_t, _, mu_prod, _ = momentum_schedule(state, hp)

    lookahead = lookahead_point(theta, state, hp)
    g = grad_fn(lookahead)
    m = mu_t * state["m"] + g
    update = hp.lr * m
    theta = theta - update

    new_state = {"t": t, "mu_prod": mu_prod, "m": m}
    trace = {"t": t, "mu_t": mu_t, "lookahead": lookahead, "g": g, "m": m, "update": update, "theta": theta}
    return theta, new_state, trace
