"""The one declaration of each rule: what it reads, which variants it has, which libraries those variants map.

Every rule module defines ``SPEC = RuleSpec(...)``. Everything that enumerates variants (the fused parity tests,
the golden vectors, the cross-check harness, ``nadam-ref rules``) reads it through :func:`variants` and
:func:`golden_variants`, so a new option is tested and written out without anyone remembering a second list.

    >>> from nadam_ref import rules
    >>> rules.spec("adagrad").numeric_variants
    {'n0': 0.1}
    >>> rules.variants("adagrad")[:2]
    [{'eps_placement': 'inside'}, {'eps_placement': 'inside', 'n0': 0.1}]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LibraryVariant:
    """An option set that maps one library's optimizer exactly (η, μ, ν, ε are given as the library's own)."""

    library: str  # e.g. "torch NAdam", "optax nadam", "keras 3 Nadam"
    hparams: dict  # the nadam_ref hyper-parameters that reproduce it, e.g. {"eps_placement": "outside"}


@dataclass(frozen=True)
class RuleSpec:
    """What one rule is.

    ``hparams``: the hyper-parameters it reads (any other is an error). ``options``: each discrete option and its
    allowed values, the default first (the box as printed, except ``m_decay`` of Adam and AdaMax, whose default
    puts the schedule's μ_t into m where Algorithm 6 prints μ). ``numeric_variants``: a non-default test value for each
    numeric option that exists to express a library (its default reproduces the paper). ``golden``: the options and
    numeric variants the committed golden vectors vary (the others stay at their defaults there).
    ``searched_later``: options that change the algorithm rather than read its box another way (AMSGrad's
    ``max_n``); :func:`nadam_ref.crosscheck.identify` tries their other values only when no variant at their
    defaults reproduces the target. Every other consumer (parity, ``variants``) takes them like any option.
    """

    name: str
    hparams: tuple[str, ...]
    options: dict[str, tuple] = field(default_factory=dict)
    numeric_variants: dict[str, float] = field(default_factory=dict)
    needs_grad_fn: bool = False
    library_variants: tuple[LibraryVariant, ...] = ()
    golden: tuple[str, ...] = ()
    searched_later: tuple[str, ...] = ()

    def __post_init__(self):
        unread = sorted((set(self.options) | set(self.numeric_variants) | set(self.golden)) - set(self.hparams))
        if set(self.searched_later) - set(self.options):
            raise ValueError(f"rule {self.name!r}: searched_later {self.searched_later} names options it does not "
                             f"declare ({sorted(self.options)})")
        if unread:
            raise ValueError(f"rule {self.name!r} declares {unread}, which are not among its hparams {self.hparams}")
        for library in self.library_variants:
            for key, value in library.hparams.items():
                if key not in self.hparams or (key in self.options and value not in self.options[key]):
                    raise ValueError(f"rule {self.name!r}: {library.library} maps to {key}={value!r}, "
                                     "which the rule does not declare")

    def defaults(self) -> dict:
        """The default of every discrete option (see the class docstring for the one that is not as printed)."""
        return {name: values[0] for name, values in self.options.items()}


def _axes(spec: RuleSpec, names) -> list[list[tuple[str, object]]]:
    """Each option's values, and each numeric variant as (absent, present), as lists of (name, value) pairs."""
    axes = []
    for name in names:
        if name in spec.options:
            axes.append([(name, value) for value in spec.options[name]])
        else:
            axes.append([None, (name, spec.numeric_variants[name])])
    return axes


def _product(axes) -> list[dict]:
    return [dict(pair for pair in combination if pair is not None) for combination in itertools.product(*axes)]


def spec_variants(spec: RuleSpec) -> list[dict]:
    """Every combination of every option's values, each with no numeric variant or one of them."""
    numeric = [[None]] if not spec.numeric_variants else [[None, *((k, v) for k, v in spec.numeric_variants.items())]]
    return _product(_axes(spec, spec.options) + numeric)


def spec_golden_variants(spec: RuleSpec) -> list[dict]:
    """The variants the golden vectors hold: the product over :attr:`RuleSpec.golden`, in its order."""
    return _product(_axes(spec, spec.golden))
