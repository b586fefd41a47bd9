"""2D loss surfaces on which the rules race: the functions, the race, its learning-rate policy, its pictures.

* :mod:`.functions` — six surfaces with analytic gradients, minima, plot windows and starts (:data:`SURFACES`);
* :mod:`.race` — every rule from one start via :func:`nadam_ref.trajectory.iterate`, stopped at divergence;
* :mod:`.lr_policy` — only η differs between rules, chosen per surface by a small grid search (shipped as JSON);
* :mod:`.plots` — the animation (GIF or notebook HTML), its last frame, the loss curves;
* :mod:`.notebook_helpers` — update fields, momentum schedules, bias corrections, effective step sizes,
  and the convergence-rate map of momentum on a quadratic.

Import :mod:`.lr_policy` directly (``python -m nadam_ref.surfaces.lr_policy`` runs it). Matplotlib is imported
only by :mod:`.plots` and :mod:`.notebook_helpers`.
"""

from .functions import SURFACES, Surface, UnknownSurfaceError, get_surface
from .race import RACE_HPARAMS, RulePath, race, run_rule, summarize

__all__ = ["SURFACES", "Surface", "UnknownSurfaceError", "get_surface", "RACE_HPARAMS",
           "RulePath", "race", "run_rule", "summarize"]
