"""``nadam-ref rules``: every rule with its paper reference, hyper-parameters, default η, options, library variants and
box, all read from the rule's declaration (:func:`nadam_ref.rules.spec`)."""

from __future__ import annotations

import json

from .. import rules


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--boxes", action="store_true", help="also print each rule's algorithm box")
    parser.add_argument("--variants", action="store_true",
                        help="also print every variant (the option sets the parity tests run)")


def describe(name: str) -> dict:
    module, spec = rules.get(name), rules.spec(name)
    defaults = {k: v for k, v in rules.PAPER_DEFAULTS.items() if k in spec.hparams}
    return {
        "rule": name,
        "paper": module.ALGORITHM,
        "default_lr": module.DEFAULT_LR,
        "hparams": list(spec.hparams),
        "defaults": {**defaults, **spec.defaults()},
        "options": {k: list(v) for k, v in spec.options.items()},
        "numeric_variants": dict(spec.numeric_variants),
        "library_variants": [{"library": v.library, "hparams": v.hparams} for v in spec.library_variants],
        "variants": rules.variants(name),
        "state": list(module.STATE),
        "takes": "grad_fn" if spec.needs_grad_fn else "gradient",
        "box": [text for _, text in module.BOX],
    }


def run(args) -> int:
    rows = [describe(name) for name in rules.RULES]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(f"{'rule':<14} {'paper':<22} {'default η':>9}  hyper-parameters (defaults; other values offered)")
    for row in rows:
        print(f"{row['rule']:<14} {row['paper']:<22} {row['default_lr']:>9g}  {_hparams(row)}")
        for library in row["library_variants"]:
            options = ", ".join(f"{k}={v!r}" for k, v in library["hparams"].items()) or "the defaults"
            print(f"{'':<16}{library['library']}: {options}")
        if args.variants:
            for variant in row["variants"]:
                print(f"{'':<16}variant: {', '.join(f'{k}={v!r}' for k, v in variant.items()) or '(none)'}")
        if args.boxes:
            for line in row["box"]:
                print(f"{'':<16}{line}")
    print("\nDefaults everywhere: ν = 0.999, ε = 1e-8 inside the root, μ = 0.99 with the paper's warming schedule "
          "μ_t = μ(1 − ½·0.96^(t/250)). A hyper-parameter a rule does not read is an error.")
    return 0


def _hparams(row) -> str:
    parts = []
    for k in row["hparams"][1:]:
        text = f"{k}={row['defaults'][k]!r}" if k in row["defaults"] else k
        others = [repr(v) for v in row["options"].get(k, [])[1:]]
        others += ["any ≥ 0"] if k in row["numeric_variants"] else []
        parts.append(text + (f" ({' | '.join(others)})" if others else ""))
    return ", ".join(parts)
