r"""Classical momentum (Polyak 1964; Dozat 2016, Algorithm 2), with the momentum schedule :math:`\mu_t`.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_{\theta_{t-1}} f(\theta_{t-1}) \\
   m_t &\leftarrow \mu_t\, m_{t-1} + g_t \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, m_t
   \end{aligned}

The box prints a constant :math:`\mu`; Section 4 runs every rule under the warming schedule, so :math:`\mu_t`
enters here. ``schedule="constant"`` gives the box exactly. Default :math:`\eta = 0.01`: :math:`m` is a decaying
*sum*, up to :math:`1/(1-\mu) = 100` times the gradient.
"""

from ._common import momentum_schedule
from ._spec import LibraryVariant, RuleSpec

NAME = "momentum"
ALGORITHM = "Algorithm 2"
DEFAULT_LR = 0.01
SPEC = RuleSpec(
    NAME, hparams=("lr", "mu", "schedule"), options={"schedule": ("paper", "constant")},
    library_variants=(LibraryVariant("torch SGD(momentum=μ)", {"schedule": "constant"}),
                      LibraryVariant("optax sgd(momentum=μ)", {"schedule": "constant"}),
                      LibraryVariant("keras 3 SGD(momentum=μ)", {"schedule": "constant"})),
    golden=("schedule",))
HPARAMS = SPEC.hparams
STATE = ("m",)
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("m", "m_t ← μ_t m_{t−1} + g_t"),
    ("theta", "θ_t ← θ_{t−1} − η m_t"),
)


def step(theta, g, state, hp):
    t, mu_t, _, mu_prod, _ = momentum_schedule(state, hp)

    m = mu_t * state["m"] + g
    update = hp.lr * m
    theta = theta - update

    new_state = {"t": t, "mu_prod": mu_prod, "m": m}
    return theta, new_state, {"t": t, "mu_t": mu_t, "g": g, "m": m, "update": update, "theta": theta}
