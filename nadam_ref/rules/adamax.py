r"""AdaMax (Kingma & Ba 2014, Section 7; Dozat 2016, Section 2.3), with the momentum schedule :math:`\mu_t`.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_{\theta_{t-1}} f(\theta_{t-1}) \\
   m_t &\leftarrow \mu_t\, m_{t-1} + (1 - \mu_t)\, g_t \\
   \hat m_t &\leftarrow \frac{m_t}{1 - \prod_{i=1}^{t} \mu_i} \\
   n_t &\leftarrow \max(\nu\, n_{t-1}, |g_t|) \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, \frac{\hat m_t}{n_t + \varepsilon}
   \end{aligned}

Adam's :math:`m_t, \hat m_t`, with the :math:`L_\infty` norm in place of the :math:`L_2` one: :math:`n_t` needs no
bias correction. :math:`\varepsilon` is added to the denominator, as the paper prints it (keras' ``Adamax`` does the
same; torch and optax put it inside the max, :math:`\max(\nu n, |g| + \varepsilon)`).

There is no root here, so ``eps_placement="inside"`` (the default) and ``"outside"`` both give the box's
:math:`n_t + \varepsilon`. ``eps_placement="max"`` is torch's ``Adamax`` and optax's ``adamax``:
:math:`n_t \leftarrow \max(\nu n_{t-1}, |g_t| + \varepsilon)` and
:math:`\theta_t \leftarrow \theta_{t-1} - \eta\,\hat m_t / n_t`.
Default :math:`\eta = 0.002` (Kingma & Ba's choice for AdaMax).
"""

from ._common import absolute, maximum, momentum_schedule

NAME = "adamax"
ALGORITHM = "Section 2.3 (AdaMax)"
DEFAULT_LR = 2e-3
HPARAMS = ("lr", "mu", "nu", "eps", "schedule", "eps_placement")
EPS_PLACEMENTS = ("inside", "outside", "max")
STATE = ("m", "n")
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("m", "m_t ← μ_t m_{t−1} + (1 − μ_t) g_t"),
    ("m_hat", "m̂_t ← m_t / (1 − ∏_{i≤t} μ_i)"),
    ("n", "n_t ← max(ν n_{t−1}, |g_t|)"),
    ("theta", "θ_t ← θ_{t−1} − η m̂_t / (n_t + ε)"),
)


def step(theta, g, state, hp):
    t, mu_t, _, mu_prod, _ = momentum_schedule(state, hp)

    m = mu_t * state["m"] + (1 - mu_t) * g
    m_hat = m / (1 - mu_prod)
    n = maximum(hp.nu * state["n"], absolute(g))
    update = hp.lr * m_hat / (n + hp.eps)
    if hp.eps_placement == "max":  # variant: torch's and optax's ε inside the max
        n = maximum(hp.nu * state["n"], absolute(g) + hp.eps)
        update = hp.lr * m_hat / n
    theta = theta - update

    new_state = {"t": t, "mu_prod": mu_prod, "m": m, "n": n}
    trace = {"t": t, "mu_t": mu_t, "g": g, "m": m, "m_hat": m_hat, "n": n, "update": update, "theta": theta}
    return theta, new_state, trace
