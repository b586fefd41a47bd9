r"""Nadam: Nesterov-accelerated adaptive moment estimation (Dozat 2016, Algorithm 8).

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_{\theta_{t-1}} f(\theta_{t-1}) \\
   \hat g_t &\leftarrow \frac{g_t}{1 - \prod_{i=1}^{t} \mu_i} \\
   m_t &\leftarrow \mu\, m_{t-1} + (1 - \mu)\, g_t \\
   \hat m_t &\leftarrow \frac{m_t}{1 - \prod_{i=1}^{t+1} \mu_i} \\
   n_t &\leftarrow \nu\, n_{t-1} + (1 - \nu)\, g_t^2 \\
   \hat n_t &\leftarrow \frac{n_t}{1 - \nu^t} \\
   \bar m_t &\leftarrow (1 - \mu_t)\, \hat g_t + \mu_{t+1}\, \hat m_t \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, \frac{\bar m_t}{\sqrt{\hat n_t + \varepsilon}}
   \end{aligned}

Read literally. Two places where the paper could be read otherwise, and what we chose:

* :math:`m_t` decays with the *constant* :math:`\mu`, exactly as the box prints it (``m_decay="constant"``, the
  default), while :math:`\bar m_t` and the bias corrections use the schedule. torch's ``NAdam`` and keras'
  ``Nadam`` do the same (constant :math:`\beta_1`). ``m_decay="scheduled"`` is the other reading,
  :math:`m_t \leftarrow \mu_t m_{t-1} + (1-\mu_t) g_t`, and the one the box's corrections are derived for:
  under a constant gradient :math:`\bar g` it gives :math:`m_t = (1-\prod_{i\le t}\mu_i)\bar g`, so
  :math:`m_t/(1-\prod_{i\le t}\mu_i)` is unbiased; the next step's unbiased estimate is
  :math:`[\mu_{t+1} m_t + (1-\mu_{t+1}) g_{t+1}] / (1-\prod_{i\le t+1}\mu_i)`, whose momentum part is
  :math:`\mu_{t+1}\hat m_t` with the box's :math:`\hat m_t = m_t/(1-\prod_{i\le t+1}\mu_i)`, and Nesterov's
  trick puts this step's gradient term :math:`(1-\mu_t)\hat g_t` beside it. So the box's corrections stay as
  printed under both readings. Under the constant decay, :math:`m_t = (1-\mu^t)\bar g`, and the box's
  :math:`\hat m_t/\bar g = (1-\mu^t)/(1-\prod_{i\le t+1}\mu_i)` is about 0.01 at :math:`t = 1` and reaches 1
  only as the schedule's product dies out: the literal box (and torch, keras) is biased early. Under
  ``schedule="constant"`` the two readings are the same numbers.
* :math:`\varepsilon` sits inside the root, as printed. ``eps_placement="outside"`` gives
  :math:`\sqrt{\hat n_t} + \varepsilon`, which torch, keras and optax (with ``eps_root=0``) compute;
  ``eps_root`` adds optax's second constant under the root, :math:`\sqrt{\hat n_t + \varepsilon_{root}} +
  \varepsilon`.

Two variants exist only because libraries compute them (both off by default):

* ``m_hat_correction="current"`` divides :math:`m_t` by :math:`1 - \prod_{i\le t}\mu_i` (this step's product)
  instead of the box's :math:`1 - \prod_{i\le t+1}\mu_i`. With a constant :math:`\mu` the step is then
  :math:`\bar m_t = (\mu m_t + (1-\mu) g_t)/(1-\mu^t)`: Adam's update with Nesterov's look-ahead, as TensorFlow 1's
  ``ApplyAdam(use_nesterov=True)`` (``tf.contrib.opt.NadamOptimizer``), timm 1.0's ``NAdamW`` and
  pytorch-optimizer 4.1's ``AdamP(nesterov=True)`` compute it.
* ``eps_placement="hat"`` is Adam's :math:`\hat\varepsilon` form (see :mod:`nadam_ref.rules.adam`),
  :math:`\sqrt{\hat n_t} + \varepsilon/\sqrt{1-\nu^t}`: TF1's ``ApplyAdam(use_nesterov=True)`` and
  pytorch-optimizer 4.1's ``AdamP(nesterov=True)``.

AMSGrad's maximum (Reddi et al. 2018) is ``max_n``, as in :mod:`nadam_ref.rules.adam`: ``"n"`` keeps
:math:`n^{max}_t = \max(n^{max}_{t-1}, n_t)` and divides it by :math:`1-\nu^t`, ``"n_hat"`` keeps
:math:`\hat n_t = \max(\hat n_{t-1}, n_t/(1-\nu^t))`; ``"none"`` is the box. No library we know offers it for
Nadam (torch's ``NAdam`` and keras' ``Nadam`` have no ``amsgrad``): it is here to ask whether Nadam inherits Adam's
non-convergence (notebook 06).

The schedule: torch's ``NAdam`` is ``"paper"`` (its ``momentum_decay`` 0.004 = 1/250), keras 3's ``Nadam`` is
``"keras"`` (:math:`0.96^t`), optax's ``nadam`` is ``"constant"``. See :mod:`nadam_ref.schedules`.

Default :math:`\eta = 0.002` (the value keras and Dozat's own code default to).
"""

from ._common import m_decay, max_n, momentum_schedule, root
from ._spec import LibraryVariant, RuleSpec

NAME = "nadam"
ALGORITHM = "Algorithm 8"
DEFAULT_LR = 2e-3
SPEC = RuleSpec(
    NAME, hparams=("lr", "mu", "nu", "eps", "schedule", "eps_placement", "eps_root", "m_decay", "m_hat_correction",
                   "max_n"),
    options={"schedule": ("paper", "constant", "keras"), "eps_placement": ("inside", "outside", "hat"),
             "m_decay": ("constant", "scheduled"), "m_hat_correction": ("next", "current"),
             "max_n": ("none", "n", "n_hat")},
    numeric_variants={"eps_root": 1e-8},
    library_variants=(
        LibraryVariant("torch NAdam", {"schedule": "paper", "eps_placement": "outside"}),
        LibraryVariant("optax nadam", {"schedule": "constant", "eps_placement": "outside"}),
        LibraryVariant("optax nadam(eps=0, eps_root=ε)", {"schedule": "constant", "eps_placement": "inside"}),
        LibraryVariant("keras 3 Nadam", {"schedule": "keras", "eps_placement": "outside"}),
        LibraryVariant("timm 1.0 NAdamW(weight_decay=0)",
                       {"schedule": "constant", "eps_placement": "outside", "m_hat_correction": "current"}),
        LibraryVariant("pytorch_optimizer 4.1 AdamP(nesterov=True); TF1 ApplyAdam(use_nesterov=True) (transcribed)",
                       {"schedule": "constant", "eps_placement": "hat", "m_hat_correction": "current"}),
        LibraryVariant("timm 1.0 NAdamLegacy", {"schedule": "paper", "eps_placement": "outside"}),
        LibraryVariant("pytorch_optimizer 4.1 load_optimizer('nadam'), which is torch's NAdam",
                       {"schedule": "paper", "eps_placement": "outside"}),
        LibraryVariant("mxnet 1.9 Nadam", {"schedule": "paper", "eps_placement": "outside"})),
    golden=("schedule", "eps_placement"), searched_later=("max_n",))
HPARAMS = SPEC.hparams
STATE = ("m", "n")
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("g_hat", "ĝ_t ← g_t / (1 − ∏_{i≤t} μ_i)"),
    ("m", "m_t ← μ m_{t−1} + (1 − μ) g_t"),
    ("m_hat", "m̂_t ← m_t / (1 − ∏_{i≤t+1} μ_i)"),
    ("n", "n_t ← ν n_{t−1} + (1 − ν) g_t²"),
    ("n_hat", "n̂_t ← n_t / (1 − ν^t)"),
    ("m_bar", "m̄_t ← (1 − μ_t) ĝ_t + μ_{t+1} m̂_t"),
    ("theta", "θ_t ← θ_{t−1} − η m̄_t / √(n̂_t + ε)"),
)


def step(theta, g, state, hp):
    t, mu_t, mu_next, mu_prod, mu_prod_next = schedule = momentum_schedule(state, hp)
    mu = m_decay(schedule, hp).mu  # μ as the box prints; μ_t under m_decay="scheduled"
    nu = hp.nu

    g_hat = g / (1 - mu_prod)
    m = mu * state["m"] + (1 - mu) * g
    m_hat = m / (1 - mu_prod_next)
    if hp.m_hat_correction == "current":  # variant: TF1 ApplyAdam(use_nesterov), timm NAdamW: this step's product
        m_hat = m / (1 - mu_prod)
    n = nu * state["n"] + (1 - nu) * g**2
    n_hat = n / (1 - nu**t)
    kept = {}  # AMSGrad's running maximum, when max_n keeps one
    if hp.max_n != "none":  # variant: AMSGrad, the largest n (torch, keras) or n̂ (optax) seen so far
        n_hat, kept = max_n(n, n_hat, state, hp, 1 - nu**t)
    m_bar = (1 - mu_t) * g_hat + mu_next * m_hat
    eps = hp.eps
    if hp.eps_placement == "hat":  # variant: Adam's ε̂ form, ε / √(1 − ν^t) outside the root
        eps = hp.eps / (1 - nu**t) ** 0.5
    update = hp.lr * m_bar / root(n_hat, eps, hp.eps_placement, hp.eps_root)
    theta = theta - update

    new_state = {"t": t, "mu_prod": mu_prod, "m": m, "n": n, **kept}
    trace = {"t": t, "mu_t": mu_t, "mu_next": mu_next, "g": g, "g_hat": g_hat, "m": m, "m_hat": m_hat, "n": n,
             "n_hat": n_hat, "m_bar": m_bar, "update": update, "theta": theta, **kept}
    return theta, new_state, trace
