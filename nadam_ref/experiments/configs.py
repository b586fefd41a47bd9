"""The settings of every experiment at every scale, the paper's shared hyper-parameters, and the chosen η's.

Dozat (2016), Section 4: "All algorithms used ν = .999 and ε = 1e−8 [...] with a momentum schedule given by
μ_t = μ(1 − .5 × .96^{t/250}) with μ = .99 [...] Only the learning rate η differed across algorithms and
experiments. [...] All algorithms used initialization bias correction." Those are :data:`PAPER_SETTINGS`;
RMSProp's box has no bias correction, so it is switched on by its ``bias_correction`` hyper-parameter.

Scales:

* ``smoke`` — seconds per experiment; checks the whole pipeline in CI, its numbers mean nothing;
* ``class`` — the data shipped with the package, sized so that 3 experiments × 9 rules take about 15 minutes
  on 2 CPU cores;
* ``paper`` — the paper's models and full data sets (downloaded on request), GPU recommended.

The η of each rule and experiment comes from ``learning_rates.json`` (chosen by ``reproduce --tune`` at class
scale, see the README); :data:`LR_CENTRES` are the centres of that search.
"""

from __future__ import annotations

import copy
import json
from importlib import resources

from ..rules import PAPER_RULES

EXPERIMENT_NAMES = ("word2vec", "mnist", "lstm")
SCALES = ("smoke", "class", "paper")
#: The CNN's layer functions: ``nadam_ref.nn.fast`` (the default: the same numbers, faster) or the readable
#: ``nadam_ref.nn`` that the notebooks show. Part of each run's configuration, as the optimizer's ``impl`` is.
LAYERS = ("fast", "readable")

#: Section 4 of the paper: shared by every rule; only η differs.
PAPER_SETTINGS = {"mu": 0.99, "nu": 0.999, "eps": 1e-8, "schedule": "paper", "bias_correction": True}

#: Centres of the η search (``--tune``). GD's is the TensorFlow model's η (the LSTM's loss is a mean over the
#: 20 steps where TensorFlow's is a sum, so its η = 1 becomes 20 here; word2vec's sparse rows want more than
#: its 1). Momentum and NAG sum gradients (m ← μ_t m + g), so their steps are ~1/(1 − μ_t) times GD's at the
#: same η; under the warming schedule μ_t stays below .7 for the first 3,000 steps (a class run), so their
#: centre is GD's / 3. The adaptive rules start from Kingma & Ba's 1e-3, 2e-3 for the L∞ ones (as AdaMax
#: suggests), 3× that for word2vec's sparse updates.
LR_CENTRES = {
    "word2vec": {"gd": 3.0, "momentum": 1.0, "nag": 1.0, "rmsprop": 3e-3, "adam": 3e-3, "nadam": 3e-3,
                 "maxaprop": 6e-3, "adamax": 6e-3, "nadamax": 6e-3},
    "mnist": {"gd": 0.1, "momentum": 0.03, "nag": 0.03, "rmsprop": 1e-3, "adam": 1e-3, "nadam": 1e-3,
              "maxaprop": 2e-3, "adamax": 2e-3, "nadamax": 2e-3},
    "lstm": {"gd": 20.0, "momentum": 6.0, "nag": 6.0, "rmsprop": 1e-3, "adam": 1e-3, "nadam": 1e-3,
             "maxaprop": 2e-3, "adamax": 2e-3, "nadamax": 2e-3},
}

#: Every η tried is centre × factor, half a decade apart: five at paper scale, the middle three at class
#: scale; while the best lies on an edge of what was tried, the search steps on outward (at most
#: MAX_TUNE_EXTENSIONS).
TUNE_FACTORS = (0.1, 0.316, 1.0, 3.16, 10.0)
#: The seed of every tuning run. Reported runs use seeds 0 … K−1 with K below it, so η is never chosen by a
#: seed whose result is reported.
TUNE_SEED = 1000
#: What ``settings`` (an ablation) may override, for every rule: the shared hyper-parameters of Section 4,
#: the rules' options, and the warming schedule's time scale (250 steps in the paper).
SETTING_NAMES = ("mu", "nu", "eps", "eps_placement", "m_decay", "schedule", "schedule_timescale")
CLASS_TUNE_FACTORS = TUNE_FACTORS[1:4]
MAX_TUNE_EXTENSIONS = 2

# Sizes at `class` scale are set from measured step times on 2 shared cores (see README): about 25 s of
# training and evaluation per rule and experiment. `model_settings` override single settings of the model
# size.
_CONFIGS = {
    "mnist": {
        "smoke": {
            "model": "class",
            "model_settings": {"conv1": 2, "conv2": 4, "fc": 8},
            "data": "shipped",
            "train_examples": 200,
            "valid_examples": 100,
            "test_examples": 100,
            "batch_size": 50,
            "epochs": 2,
            "lr_decay": 0.9,
            "tune": {"epochs": 1, "factors": [1.0, 10.0], "refine": True},
        },
        "class": {
            "model": "class",
            "data": "shipped",
            "train_examples": None,  # all 8,000 of the shipped split
            "valid_examples": None,
            "test_examples": None,
            "batch_size": 50,
            "epochs": 3,
            "lr_decay": 0.9,
            "tune": {"epochs": 1, "factors": list(CLASS_TUNE_FACTORS), "refine": True},
        },
        "paper": {
            "model": "paper",
            "data": "full",
            "train_examples": None,
            "valid_examples": None,
            "test_examples": None,
            "batch_size": 64,  # TensorFlow's convolutional.py
            "epochs": 20,
            "lr_decay": 0.9,
            "tune": {"epochs": 2, "factors": list(TUNE_FACTORS), "refine": True},
        },
    },
    "lstm": {
        "smoke": {
            "model": "class",
            "model_settings": {"hidden": 8},
            "corpus": "tinyshakespeare",
            "vocab_size": 200,
            "train_tokens": 2000,
            "valid_tokens": 500,
            "test_tokens": 500,
            "batch_size": 5,
            "num_steps": 10,
            "epochs": 2,
            "clip_norm": 0.25,
            "decay_after": 1,
            "lr_decay": 0.5,
            "tune": {"epochs": 1, "factors": [1.0, 10.0], "refine": True},
        },
        "class": {
            "model": "class",
            "corpus": "tinyshakespeare",
            "vocab_size": 3000,
            "train_tokens": None,  # all of Tiny Shakespeare's training split
            "valid_tokens": None,
            "test_tokens": None,
            "batch_size": 20,
            "num_steps": 20,
            "epochs": 3,
            "clip_norm": 0.25,
            "decay_after": 2,
            "lr_decay": 0.5,
            # five η a rule: after one epoch the validation perplexity over η has two dips, and three
            # points plus the edge walk can settle in the worse one (Nadam did, at 3e-4)
            "tune": {"epochs": 1, "factors": list(TUNE_FACTORS), "refine": True},
        },
        "paper": {
            "model": "paper",
            "corpus": "ptb",
            "vocab_size": 10000,
            "train_tokens": None,
            "valid_tokens": None,
            "test_tokens": None,
            "batch_size": 20,
            "num_steps": 20,
            "epochs": 13,
            "clip_norm": 0.25,
            "decay_after": 4,
            "lr_decay": 0.5,
            "tune": {"epochs": 2, "factors": list(TUNE_FACTORS), "refine": True},
        },
    },
    "word2vec": {
        "smoke": {
            "model": "class",
            "model_settings": {"dim": 8, "noise": 4},
            "corpus": "tinyshakespeare",
            "vocab_size": 1000,
            "train_tokens": 3000,
            "window": 1,
            "eval_pairs": 500,
            "batch_size": 128,
            "batches_per_epoch": 20,
            "epochs": 2,
            "tune": {"epochs": 1, "factors": [1.0, 10.0], "refine": True},
        },
        "class": {
            "model": "class",
            "corpus": "tinyshakespeare",
            "vocab_size": 3000,
            "train_tokens": None,
            "window": 1,
            "eval_pairs": None,  # all of them (≈ 20k a split)
            "batch_size": 128,
            "batches_per_epoch": 1000,
            "epochs": 3,
            "tune": {"epochs": 1, "factors": list(CLASS_TUNE_FACTORS), "refine": True},
        },
        "paper": {
            "model": "paper",
            "corpus": "text8",
            "vocab_size": 50000,
            "train_tokens": None,
            "window": 1,
            "eval_pairs": 100000,  # a fixed sample of the ≈ 1.7M
            "batch_size": 128,
            "batches_per_epoch": None,
            "epochs": 1,
            "tune": {"epochs": 1, "factors": list(TUNE_FACTORS), "refine": True},
        },
    },
}


def check_request(experiments, scale, rules, seeds, first_seed: int = 0) -> None:
    """ValueError naming the bad value for an unknown experiment, scale or rule, or a bad seed count or first
    seed (the seeds ``first_seed … first_seed+seeds-1`` must stay below :data:`TUNE_SEED`)."""
    for name in experiments:
        if name not in _CONFIGS:
            raise ValueError(
                f"unknown experiment {name!r}; expected one of {', '.join(EXPERIMENT_NAMES)} or all"
            )
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    for rule in rules:
        if rule not in PAPER_RULES:
            raise ValueError(
                f"unknown rule {rule!r} for the paper's experiments; expected some of "
                f"{', '.join(PAPER_RULES)}"
            )
    if not experiments or not rules:
        raise ValueError("nothing to run: give at least one experiment and one rule")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= TUNE_SEED:
        raise ValueError(f"seeds={seeds!r}; expected an integer from 1 to {TUNE_SEED} (seed {TUNE_SEED} tunes η)")
    if isinstance(first_seed, bool) or not isinstance(first_seed, int) or not 0 <= first_seed <= TUNE_SEED - seeds:
        raise ValueError(f"first_seed={first_seed!r} with seeds={seeds}; expected an integer from 0 to "
                         f"{TUNE_SEED - seeds}, so that no reported seed reaches the tuning seed {TUNE_SEED}")


def check_settings(settings: dict) -> dict:
    """``settings`` as plain values; ValueError naming a name not in :data:`SETTING_NAMES` or a bad time scale.
    Whether a rule reads a setting is the rule's to say (the optimizer refuses one it does not read)."""
    unknown = sorted(set(settings) - set(SETTING_NAMES))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; expected some of {', '.join(SETTING_NAMES)}")
    timescale = settings.get("schedule_timescale")
    if timescale is not None and not (isinstance(timescale, (int, float)) and timescale > 0):
        raise ValueError(f"schedule_timescale={timescale!r}; expected a number of steps > 0")
    if timescale is not None and settings.get("schedule", "paper") != "paper":
        raise ValueError("schedule_timescale rescales the paper's warming schedule; it cannot go with "
                         f"schedule={settings['schedule']!r}")
    return dict(settings)


def check_epochs(epochs) -> int:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs={epochs!r}; expected an integer >= 1")
    return epochs


def get(experiment: str, scale: str) -> dict:
    """A copy of the configuration of ``experiment`` at ``scale``."""
    check_request([experiment], scale, PAPER_RULES, 1)
    return copy.deepcopy(_CONFIGS[experiment][scale])


def lr_factor(cfg: dict, epoch: int) -> float:
    r"""The annealing factor of η in epoch ``epoch`` (0-based).

    MNIST: :math:`\text{decay}^{\text{epoch}}` every epoch (the TensorFlow model decays by .95 per epoch; the
    paper "modified [it] to decay faster", we use .9). LSTM: the TensorFlow PTB model's
    :math:`\text{decay}^{\max(0,\ \text{epoch} + 1 - \text{decay\_after})}` (0.5 after epoch 4 at paper
    scale); its gradient clipping ``clip_norm`` is TensorFlow's 5 divided by the 20 steps its loss sums over
    and ours averages. word2vec: constant.
    """
    decay = cfg.get("lr_decay")
    if decay is None:
        return 1.0
    return decay ** max(0, epoch + 1 - cfg.get("decay_after", 1))


def learning_rates(experiment: str, rules=PAPER_RULES, path=None) -> dict:
    """The committed η per rule for ``experiment`` (from ``learning_rates.json``), or from ``path``, a file in
    the same format (a run's ``tuning.json``). KeyError naming what is missing."""
    document = _committed() if path is None else json.loads(open(path, encoding="utf-8").read())
    chosen = document["chosen"].get(experiment, {})
    missing = [rule for rule in rules if rule not in chosen]
    if missing:
        raise KeyError(f"{path or 'learning_rates.json'} has no η for {experiment} {', '.join(missing)}")
    return {rule: float(chosen[rule]) for rule in rules}


def _committed() -> dict:
    text = (
        resources.files("nadam_ref.experiments").joinpath("learning_rates.json").read_text(encoding="utf-8")
    )
    return json.loads(text)
