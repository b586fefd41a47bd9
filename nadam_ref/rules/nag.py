r"""Nesterov's accelerated gradient, rewritten (Dozat 2016, Algorithm 7).

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_{\theta_{t-1}} f(\theta_{t-1}) \\
   m_t &\leftarrow \mu_t\, m_{t-1} + g_t \\
   \bar m_t &\leftarrow g_t + \mu_{t+1}\, m_t \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, \bar m_t
   \end{aligned}

:math:`\bar m_t` holds this step's gradient and *next* step's momentum :math:`\mu_{t+1} m_t`, applied now
instead of before the next gradient. The iterates are the look-ahead points
:math:`\phi_t = \theta_t - \eta\mu_{t+1}m_t` of Algorithm 3 (:mod:`nadam_ref.rules.nag_lookahead`).
With a constant :math:`\mu` this is torch's ``SGD(momentum=mu, nesterov=True)`` and optax's
``sgd(momentum=mu, nesterov=True)``. Default :math:`\eta = 0.01`, as for momentum.
"""

from ._common import momentum_schedule
from ._spec import LibraryVariant, RuleSpec

NAME = "nag"
ALGORITHM = "Algorithm 7"
DEFAULT_LR = 0.01
SPEC = RuleSpec(
    NAME, hparams=("lr", "mu", "schedule"), options={"schedule": ("paper", "constant")},
    library_variants=(LibraryVariant("torch SGD(momentum=μ, nesterov=True)", {"schedule": "constant"}),
                      LibraryVariant("optax sgd(momentum=μ, nesterov=True)", {"schedule": "constant"}),
                      LibraryVariant("keras 3 SGD(momentum=μ, nesterov=True)", {"schedule": "constant"})),
    golden=("schedule",))
HPARAMS = SPEC.hparams
STATE = ("m",)
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("m", "m_t ← μ_t m_{t−1} + g_t"),
    ("m_bar", "m̄_t ← g_t + μ_{t+1} m_t"),
    ("theta", "θ_t ← θ_{t−1} − η m̄_t"),
)


def step(theta, g, state, hp):
    t, mu_t, mu_next, mu_prod, _ = momentum_schedule(state, hp)

    m = mu_t * state["m"] + g
    m_bar = g + mu_next * m
    update = hp.lr * m_bar
    theta = theta - update

    new_state = {"t": t, "mu_prod": mu_prod, "m": m}
    trace = {"t": t, "mu_t": mu_t, "mu_next": mu_next, "g": g, "m": m, "m_bar": m_bar, "update": update,
             "theta": theta}
    return theta, new_state, trace
