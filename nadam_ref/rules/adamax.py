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

There is no root here: ``eps_placement="inside"`` (the default) is the box's :math:`n_t + \varepsilon`, and
``"outside"``, which would be the same numbers under a second name, is refused. ``eps_placement="max"`` is torch's
``Adamax`` and optax's ``adamax``: :math:`n_t \leftarrow \max(\nu n_{t-1}, |g_t| + \varepsilon)` and
:math:`\theta_t \leftarrow \theta_{t-1} - \eta\,\hat m_t / n_t` (one line serves both, see
:func:`nadam_ref.rules._common.max_eps`).

``m_decay`` as in :mod:`nadam_ref.rules.adam`: the box's :math:`\mu_t` (``"scheduled"``, corrected by
:math:`1-\prod_{i\le t}\mu_i`) or a constant :math:`\mu` (``"constant"``, corrected by :math:`1-\mu^t`, which
the induction :math:`m_t = (1-\mu^t)\bar g` under a constant gradient :math:`\bar g` makes unbiased).
Default :math:`\eta = 0.002` (Kingma & Ba's choice for AdaMax).
"""

from ._common import absolute, m_decay, max_eps, maximum, momentum_schedule
from ._spec import LibraryVariant, RuleSpec

NAME = "adamax"
ALGORITHM = "Section 2.3 (AdaMax)"
DEFAULT_LR = 2e-3
SPEC = RuleSpec(
    NAME, hparams=("lr", "mu", "nu", "eps", "schedule", "eps_placement", "m_decay"),
    options={"schedule": ("paper", "constant"), "eps_placement": ("inside", "max"),
             "m_decay": ("scheduled", "constant")},
    library_variants=(LibraryVariant("torch Adamax", {"schedule": "constant", "eps_placement": "max"}),
                      LibraryVariant("optax adamax", {"schedule": "constant", "eps_placement": "max"}),
                      LibraryVariant("keras 3 Adamax", {"schedule": "constant", "eps_placement": "inside"})),
    golden=("schedule", "eps_placement"))
HPARAMS = SPEC.hparams
STATE = ("m", "n")
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("m", "m_t ← μ_t m_{t−1} + (1 − μ_t) g_t"),
    ("m_hat", "m̂_t ← m_t / (1 − ∏_{i≤t} μ_i)"),
    ("n", "n_t ← max(ν n_{t−1}, |g_t|)"),
    ("theta", "θ_t ← θ_{t−1} − η m̂_t / (n_t + ε)"),
)


def step(theta, g, state, hp):
    t, mu_t, _, mu_prod, _ = schedule = momentum_schedule(state, hp)
    decay = m_decay(schedule, hp)  # (μ_t, ∏_{i≤t} μ_i) as the box prints; (μ, μ^t) under m_decay="constant"
    eps_in_max, eps = max_eps(hp)  # (0, ε) as the box prints; (ε, 0) under eps_placement="max"

    m = decay.mu * state["m"] + (1 - decay.mu) * g
    m_hat = m / (1 - decay.prod)
    n = maximum(hp.nu * state["n"], absolute(g) + eps_in_max)
    update = hp.lr * m_hat / (n + eps)
    theta = theta - update

    new_state = {"t": t, "mu_prod": mu_prod, "m": m, "n": n}
    trace = {"t": t, "mu_t": mu_t, "g": g, "m": m, "m_hat": m_hat, "n": n, "update": update, "theta": theta}
    return theta, new_state, trace
