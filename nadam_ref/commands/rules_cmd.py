"""``nadam-ref rules``: every rule with its paper reference, hyper-parameters, default η and box."""

from __future__ import annotations

import json

from .. import rules


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--boxes", action="store_true", help="also print each rule's algorithm box")


def describe(name: str) -> dict:
    module = rules.get(name)
    defaults = {k: v for k, v in rules.PAPER_DEFAULTS.items() if k in module.HPARAMS}
    return {
        "rule": name,
        "paper": module.ALGORITHM,
        "default_lr": module.DEFAULT_LR,
        "hparams": list(module.HPARAMS),
        "defaults": defaults,
        "state": list(module.STATE),
        "takes": "grad_fn" if getattr(module, "NEEDS_GRAD_FN", False) else "gradient",
        "box": [text for _, text in module.BOX],
    }


def run(args) -> int:
    rows = [describe(name) for name in rules.RULES]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(f"{'rule':<14} {'paper':<22} {'default η':>9}  hyper-parameters (paper defaults)")
    for row in rows:
        extras = ", ".join(f"{k}={row['defaults'][k]}" if k in row["defaults"] else k for k in row["hparams"][1:])
        print(f"{row['rule']:<14} {row['paper']:<22} {row['default_lr']:>9g}  {extras}")
        if args.boxes:
            for line in row["box"]:
                print(f"{'':<16}{line}")
    print("\nDefaults everywhere: ν = 0.999, ε = 1e-8 inside the root, μ = 0.99 with the paper's warming schedule "
          "μ_t = μ(1 − ½·0.96^(t/250)).")
    return 0
