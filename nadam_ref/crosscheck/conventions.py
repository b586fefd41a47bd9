"""The conventions table (rule × library → formula, differences from the paper) and the check of
``shared/reference/other-implementations.md``, both written from measurements of the installed libraries.

Three kinds of row: *run* (the library ran here, next to nadam_ref), *run, own environment* (MXNet, which cannot
share an environment with the other peers: its rows are read from ``mxnet_run.json``, which records how and at
which commit they were made), and *transcribed* (published code that cannot be installed, transcribed as a step
function in :mod:`.transcribed` and run). Peers that did not install are listed with the reason.

``nadam-ref crosscheck --markdown docs/conventions.md`` writes them.
"""

from __future__ import annotations

import functools
import inspect
import json
from dataclasses import fields
from pathlib import Path

import numpy

from .. import rules, schedules
from ..trajectory import trajectory
from . import keras_adapter, optax_adapter, problems, torch_adapter
from ._adapter import LibraryMissingError, float32_rounded
from .compare import compare
from .harness import PAPER_HPARAMS, TOLERANCE, Row, distance
from .transcribed import TRANSCRIPTIONS

#: MXNet's rows, measured in an environment of its own (see mxnet_adapter and the file's "environment" field).
SEPARATE_RUNS = (Path(__file__).with_name("mxnet_run.json"),)

#: Peers that were tried and do not run next to the others, and why (measured on Python 3.11, Linux x86-64).
NOT_INSTALLED = {
    "mxnet": "mxnet 1.9.1 (its last release; a py3-none wheel) installs but pins numpy < 2, which the crosscheck "
             "extra's jax 0.10 cannot use, and then fails to import on NumPy >= 1.24 (`numpy.bool` was removed): "
             "it runs only in an environment of its own with numpy 1.23.5, where its rows above were measured",
}
#: Peers that installed and run, but only with a workaround (the adapters carry it out).
CAVEATS = {
    "timm": "`import timm` imports torchvision, whose PyPI wheel (0.28.0) is a CUDA build that cannot load next to the "
            "CPU torch (`operator torchvision::nms does not exist`): the adapter loads timm's optimizer modules "
            "without timm's `__init__`, so the code that runs is timm's own",
    "paddle": "importing Paddle after TensorFlow ends the process with a segmentation fault (paddlepaddle 3.3.1, "
              "tensorflow 2.21); the other order works, so the tf.keras adapter imports Paddle first",
    "tf_keras": "both generations round η, μ, ν, ε (and Nadam's 0.96) to float32 even in a float64 run: the rows say "
                "*float32 hyper-parameters*, and the two Nadams have no exact float64 mapping",
}

_DIFFERENCES = {
    ("schedule", "constant"): "constant μ (no warming schedule)",
    ("schedule", "keras"): "μ_t = μ(1 − ½·0.96ᵗ): warms 250× faster than the paper",
    ("eps_placement", "outside"): "ε outside the root, √n̂ + ε",
    ("eps_placement", "hat"): "ε̂ form: ε/√(1 − νᵗ) outside the root",
    ("eps_placement", "max"): "ε inside the max, max(νu, |g| + ε), none in the denominator",
    ("n0", 0.1): "accumulator starts at 0.1",
    ("m_hat_correction", "current"): "m̂ = m/(1 − ∏_{i≤t} μ_i): this step's product, not the next one's",
    ("m_decay", "scheduled"): "m decays with μ_t",
    ("max_n", "n"): "AMSGrad: the running max of n, divided by 1 − νᵗ",
    ("max_n", "n_hat"): "AMSGrad: the running max of n̂ = n/(1 − νᵗ)",
}


def differences(rule: str, variant: dict | None) -> str:
    """The ways a variant departs from the paper's form of ``rule``, in words."""
    if variant is None:
        return "no exact mapping"
    defaults = rules.spec(rule).defaults()
    words = [_DIFFERENCES.get((k, v), f"{k}={v!r}") for k, v in variant.items() if defaults.get(k, object()) != v]
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
    defaults = rules.spec(rule).defaults()
    args = ", ".join(f"{k}={v!r}" for k, v in variant.items() if defaults.get(k, object()) != v)
    return f"`{rule}({args})`"


def separate_rows(paths=SEPARATE_RUNS) -> list[tuple[Row, str]]:
    """Rows measured in an environment of their own, read back from the JSON they were written to."""
    out = []
    for path in paths:
        if path.exists():
            recorded = json.loads(path.read_text(encoding="utf-8"))
            names = {f.name for f in fields(Row)}
            env = recorded["environment"]
            how = f"run, own environment (numpy {env['numpy']}; commit {recorded['commit'][:7]})"
            out += [(Row(**{k: v for k, v in row.items() if k in names}), how) for row in recorded["report"]["rows"]]
    return out


def transcribed_rows(steps: int = 50) -> list[tuple[Row, str]]:
    """Each transcription run as a step function next to its documented variant, with the paper's numbers."""
    out = []
    for tr in TRANSCRIPTIONS:
        row = Row(tr.library, tr.source.split(" at commit ")[-1][:7], tr.call, "nadam", tr.formula, tr.variant)
        for name, problem in problems.PROBLEMS.items():
            hp = dict(PAPER_HPARAMS, lr=problem.lr(rules.get("nadam")))
            theta0 = problem.start(numpy)
            step, theta, state, path = tr.make(**hp), theta0, {}, [theta0]
            for _ in range(steps):
                theta, state, _ = step(theta, problem.grad(theta), state)
                path.append(theta)
            path = numpy.stack(path)
            mapped = trajectory("nadam", problem.grad, theta0, steps, **hp, **tr.variant)
            paper = trajectory("nadam", problem.grad, theta0, steps, **hp)
            row.per_problem[name] = {"max_rel": distance(mapped, path), "from_paper": distance(paper, path),
                                     "max_abs": float(numpy.abs(mapped - path).max())}
        for key in ("max_abs", "max_rel", "from_paper"):
            setattr(row, key, max(r[key] for r in row.per_problem.values()))
        out.append((row, f"transcribed ({tr.licence}): {tr.source}"))
    return out


def table(report, extra=()) -> str:
    """The conventions table, one row per library call, grouped by rule: the rows of ``report`` (run here) and
    ``extra`` ((row, how) pairs: run elsewhere, or transcribed)."""
    order = {r: i for i, r in enumerate(rules.RULES)}
    lines = ["| rule | library and version | call | what it computes | nadam_ref variant | differences from the "
             "paper | measured gap to the variant | distance from paper | run or transcribed |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    rows = [(row, "run") for row in report.rows] + list(extra)
    for row, how in sorted(rows, key=lambda item: (order[item[0].rule], item[0].library, item[0].call)):
        library = f"{row.library} {row.version or ''}".strip()
        if row.status == "skipped":
            lines.append(_cells(row.rule, library, f"`{row.call}`", "—", "—", f"skipped: {row.reason}", "—", "—", how))
            continue
        variant = row.variant if row.variant is not None else row.closest
        diff = differences(row.rule, row.variant)
        if row.variant is None:
            diff += f"; closest: {_variant_text(row.rule, row.closest)}"
        lines.append(_cells(row.rule, library, f"`{row.call}`", row.formula, _variant_text(row.rule, variant), diff,
                            f"{row.max_rel:.1e}", f"{row.from_paper:.1e}", how))
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
    out += _other_claims(report, steps)
    return out


def _float32_decay_gap(call, steps):
    """tf.keras 2's Nadam against nadam_ref with the schedule's 0.96 (and η, μ, ν, ε) rounded to float32."""
    from . import tfkeras_adapter

    case = next(c for c in tfkeras_adapter.CASES if c.call == call)
    worst = 0.0
    for problem in problems.PROBLEMS.values():
        hp = float32_rounded(dict(PAPER_HPARAMS, lr=problem.lr(rules.get("nadam"))))
        timescale = schedules.PAPER_TIMESCALE if call.startswith("legacy") else schedules.KERAS_TIMESCALE
        schedule = functools.partial(schedules.warming, mu=hp["mu"], decay=float(numpy.float32(0.96)),
                                     timescale=timescale)
        theta0 = problem.start(numpy)
        library = case.run(problem.grad, theta0, steps, hp, "float64")
        reference = trajectory("nadam", problem.grad, theta0, steps, **hp, schedule=schedule, eps_placement="outside")
        worst = max(worst, distance(reference, library))
    return worst


def _other_claims(report, steps):
    """The note's "Others": tf.keras 2's legacy Nadam (run when installed), TF1's and Dozat's code (transcribed)."""
    out = []
    legacy = next((r for r in report.rows if r.library == "tf_keras" and r.call.startswith("legacy.Nadam")), None)
    claim = ("tf.keras 2.x legacy `Nadam` (`schedule_decay=0.004`): same as torch NAdam (ε outside, default 1e-7); "
             "stores hyperparameters as float32 variables")
    if legacy is None or legacy.status == "skipped":
        out.append((claim, "tf-keras not installed here (pip install -e '.[peers]')", "not checked"))
    else:
        rounded = _float32_decay_gap(legacy.call, steps)
        out.append((claim, f"nearest {_variant_text(legacy.rule, legacy.closest)} (torch NAdam's) at "
                    f"{legacy.max_rel:.1e} with η, μ, ν, ε rounded to float32; the rest is its schedule constant "
                    f"0.96, a float32 too: with it rounded as well the gap is {rounded:.1e}",
                    "confirmed, and 0.96 is float32 too" if rounded <= TOLERANCE["float64"] else "partly"))
    found = {row.library: row for row, _ in transcribed_rows(steps)}
    tf1, dozat = found["TensorFlow 1 contrib"], found["Dozat's own TensorFlow code"]
    out.append(("TF1 `tf.contrib.opt.NadamOptimizer` (`ApplyAdam(use_nesterov=True)`): constant μ and (1−μᵗ) for both "
                "terms — a different algorithm",
                f"transcribed; reproduced by {_variant_text('nadam', tf1.variant)} to {tf1.max_rel:.1e}",
                "confirmed (transcribed)" if tf1.max_rel <= TOLERANCE["float64"] else "**wrong**"))
    out.append(("Dozat's own released TensorFlow code: constant μ, ε inside the root (default ε 1e-16, ν 0.9); "
                "algebraically equal to optax `nadam(eps=0, eps_root=ε)`",
                f"transcribed; reproduced by {_variant_text('nadam', dozat.variant)} (= optax's eps=0, eps_root=ε "
                f"row) to {dozat.max_rel:.1e}",
                "confirmed (transcribed)" if dozat.max_rel <= TOLERANCE["float64"] else "**wrong**"))
    out.append(("ensmallen's NadaMax", "C++ (not a Python package); neither run nor transcribed here", "not checked"))
    return out


def markdown(report, claims) -> str:
    """The whole document."""
    versions = sorted({(r.library, r.version) for r in report.rows if r.version})
    extra = separate_rows() + transcribed_rows(report.steps)
    head = [
        "# Conventions: what each Nadam (and its neighbours) computes, next to the paper",
        "",
        "Generated by `nadam-ref crosscheck --markdown docs/conventions.md` from measurements (do not edit by hand).",
        f"Libraries: {', '.join(f'{n} {v}' for n, v in versions) or 'none installed'}; "
        f"{report.steps} steps in {report.dtype} on the problems {', '.join(report.problems)} "
        "(`nadam_ref/crosscheck/problems.py`), with the paper's μ = 0.99, ν = 0.999, ε = 1e-8 and each rule's "
        "default η.",
        "",
        "*max rel. diff. to variant*: the largest over steps and problems of ‖θ_lib − θ_ref‖∞ / ‖θ_ref‖∞ against "
        f"the nadam_ref variant named (tolerance {TOLERANCE[report.dtype]:g}); *distance from paper*: the same "
        "against the rule's literal form (warming schedule, ε inside the root). A call marked *float32 "
        "hyper-parameters* rounds η, μ, ν, ε to float32 even in a float64 run; both sides are then given the "
        "rounded values. *run*: the library ran here; *run, own environment*: in an environment of its own "
        "(`nadam_ref/crosscheck/mxnet_run.json` says how and at which commit); *transcribed*: published code "
        "that cannot be installed, transcribed as a step function (`nadam_ref/crosscheck/transcribed.py`) and run.",
        "",
        table(report, extra),
        "",
        "## Peers that did not install here, or not next to the others",
        "",
        "| peer | why |",
        "| --- | --- |",
        *[_cells(peer, why) for peer, why in {**report.skipped, **NOT_INSTALLED}.items()],
        "",
        "Installed and run, with a caveat:",
        "",
        "| peer | caveat |",
        "| --- | --- |",
        *[_cells(peer, why) for peer, why in CAVEATS.items()],
        "",
        "## Checking the design notes on other implementations (torch, optax, keras)",
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

