r"""Adam (Kingma & Ba 2014; Dozat 2016, Algorithm 6), with the momentum schedule :math:`\mu_t`.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_{\theta_{t-1}} f(\theta_{t-1}) \\
   m_t &\leftarrow \mu_t\, m_{t-1} + (1 - \mu_t)\, g_t \\
   \hat m_t &\leftarrow \frac{m_t}{1 - \prod_{i=1}^{t} \mu_i} \\
   n_t &\leftarrow \nu\, n_{t-1} + (1 - \nu)\, g_t^2 \\
   \hat n_t &\leftarrow \frac{n_t}{1 - \nu^t} \\
   \theta_t &\leftarrow \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat n_t + \varepsilon}}
   \end{aligned}

The box prints a constant :math:`\mu` and :math:`1-\mu^t`; under a schedule the bias correction becomes
:math:`1-\prod_{i\le t}\mu_i`, which is :math:`1-\mu^t` again under ``schedule="constant"``.
``eps_placement="outside"`` gives Kingma & Ba's and torch's :math:`\sqrt{\hat n_t} + \varepsilon` (optax's
``adam`` with ``eps_root=0``); ``eps_root`` adds optax's second constant under the root.

``eps_placement="hat"`` is keras 3's ``Adam``, Kingma & Ba's "efficient" form
:math:`\theta_t \leftarrow \theta_{t-1} - \eta\frac{\sqrt{1-\nu^t}}{1-\mu^t}\frac{m_t}{\sqrt{n_t} + \hat\varepsilon}`
with :math:`\hat\varepsilon = \varepsilon`: the same as ``"outside"`` with :math:`\varepsilon` replaced by
:math:`\varepsilon / \sqrt{1-\nu^t}`, which is how it is written below.
``m_decay`` says what :math:`m` decays with. The default (``"scheduled"``) puts Section 4's schedule
:math:`\mu_t` into :math:`m`, as written above; Algorithm 6 itself prints the constant :math:`\mu`, which is
``m_decay="constant"``. Under a
constant gradient :math:`\bar g`, induction on :math:`m_t = \mu_t m_{t-1} + (1-\mu_t)\bar g` from :math:`m_0 = 0`
gives :math:`m_t = (1 - \prod_{i\le t}\mu_i)\,\bar g`, so the box's :math:`\hat m_t` is unbiased.
``m_decay="constant"`` is Kingma & Ba's :math:`m_t \leftarrow \mu\, m_{t-1} + (1-\mu)\, g_t`; the same induction
gives :math:`m_t = (1-\mu^t)\,\bar g`, so its consistent correction is :math:`\hat m_t = m_t / (1 - \mu^t)`, which
is what that option computes (:func:`nadam_ref.rules._common.m_decay`). Under ``schedule="constant"`` the two agree.

AMSGrad (Reddi, Kale & Kumar 2018) is ``max_n``: Adam can fail to converge because :math:`\hat n_t` may shrink, so
a rare large gradient is forgotten before its step is repaid; AMSGrad divides by the largest second moment seen so
far. The readings differ in where the bias correction goes (:func:`nadam_ref.rules._common.max_n`):

.. math::
   \texttt{"n"}:\quad n^{max}_t \leftarrow \max(n^{max}_{t-1}, n_t),\quad
   \hat n_t \leftarrow \frac{n^{max}_t}{1 - \nu^t}
   \qquad
   \texttt{"n\_hat"}:\quad \hat n_t \leftarrow \max\Big(\hat n_{t-1}, \frac{n_t}{1 - \nu^t}\Big)

with :math:`n^{max}_0 = \hat n_0 = 0`, kept in the state as ``n_max``. ``"none"`` (the default) is the box.
Reddi et al.'s Algorithm 2 keeps :math:`\hat v_t = \max(\hat v_{t-1}, v_t)` and corrects no bias; ``"n"`` is
that maximum with Adam's correction applied after it (torch's ``Adam(amsgrad=True)``, keras' ``Adam(amsgrad=True)``),
``"n_hat"`` takes the maximum of the corrected :math:`\hat n_t` (optax's ``amsgrad``). The two differ while
:math:`1-\nu^t` grows: under ``"n"`` an early maximum is divided by a growing correction and fades, under
``"n_hat"`` it is kept at full size. On a sequence whose :math:`n_t` (resp. :math:`\hat n_t`) never decreases
both are the box.

Default :math:`\eta = 0.001` (Kingma & Ba).
"""

from ._common import m_decay, max_n, momentum_schedule, root
from ._spec import LibraryVariant, RuleSpec

NAME = "adam"
ALGORITHM = "Algorithm 6"
DEFAULT_LR = 1e-3
SPEC = RuleSpec(
    NAME, hparams=("lr", "mu", "nu", "eps", "schedule", "eps_placement", "eps_root", "m_decay", "max_n"),
    options={"schedule": ("paper", "constant"), "eps_placement": ("inside", "outside", "hat"),
             "m_decay": ("scheduled", "constant"), "max_n": ("none", "n", "n_hat")},
    numeric_variants={"eps_root": 1e-8},
    library_variants=(
        LibraryVariant("torch Adam", {"schedule": "constant", "eps_placement": "outside"}),
        LibraryVariant("optax adam", {"schedule": "constant", "eps_placement": "outside"}),
        LibraryVariant("optax adam(eps=0, eps_root=ε)", {"schedule": "constant", "eps_placement": "inside"}),
        LibraryVariant("keras 3 Adam", {"schedule": "constant", "eps_placement": "hat"}),
        LibraryVariant("tf_keras 2.21 Adam and legacy.Adam, float32 hyper-parameters",
                       {"schedule": "constant", "eps_placement": "hat"}),
        LibraryVariant("tf_keras 2.21 Adam(adaptive_epsilon=True), float32 hyper-parameters",
                       {"schedule": "constant", "eps_placement": "outside"}),
        LibraryVariant("paddle 3.3 Adam", {"schedule": "constant", "eps_placement": "outside"}),
        LibraryVariant("torch Adam(amsgrad=True)", {"schedule": "constant", "eps_placement": "outside", "max_n": "n"}),
        LibraryVariant("optax amsgrad", {"schedule": "constant", "eps_placement": "outside", "max_n": "n_hat"}),
        LibraryVariant("keras 3 Adam(amsgrad=True)", {"schedule": "constant", "eps_placement": "hat", "max_n": "n"})),
    golden=("schedule", "eps_placement"), searched_later=("max_n",))
HPARAMS = SPEC.hparams
STATE = ("m", "n")
BOX = (
    ("g", "g_t ← ∇f(θ_{t−1})"),
    ("m", "m_t ← μ_t m_{t−1} + (1 − μ_t) g_t"),
    ("m_hat", "m̂_t ← m_t / (1 − ∏_{i≤t} μ_i)"),
    ("n", "n_t ← ν n_{t−1} + (1 − ν) g_t²"),
    ("n_hat", "n̂_t ← n_t / (1 − ν^t)"),
    ("theta", "θ_t ← θ_{t−1} − η m̂_t / √(n̂_t + ε)"),
)


def step(theta, g, state, hp):
    t, mu_t, _, mu_prod, _ = schedule = momentum_schedule(state, hp)
    decay = m_decay(schedule, hp)  # (μ_t, ∏_{i≤t} μ_i) as the box prints; (μ, μ^t) under m_decay="constant"
    nu = hp.nu

    m = decay.mu * state["m"] + (1 - decay.mu) * g
    m_hat = m / (1 - decay.prod)
    n = nu * state["n"] + (1 - nu) * g**2
    n_hat = n / (1 - nu**t)
    kept = {}  # AMSGrad's running maximum, when max_n keeps one
    if hp.max_n != "none":  # variant: AMSGrad, the largest n (torch, keras) or n̂ (optax) seen so far
        n_hat, kept = max_n(n, n_hat, state, hp, 1 - nu**t)
    eps = hp.eps
    if hp.eps_placement == "hat":  # variant: keras' ε̂ form, ε / √(1 − ν^t) outside the root
        eps = hp.eps / (1 - nu**t) ** 0.5
    update = hp.lr * m_hat / root(n_hat, eps, hp.eps_placement, hp.eps_root)
    theta = theta - update

    new_state = {"t": t, "mu_prod": mu_prod, "m": m, "n": n, **kept}
    trace = {"t": t, "mu_t": mu_t, "g": g, "m": m, "m_hat": m_hat, "n": n, "n_hat": n_hat, "update": update,
             "theta": theta, **kept}
    return theta, new_state, trace
