r"""NadaMax (Dozat 2016, Section 3.2): Nadam's Nesterov momentum with AdaMax's :math:`L_\infty` norm.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_{\theta_{t-1}} f(\theta_{t-1}) \\
   \hat g_t &\leftarrow \frac{g_t}{1 - \prod_{i=1}^{t} \mu_i} \\
   m_t &\leftarrow \mu\, m_{t-1} + (1 - \mu)\, g_t \\
   \hat m_t &\leftarrow \frac{m_t}{1 - \prod_{i=1}^{t+1} \mu_i} \\
   n_t &\leftarrow \max(\nu\, n_{t-1}, |g_t|) \\
   \bar m_t &\leftarrow (1 - \mu_t)\, \hat g_t + \mu_{t+1}\, \hat m_t \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, \frac{\bar m_t}{n_t + \varepsilon}
   \end{aligned}

"AdaMax can make use of the Nesterov acceleration trick identically": Algorithm 8's :math:`\hat g, m, \hat m,
\bar m` with AdaMax's :math:`n_t` and denominator. The same readings as :mod:`nadam_ref.rules.nadam` (constant
:math:`\mu` in :math:`m_t` by default; ``m_decay="scheduled"`` for :math:`\mu_t`, the reading the box's bias
corrections are derived for, see there). Default :math:`\eta = 0.002`.

``eps_placement="max"`` moves :math:`\varepsilon` inside the max as :mod:`nadam_ref.rules.adamax` does for torch
and optax (no library ships NadaMax; the option keeps the two max-norm rules alike).
"""

from ._common import absolute, m_decay, max_eps, maximum, momentum_schedule
from ._spec import RuleSpec

NAME = "nadamax"
ALGORITHM = "Section 3.2 (NadaMax)"
DEFAULT_LR = 2e-3
SPEC = RuleSpec(
    NAME, hparams=("lr", "mu", "nu", "eps", "schedule", "eps_placement", "m_decay"),
    options={"schedule": ("paper", "constant"), "eps_placement": ("inside", "max"),
             "m_decay": ("constant", "scheduled")},
    golden=("schedule", "eps_placement"))
HPARAMS = SPEC.hparams
STATE = ("m", "n")
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("g_hat", "ĝ_t ← g_t / (1 − ∏_{i≤t} μ_i)"),
    ("m", "m_t ← μ m_{t−1} + (1 − μ) g_t"),
    ("m_hat", "m̂_t ← m_t / (1 − ∏_{i≤t+1} μ_i)"),
    ("n", "n_t ← max(ν n_{t−1}, |g_t|)"),
    ("m_bar", "m̄_t ← (1 − μ_t) ĝ_t + μ_{t+1} m̂_t"),
    ("theta", "θ_t ← θ_{t−1} − η m̄_t / (n_t + ε)"),
)


def step(theta, g, state, hp):
    t, mu_t, mu_next, mu_prod, mu_prod_next = schedule = momentum_schedule(state, hp)
    mu = m_decay(schedule, hp).mu  # μ as the box prints; μ_t under m_decay="scheduled"
    eps_in_max, eps = max_eps(hp)  # (0, ε) as the box prints; (ε, 0) under eps_placement="max"

    g_hat = g / (1 - mu_prod)
    m = mu * state["m"] + (1 - mu) * g
    m_hat = m / (1 - mu_prod_next)
    n = maximum(hp.nu * state["n"], absolute(g) + eps_in_max)
    m_bar = (1 - mu_t) * g_hat + mu_next * m_hat
    update = hp.lr * m_bar / (n + eps)
    theta = theta - update

    new_state = {"t": t, "mu_prod": mu_prod, "m": m, "n": n}
    trace = {"t": t, "mu_t": mu_t, "mu_next": mu_next, "g": g, "g_hat": g_hat, "m": m, "m_hat": m_hat, "n": n,
             "m_bar": m_bar, "update": update, "theta": theta}
    return theta, new_state, trace
