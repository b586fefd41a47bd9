"""The conventions table (rule × library → formula, differences from the paper) and the check of
``shared/reference/other-implementations.md``, both written from measurements of the installed libraries.

``nadam-ref crosscheck --markdown docs/conventions.md`` writes them.
"""

from __future__ import annotations

import inspect

import numpy

from .. import rules, schedules
from ..trajectory import trajectory
from . import keras_adapter, optax_adapter, problems, torch_adapter
from ._adapter import LibraryMissingError
from .compare import compare
from .harness import PAPER_HPARAMS, TOLERANCE, distance

_DIFFERENCES = {
    ("schedule", "constant"): "constant μ (no warming schedule)",
    ("schedule", "keras"): "μ_t = μ(1 − ½·0.96ᵗ): warms 250× faster than the paper",
    ("eps_placement", "outside"): "ε outside the root, √n̂ + ε",
    ("eps_placement", "hat"): "ε̂ form: ε/√(1 − νᵗ) outside the root",
    ("eps_placement", "max"): "ε inside the max, max(νu, |g| + ε), none in the denominator",
    ("n0", 0.1): "accumulator starts at 0.1",
}


def differences(rule: str, variant: dict | None) -> str:
    """The ways a variant departs from the paper's form of ``rule``, in words."""
    if variant is None:
        return "no exact mapping"
    words = [_DIFFERENCES.get((k, v), f"{k}={v!r}") for k, v in variant.items()]
    module = rules.get(rule)
    if "schedule" in module.HPARAMS and "schedule" not in variant:
        words.insert(0, "the paper's schedule")
    return "; ".join(words) if words else "none: the paper's form"


def _cells(*texts) -> str:
    """One Markdown table row; a ``|`` inside a formula (|g|) must not end its cell."""
    return "| " + " | ".join(str(t).replace("|", "\\|") for t in texts) + " |"


def _variant_text(rule, variant):
    if variant is None:
        return "—"
    args = ", ".join(f"{k}={v!r}" for k, v in variant.items())
    return f"`{rule}({args})`"


def table(report) -> str:
    """The conventions table, one row per library call, grouped by rule."""
    order = {r: i for i, r in enumerate(rules.RULES)}
    lines = ["| rule | library call | what it computes | nadam_ref variant | differences from the paper | "
             "max rel. diff. to variant | distance from paper |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in sorted(report.rows, key=lambda r: (order[r.rule], r.library)):
        if row.status == "skipped":
            lines.append(_cells(row.rule, f"{row.library} `{row.call}`", "—", "—", f"skipped: {row.reason}", "—", "—"))
            continue
        variant = row.variant if row.variant is not None else row.closest
        diff = differences(row.rule, row.variant)
        if row.variant is None:
            diff += f"; closest: {_variant_text(row.rule, row.closest)}"
        lines.append(_cells(row.rule, f"{row.library} `{row.call}`", row.formula, _variant_text(row.rule, variant),
                            diff, f"{row.max_rel:.1e}", f"{row.from_paper:.1e}"))
    return "\n".join(lines)


def _default(cls_or_fn, name):
    return inspect.signature(cls_or_fn).parameters[name].default


def _has(cls_or_fn, *names):
    params = inspect.signature(cls_or_fn).parameters
    return all(n in params for n in names)


def _verdict(ok: bool) -> str:
    return "confirmed" if ok else "**wrong**"


def _torch_claims(steps):
    torch = torch_adapter.load()
    optim = torch.optim
    claims = [
        ("torch `Adagrad`: default ε 1e-10; `lr_decay`, `initial_accumulator_value` options",
         f"default eps = {_default(optim.Adagrad, 'eps')!r}",
         _default(optim.Adagrad, "eps") == 1e-10 and _has(optim.Adagrad, "lr_decay", "initial_accumulator_value")),
        ("torch `RMSprop`: `centered`, `momentum` options", "both in the signature",
         _has(optim.RMSprop, "centered", "momentum")),
        ("torch `NAdam`: `decoupled_weight_decay` option; `momentum_decay` default 4e-3",
         f"momentum_decay default {_default(optim.NAdam, 'momentum_decay')!r}",
         _has(optim.NAdam, "decoupled_weight_decay") and _default(optim.NAdam, "momentum_decay") == 4e-3),
    ]
    # NAdam's running product in float32 (torch's default dtype): its own error, and what it does to θ.
    param = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    optimizer = optim.NAdam([param], betas=(PAPER_HPARAMS["mu"], PAPER_HPARAMS["nu"]))
    for _ in range(steps):
        param.grad = torch.ones(2, dtype=torch.float64)
        optimizer.step()
    stored = optimizer.state[param]["mu_product"]
    exact = schedules.products(schedules.resolve("paper", PAPER_HPARAMS["mu"]), steps)[-1]
    product_error = abs(stored.item() - exact) / exact
    theta_drift = _torch_float32_product_drift(steps)
    claims.append(("torch `NAdam`: `mu_product` kept in float32 unless the default dtype is float64 "
                   "(≈1e-7 drift in float64 runs)",
                   f"stored as {str(stored.dtype).replace('torch.', '')}; after {steps} steps the product is off by "
                   f"{product_error:.1e} (relative), the iterates by {theta_drift:.1e} (normwise relative, worst "
                   "problem)",
                   "partly: the product drifts ≈1e-7, the iterates far less" if stored.dtype == torch.float32
                   else False))
    return claims


def _torch_float32_product_drift(steps):
    case = next(c for c in torch_adapter.CASES if c.variant is None)
    worst = 0.0
    for problem in problems.PROBLEMS.values():
        hp = dict(PAPER_HPARAMS, lr=problem.lr(rules.get("nadam")))
        theta0 = problem.start(numpy)
        library = case.run(problem.grad, theta0, steps, hp, "float64")
        reference = trajectory("nadam", problem.grad, theta0, steps, **hp, eps_placement="outside")
        worst = max(worst, distance(reference, library))
    return worst


def _scheduled_nag_claim(steps):
    """Changing torch SGD's momentum to μ_t every step: which box line does it miss?"""
    torch = torch_adapter.load()
    hp = {"lr": 0.01, "mu": PAPER_HPARAMS["mu"]}
    mu_at = schedules.resolve("paper", hp["mu"])
    param = torch.nn.Parameter(torch.tensor(problems.get("quadratic").theta0, dtype=torch.float64))
    optimizer = torch.optim.SGD([param], lr=hp["lr"], momentum=mu_at(1), nesterov=True)

    def step_fn(theta, g, state):
        t = state.get("t", 0) + 1
        optimizer.param_groups[0]["momentum"] = mu_at(t)
        param.grad = torch.tensor(g)
        optimizer.step()
        new = param.detach().numpy().copy()
        m = optimizer.state[param]["momentum_buffer"].numpy().copy()
        return new, {"t": t}, {"m": m, "m_bar": (theta - new) / hp["lr"]}

    verdict = compare(step_fn, "nag", steps=steps, **hp)
    text = (f"`compare` against nag with the paper's schedule: {verdict.symbol!r} parts at step {verdict.step} "
            f"(rel. diff. {verdict.rel:.1e}) after {', '.join(verdict.checked[:-1])} agreed")
    return ("No library offers the μ_{t+1} look-ahead for a scheduled NAG (torch SGD with momentum = μ_t "
            "each step gives g + μ_t·m)", text, not verdict.agree and verdict.symbol == "m_bar")


def _optax_claims():
    optax = optax_adapter.load()
    return [
        ("optax `rmsprop`: `eps_in_sqrt=True` by default; default decay 0.9",
         f"eps_in_sqrt={_default(optax.rmsprop, 'eps_in_sqrt')!r}, decay={_default(optax.rmsprop, 'decay')!r}",
         _default(optax.rmsprop, "eps_in_sqrt") is True and _default(optax.rmsprop, "decay") == 0.9),
        ("optax `adagrad`: default initial accumulator 0.1, ε 1e-7",
         f"initial_accumulator_value={_default(optax.adagrad, 'initial_accumulator_value')!r}, "
         f"eps={_default(optax.adagrad, 'eps')!r}",
         _default(optax.adagrad, "initial_accumulator_value") == 0.1 and _default(optax.adagrad, "eps") == 1e-7),
    ]


def _keras_claims(steps):
    keras = keras_adapter.load()
    nadam_args = [n for n in inspect.signature(keras.optimizers.Nadam).parameters if "decay" in n or "sched" in n]
    claims = [("keras `Nadam`: default ε 1e-7", f"epsilon={_default(keras.optimizers.Nadam, 'epsilon')!r}",
               _default(keras.optimizers.Nadam, "epsilon") == 1e-7),
              ("keras `Nadam`: the 0.004 factor is gone and no argument changes the schedule",
               f"reproduced by schedule 'keras' (0.96ᵗ, see the table); arguments naming a decay or schedule: "
               f"{', '.join(nadam_args) or 'none'} (weight_decay is decoupled weight decay, not the schedule)",
               set(nadam_args) <= {"weight_decay"})]
    drifts = []
    for case in keras_adapter.CASES:
        problem = problems.get("quadratic")
        hp = dict(rules.select_hparams(case.rule, PAPER_HPARAMS), lr=problem.lr(rules.get(case.rule)))
        theta0 = problem.start(numpy)
        library = case.run(problem.grad, theta0, steps, hp, "float64", floatx="float32")
        reference = trajectory(case.rule, problem.grad, theta0, steps, **hp, **case.variant)
        drifts.append(distance(reference, library))
    claims.append(("keras: set floatx to float64 for float64 runs, or every rule drifts by ~1e-8",
                   f"float64 variables with floatx left at float32: drift {min(drifts):.1e} … {max(drifts):.1e} "
                   f"over the {len(drifts)} keras calls ({sum(d > TOLERANCE['float64'] for d in drifts)} beyond "
                   "1e-12)", all(1e-10 < d < 1e-6 for d in drifts) or "partly"))
    return claims


def verify_reference(report, steps: int = 50) -> list[tuple[str, str, str]]:
    """Each line of other-implementations.md: (claim, what was measured, verdict)."""
    out = []
    for row in report.rows:
        if row.status in ("agree", "DIFFER"):
            out.append((f"{row.library} `{row.call}` computes {row.formula}",
                        f"reproduced by {_variant_text(row.rule, row.variant)} to {row.max_rel:.1e}",
                        _verdict(row.status == "agree")))
    checks = (("torch", lambda: _torch_claims(steps) + [_scheduled_nag_claim(10)]), ("optax", _optax_claims),
              ("keras", lambda: _keras_claims(steps)))
    for library, check in checks:
        if library in report.skipped:
            out.append((f"the {library} lines", f"not checked: {report.skipped[library]}", "not checked"))
            continue
        try:
            for claim, measured, ok in check():
                out.append((claim, measured, ok if isinstance(ok, str) else _verdict(ok)))
        except LibraryMissingError as e:
            out.append((f"the {library} lines", f"not checked: {e}", "not checked"))
    for claim in ("tf.keras 2.x legacy `Nadam`", "TF1 `tf.contrib.opt.NadamOptimizer`", "Dozat's own TensorFlow code",
                  "ensmallen's NadaMax"):
        out.append((claim, "not installed here (not among the crosscheck peers)", "not checked"))
    return out


def markdown(report, claims) -> str:
    """The whole document."""
    versions = sorted({(r.library, r.version) for r in report.rows if r.version})
    head = [
        "# Conventions: what torch, optax and keras compute, next to the paper",
        "",
        "Generated by `nadam-ref crosscheck --markdown docs/conventions.md` from measurements (do not edit by hand).",
        f"Libraries: {', '.join(f'{n} {v}' for n, v in versions) or 'none installed'}; "
        f"{report.steps} steps in {report.dtype} on the problems {', '.join(report.problems)} "
        "(`nadam_ref/crosscheck/problems.py`), with the paper's μ = 0.99, ν = 0.999, ε = 1e-8 and each rule's "
        "default η.",
        "",
        "*max rel. diff. to variant*: the largest over steps and problems of ‖θ_lib − θ_ref‖∞ / ‖θ_ref‖∞ against "
        f"the nadam_ref variant named (tolerance {TOLERANCE[report.dtype]:g}); *distance from paper*: the same "
        "against the rule's literal form (warming schedule, ε inside the root).",
        "",
        table(report),
        "",
        "## Checking `shared/reference/other-implementations.md`",
        "",
        "Every line of the reference note, checked against the installed libraries (the formulas by the cross-check "
        "above, the defaults by reading the installed signatures, the rest by the measurement shown).",
        "",
        "| claim | measured | verdict |",
        "| --- | --- | --- |",
    ]
    head += [_cells(c, m, v) for c, m, v in claims]
    skipped = [f"- {lib}: {why}" for lib, why in report.skipped.items()]
    return "\n".join(head + ([""] + ["Skipped:"] + skipped if skipped else []) + [""])

