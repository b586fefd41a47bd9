"""What the README shows that code can make: its conventions table and its race GIF.

* ``python -m tools.readme`` writes the conventions table, generated from the rules' declarations
  (:attr:`nadam_ref.rules.RuleSpec.hparams` and ``options``: who reads each hyper-parameter, its values and each
  rule's default), between the two ``conventions`` markers of ``README.md``; ``--check`` writes nothing and exits 1
  when the README's table is out of date (a test runs it). A hyper-parameter a rule declares without a line in
  :data:`MEANINGS` is an error, so a new option cannot reach the package without reaching the README.
* ``python -m tools.readme --gif`` draws ``docs/images/race.gif``: the race of ``nadam-ref race`` (the paper's nine
  rules on Rosenbrock with the shipped η), smaller than the demo's, for the README's first screen.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nadam_ref import rules
from nadam_ref._io import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
GIF = ROOT / "docs" / "images" / "race.gif"
BEGIN, END = "<!-- conventions: begin (python -m tools.readme) -->", "<!-- conventions: end -->"

#: Each hyper-parameter's symbol and meaning; what reads it, its values and defaults come from the declarations.
MEANINGS = {
    "lr": ("η", "learning rate"),
    "mu": ("μ", "momentum"),
    "schedule": ("μ_t", '`"paper"`: μ_t = μ(1 − ½·0.96^{t/250}); `"constant"`: μ_t = μ; `"keras"`: keras 3\'s '
                        "μ(1 − ½·0.96ᵗ); or a callable t → μ_t"),
    "nu": ("ν", "decay of the squared-gradient average"),
    "eps": ("ε", "keeps the denominator from vanishing"),
    "eps_placement": ("", '`"inside"` the root, √(n̂ + ε), as the paper prints; `"outside"`, √n̂ + ε, as torch; '
                          '`"hat"`: √n̂ + ε/√(1 − νᵗ), Adam\'s ε̂ form, as keras; `"max"`: ε inside AdaMax\'s max, '
                          "as torch and optax"),
    "bias_correction": ("", "divide n by 1 − νᵗ, as the paper's experiments did (Algorithm 5 does not print it)"),
    "eps_root": ("", "optax's second constant under the root, √(n̂ + ε_root) (0: the paper)"),
    "n0": ("n₀", "AdaGrad's starting accumulator (0.1 by default in optax and keras, 0 in torch)"),
    "m_decay": ("", 'what m decays with: `"scheduled"`, μ_t (Section 4\'s schedule put into Adam\'s m, with '
                    '1 − ∏ μ_i as its correction); `"constant"`, μ (Algorithms 6 and 8 as printed, corrected by '
                    '1 − μᵗ)'),
    "m_hat_correction": ("", 'Nadam\'s m̂ divided by 1 − ∏_{i≤t+1} μ_i (`"next"`, the box) or by '
                             '1 − ∏_{i≤t} μ_i (`"current"`: TF1, timm\'s NAdamW)'),
    "max_n": ("", 'AMSGrad (Reddi et al. 2018): `"none"`, the box; `"n"`, the running max of n divided by 1 − νᵗ '
                  '(torch\'s and keras\' `Adam(amsgrad=True)`); `"n_hat"`, the running max of n̂ (optax\'s '
                  '`amsgrad`)'),
}


def _value(v) -> str:
    return f'`"{v}"`' if isinstance(v, str) else f"`{v}`"


def conventions_table() -> str:
    """The Markdown table of every hyper-parameter a rule declares, in :data:`rules.HPARAM_NAMES` order."""
    declared = [name for name in rules.HPARAM_NAMES if any(name in rules.spec(r).hparams for r in rules.RULES)]
    missing = [name for name in declared if name not in MEANINGS]
    if missing:
        raise KeyError(f"hyper-parameter(s) {missing} are declared by a rule but have no meaning in "
                       "tools/readme.py MEANINGS: add one")
    lines = ["| symbol | code | meaning | read by | default (values) |", "| --- | --- | --- | --- | --- |"]
    for name in declared:
        symbol, meaning = MEANINGS[name]
        readers = [r for r in rules.RULES if name in rules.spec(r).hparams]
        lines.append(f"| {symbol} | `{name}` | {meaning} | {_readers(readers)} | {_defaults(name, readers)} |")
    return "\n".join(lines)


def _readers(readers) -> str:
    return "every rule" if len(readers) == len(rules.RULES) else ", ".join(readers)


def _defaults(name: str, readers) -> str:
    """The default each reader takes (grouped when they differ) and, for an option, its allowed values."""
    if name == "lr":
        return "per rule (`nadam-ref rules`)"
    by_default: dict = {}
    values: dict = {}
    for rule in readers:
        options = rules.spec(rule).options.get(name)
        default = options[0] if options else rules.PAPER_DEFAULTS.get(name)
        by_default.setdefault(default, []).append(rule)
        values.update(dict.fromkeys(options or ()))
    if len(by_default) == 1:
        text = _value(next(iter(by_default)))
    else:
        text = "; ".join(f"{', '.join(who)}: {_value(default)}" for default, who in by_default.items())
    return text + (f" ({', '.join(_value(v) for v in values)})" if values else "")


def with_table(readme: str) -> str:
    """``readme`` with the text between the markers replaced by :func:`conventions_table`."""
    try:
        head, rest = readme.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
    except ValueError:
        raise ValueError(f"README.md lacks the markers {BEGIN!r} … {END!r}") from None
    return f"{head}{BEGIN}\n{conventions_table()}\n{END}{tail}"


def draw_gif(path: Path = GIF) -> int:
    """The README's race: the paper's nine rules on Rosenbrock, shipped η, 60 frames at 64 dpi (819 × 461 px)."""
    from nadam_ref.surfaces import get_surface, plots
    from nadam_ref.surfaces.files import RACE_RULES, race_learning_rates
    from nadam_ref.surfaces.race import race

    surface = get_surface("rosenbrock")
    lrs, _ = race_learning_rates(surface, list(RACE_RULES), surface.steps)
    path.parent.mkdir(parents=True, exist_ok=True)
    return plots.save_gif(surface, race(surface, lrs, surface.steps), surface.steps, path, frames=60, dpi=64)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.readme", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the table is out of date")
    parser.add_argument("--gif", action="store_true", help=f"draw {GIF.relative_to(ROOT)} instead")
    args = parser.parse_args(argv)
    if args.gif:
        print(f"wrote {GIF.relative_to(ROOT)}: {draw_gif()} frames")
        return 0
    text = README.read_text(encoding="utf-8")
    wanted = with_table(text)
    if text == wanted:
        print("README.md: the conventions table is up to date")
        return 0
    if args.check:
        print("README.md: the conventions table is out of date; run python -m tools.readme", file=sys.stderr)
        return 1
    atomic_write_text(README, wanted)
    print("README.md: wrote the conventions table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
