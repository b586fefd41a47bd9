"""``identify``: which nadam_ref rule and variant does this optimizer compute?

Give it a torch optimizer class, an optax transformation factory, a keras (3) or tf.keras (2) optimizer class, a
Paddle optimizer class, each with the keyword arguments you call it with, or a plain step function with the
signature of :func:`~nadam_ref.crosscheck.compare` (``step_fn(theta, g, state) -> (theta, state[, trace])``).
It runs the target on the cross-check problems, runs every variant each rule *declares*
(:func:`nadam_ref.rules.variants`: schedules, ε placements, m decay, ``eps_root``, ``n0``, ...), each also with
η, μ, ν, ε rounded to float32 (what tf.keras and Paddle do to their hyper-parameters), and reports

* every variant that reproduces the target within the tolerance (normwise relative, as the cross-check);
* otherwise the nearest, with the first step and the first line of its box where the two part.

The numbers the library was given are read from its keyword arguments and, where absent, from the defaults in its
signature (``lr``/``learning_rate`` → η; ``betas``, ``beta_1``/``b1``/``momentum`` → μ; ``beta_2``/``b2``/``rho``/
``alpha`` → ν; ``eps``/``epsilon`` → ε; ``initial_accumulator_value`` → ``n0``; ``eps_root``). A step function has
its numbers built in: pass them as ``hparams`` (each rule's default η and the paper's μ, ν, ε otherwise).
Libraries run in float64 (torch with float64 as its default dtype, as in the cross-check).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy

from .. import rules
from ..trajectory import trajectory
from . import problems as _problems
from ._adapter import Case, float32_rounded, installed_version
from .compare import compare
from .harness import PAPER_HPARAMS, TOLERANCE, distance

KINDS = ("torch", "optax", "keras", "tf_keras", "paddle", "step")  # and an adapter's Case, for the tests
#: The whole space: every rule that takes a gradient (nag_lookahead takes a gradient function).
SEARCHED_RULES = tuple(r for r in rules.RULES if r != "nag_lookahead")
#: The likely rules, by words in the target's name or call (the first that appears wins; none: the whole space).
_LIKELY = (("nadamax", ("nadamax",)), ("nadam", ("nadam", "nadamax")), ("adamax", ("adamax", "nadamax")),
           ("adam", ("adam", "nadam", "adamax", "nadamax")), ("maxaprop", ("maxaprop",)), ("rmsprop", ("rmsprop",)),
           ("adagrad", ("adagrad",)), ("sgd", ("gd", "momentum", "nag")), ("momentum", ("gd", "momentum", "nag")),
           ("nesterov", ("gd", "momentum", "nag")), ("nag", ("gd", "momentum", "nag")))

_ALIASES = {"lr": ("lr", "learning_rate"), "mu": ("beta_1", "beta1", "b1", "momentum"),
            "nu": ("beta_2", "beta2", "b2", "rho", "alpha"), "eps": ("eps", "epsilon"),
            "n0": ("initial_accumulator_value",), "eps_root": ("eps_root",)}
_DISTRIBUTION = {"torch": None, "optax": "optax", "keras": "keras", "tf_keras": "tf-keras", "paddle": "paddlepaddle"}


@dataclass
class Match:
    """One variant next to the target: its distance and, when it does not reproduce it, where they first part."""

    rule: str
    variant: dict
    float32_hparams: bool
    distance: float
    step: int | None = None
    symbol: str | None = None
    line: str | None = None
    agreed: int = 0  # box lines that agreed at that step, before the one that parts (a step function's)
    covered: float = 0.0  # the share of the box's lines that the step function reports

    def label(self) -> str:
        """``rule(options that differ from the box as printed)``."""
        defaults = rules.spec(self.rule).defaults()
        args = ", ".join(f"{k}={v!r}" for k, v in self.variant.items() if defaults.get(k, object()) != v)
        return f"{self.rule}({args})" + ("  [η, μ, ν, ε rounded to float32]" if self.float32_hparams else "")


@dataclass
class Identification:
    """What :func:`identify` found. True when some variant reproduces the target."""

    target: str
    kind: str
    hparams: dict
    dtype: str
    steps: int
    problems: list
    tolerance: float
    matches: list = field(default_factory=list)  # every variant within the tolerance, nearest first
    nearest: list = field(default_factory=list)  # the three nearest variants, whether or not they match
    searched: int = 0
    seconds: float = 0.0  # the search: every variant on every problem, and locating the nearest
    target_seconds: float = 0.0  # importing and running the target (a library's import dominates)
    dropped: dict = field(default_factory=dict)  # problem -> why the target's run there was left out

    def __bool__(self):
        return bool(self.matches)

    def __str__(self):
        numbers = ", ".join(f"{k}={v:g}" for k, v in self.hparams.items())
        missing = [name for name in ("lr", "mu", "nu", "eps") if name not in self.hparams]
        if missing:
            numbers += ("; " if numbers else "") + f"{', '.join(missing)} not given: the paper's (η: each rule's)"
        lines = [f"identify {self.target}",
                 f"  read as: {numbers}; {self.steps} steps, "
                 f"{self.dtype}, problems {', '.join(self.problems)}; tolerance {self.tolerance:g} (normwise relative)",
                 f"  searched {self.searched} declared variants of {len({m.rule for m in self._all})} rules "
                 f"(each also with η, μ, ν, ε rounded to float32) in {self.seconds:.1f} s; "
                 f"importing and running the target took {self.target_seconds:.1f} s"]
        lines += [f"  left out {p}: {why}" for p, why in self.dropped.items()]
        if self.matches:
            lines.append("  reproduced by (max rel. diff.):")
            lines += [f"    {m.label()}   {m.distance:.1e}" for m in self.matches]
        else:
            best = self.nearest[0]
            lines.append(f"  none reproduces it within {self.tolerance:g}. Nearest: {best.label()} at "
                         f"{best.distance:.1e}")
            lines.append(f"    first parts at step {best.step}, line {best.symbol!r}: {best.line}")
            lines += [f"  next: {m.label()} at {m.distance:.1e}" for m in self.nearest[1:]]
        return "\n".join(lines)

    _all: list = field(default_factory=list, repr=False)


def likely_rules(name: str) -> tuple[str, ...]:
    """The rules a target's name points to (``"NAdamW"`` → nadam, nadamax); all of them when it names none."""
    text = name.lower()
    for word, names in _LIKELY:
        if word in text:
            return names
    return SEARCHED_RULES


def resolve(text: str):
    """``"package.module:Name"`` (or ``package.module.Name``) → the object it names."""
    module_name, sep, attribute = text.partition(":")
    if not sep:
        module_name, _, attribute = text.rpartition(".")
    if not module_name or not attribute:
        raise ValueError(f"{text!r}: expected package.module:Name")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as e:
        raise ValueError(f"{text!r}: cannot import {module_name} ({e})") from None
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{text!r}: {module_name} has no attribute {attribute!r}")
        obj = getattr(obj, part)
    return obj


def guess_kind(obj) -> str:
    """The kind of target ``obj`` is, from the modules of its class hierarchy (or its own module)."""
    while isinstance(obj, functools.partial):  # optax.nadam is partial(adam, nesterov=True)
        obj = obj.func
    modules = [c.__module__ for c in inspect.getmro(obj)] if inspect.isclass(obj) else \
        [getattr(inspect.unwrap(obj), "__module__", "") or ""]
    for prefix, kind in (("torch.optim", "torch"), ("tf_keras", "tf_keras"), ("keras", "keras"),
                         ("paddle", "paddle"), ("optax", "optax")):
        if any(m == prefix or m.startswith(prefix + ".") for m in modules):
            return kind
    if inspect.isclass(obj):
        raise ValueError(f"{obj!r} is not a torch, keras, tf.keras or Paddle optimizer class")
    return "step"


def library_hparams(obj, kwargs: dict, kind: str) -> dict:
    """The nadam_ref numbers a library call computes with: its keyword arguments over its signature's defaults."""
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        params = {}
    given = {n: p.default for n, p in params.items() if p.default is not inspect.Parameter.empty}
    given.update(kwargs)
    aliases = dict(_ALIASES, nu=_ALIASES["nu"] + (("decay",) if kind == "optax" else ()))
    out = {}
    betas = given.get("betas")
    if betas is not None:
        out["mu"], out["nu"] = betas
    for name, names in aliases.items():
        for alias in names:
            if name not in out and given.get(alias) is not None:
                out[name] = given[alias]
    for name, value in out.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"identify reads {name} from the call as {value!r}; expected a finite number")
    return {k: float(v) for k, v in out.items()}


def _library_runner(obj, kwargs: dict, kind: str):
    """``run(grad_fn, theta0, steps, dtype) -> path`` for a library class or factory called with ``kwargs``."""
    if kind == "torch":
        from .torch_adapter import _runner
        run = _runner(lambda torch, p, hp: obj(p, **kwargs))
    elif kind == "optax":
        from .optax_adapter import _runner
        run = _runner(lambda optax, hp: obj(**kwargs))
    elif kind == "keras":
        from .keras_adapter import _runner
        run = _runner(lambda opt, hp: obj(**kwargs))
    elif kind == "tf_keras":
        from .tfkeras_adapter import _runner
        run = _runner(lambda opt, hp: obj(**kwargs))
    elif kind == "paddle":
        from .paddle_adapter import _runner
        run = _runner(lambda opt, p, hp: obj(parameters=p, **kwargs))
    else:
        raise ValueError(f"kind={kind!r}; expected one of {KINDS}")
    return lambda grad_fn, theta0, steps, dtype, numbers: run(grad_fn, theta0, steps, {}, dtype)


def _step_runner(step_fn):
    def run(grad_fn, theta0, steps, dtype, numbers):
        theta, state, path = theta0, {}, [numpy.array(theta0, copy=True)]
        for t in range(1, steps + 1):
            out = step_fn(theta, grad_fn(theta), state)
            if not isinstance(out, tuple) or len(out) not in (2, 3):
                raise TypeError(f"step_fn returned {type(out).__name__} at step {t}; expected (theta, state) or "
                                "(theta, state, intermediates)")
            theta, state = out[0], out[1]
            path.append(numpy.array(theta, dtype="float64", copy=True))
        return numpy.stack(path)
    return run


def _candidates(rule_names, target_numbers: dict):
    """(rule, variant) for every declared variant; a numeric variant the target sets takes the target's value."""
    for rule in rule_names:
        seen = []
        for variant in rules.variants(rule):
            numeric = rules.spec(rule).numeric_variants
            variant = {k: target_numbers.get(k, v) if k in numeric else v for k, v in variant.items()}
            variant = {k: v for k, v in variant.items() if not (k in numeric and v == 0)}  # 0 is the default
            if variant not in seen:
                seen.append(variant)
                yield rule, variant


def _first_parting(path_ref, path_lib, tolerance) -> int:
    gaps = [distance(path_ref[t:t + 1], path_lib[t:t + 1]) for t in range(len(path_ref))]
    return next((t for t, gap in enumerate(gaps) if not gap <= tolerance), len(path_ref) - 1)


def identify(target, kwargs: dict | None = None, *, kind: str | None = None, rule_names=None,
             hparams: dict | None = None, steps: int = 20, dtype: str = "float64", tolerance: float | None = None,
             problem_names=None, top: int = 3) -> Identification:
    """Search the declared variants of ``rule_names`` for ``target``: by default the rules its name points to
    (:func:`likely_rules`), ``"all"`` for every rule but nag_lookahead.

    ``target``: a class, factory or step function, or its name as ``"package.module:Name"``; ``kwargs``: the
    keyword arguments the library is called with; ``kind``: one of :data:`KINDS` (guessed from the target's
    module otherwise); ``hparams``: nadam_ref numbers that override those read from the call (for a step function,
    the numbers built into it).
    """
    started = time.perf_counter()
    name = target if isinstance(target, str) else None
    obj = resolve(target) if isinstance(target, str) else target
    kwargs = dict(kwargs or {})
    if isinstance(obj, Case):
        kind, run, numbers_at, label = _case_target(obj, hparams)
    else:
        kind = kind or guess_kind(obj)
        if kind not in KINDS:
            raise ValueError(f"kind={kind!r}; expected one of {KINDS}")
        if kind == "step":
            if kwargs:
                raise ValueError("a step function takes no kwargs; give its numbers as hparams")
            numbers, run = {}, _step_runner(obj)
        else:
            numbers, run = library_hparams(obj, kwargs, kind), _library_runner(obj, kwargs, kind)
        numbers.update({k: float(v) for k, v in (hparams or {}).items()})
        label = _label(name or _name(obj), kwargs, kind)
        numbers_at = lambda problem: numbers  # noqa: E731 - the same numbers on every problem
    rule_names = list(SEARCHED_RULES if rule_names == "all" else rule_names or likely_rules(label))
    for rule in rule_names:
        rules.get(rule)
    tolerance = TOLERANCE[dtype] if tolerance is None else float(tolerance)
    problem_names = list(problem_names or _problems.PROBLEMS)
    result = Identification(label, kind, {}, dtype, steps, [], tolerance)

    paths = {}
    for problem_name in problem_names:
        problem = _problems.get(problem_name)
        theta0 = problem.start(numpy, dtype)
        numbers = numbers_at(problem)
        path = run(problem.grad, theta0, steps, dtype, numbers)
        if numpy.isfinite(path).all():
            paths[problem_name] = (problem, theta0, path, numbers)
            result.hparams = numbers
        else:
            result.dropped[problem_name] = "the target's iterates left the finite numbers (η too large here?)"
    if not paths:
        raise ValueError(f"{label} diverged on every problem ({', '.join(problem_names)}); give a smaller η")
    result.problems = list(paths)
    result.target_seconds = time.perf_counter() - started  # import, resolve and run the target
    searching = time.perf_counter()

    found = []
    with warnings.catch_warnings(), numpy.errstate(all="ignore"):  # diverging variants are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        for candidate in _candidates(rule_names, result.hparams):
            found += _measure(*candidate, paths, steps)
    result.searched = len(found) // 2  # each variant was measured twice: as given and rounded
    found.sort(key=lambda item: item[0])
    result._all = [m for _, m, _ in found]
    result.matches = [m for d, m, _ in found if d <= tolerance]
    if any(not m.float32_hparams for m in result.matches):  # rounding is only worth naming when it is needed
        result.matches = [m for m in result.matches if not m.float32_hparams]
    nearest = _nearest(found, tolerance)
    if kind == "step" and not result.matches:
        # A step function shows its intermediates: the nearest is the variant that agrees with it longest (the
        # latest step, then the most lines agreed), then the rule whose box the function's reports fill best, then
        # the fewest options away from the box as printed (the simplest explanation), then the nearer iterates.
        for _, match, _ in nearest:
            _locate(match, obj, kind, None, None, paths, steps, tolerance)
        nearest.sort(key=lambda item: (-item[1].step, -item[1].agreed, -item[1].covered, _options_away(item[1]),
                                       item[0]))
    for _, match, (problem, reference) in nearest[:top]:
        if match.distance > tolerance and match.step is None:
            _locate(match, obj, kind, problem, reference, paths, steps, tolerance)
    result.nearest = [m for _, m, _ in nearest[:top]]
    result.seconds = time.perf_counter() - searching
    return result


def _nearest(found, tolerance):
    """One entry per variant, nearest first; of its two measurements the one with the hyper-parameters as given,
    unless the rounded one reproduces the target or is at least ten times nearer (rounding explains the gap)."""
    by_variant = {}
    for item in found:  # nearest first, so the first of the two twins seen is the nearer
        key = (item[1].rule, tuple(item[1].variant.items()))
        kept = by_variant.get(key)
        if kept is None:
            by_variant[key] = item
        elif kept[1].float32_hparams and kept[0] > tolerance and not 10 * kept[0] <= item[0]:
            by_variant[key] = item
    return sorted(by_variant.values(), key=lambda item: item[0])


def _case_target(case, hparams):
    """An adapter's :class:`Case` as a target: the numbers the cross-check gives it (the paper's μ, ν, ε and
    the problem's η for the case's rule), rounded to float32 when the library rounds them."""
    module = rules.get(case.rule)

    def numbers_at(problem):
        numbers = dict(PAPER_HPARAMS, lr=problem.lr(module), **(hparams or {}))
        return float32_rounded(numbers) if case.float32_hparams else numbers

    def run(grad_fn, theta0, steps, dtype, numbers):
        return case.run(grad_fn, theta0, steps, numbers, dtype)

    return "case", run, numbers_at, f"{case.library} {case.call}"


def _label(text, kwargs, kind):
    if kwargs:
        text += "(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
    version = installed_version(_DISTRIBUTION.get(kind) or "torch") if kind != "step" else None
    return text + (f"  [{kind} {version}]" if version else "")


def _measure(rule, variant, paths, steps):
    """The variant's distance to the target (worst problem), with the hyper-parameters as given and rounded."""
    out = []
    for rounded in (False, True):
        worst, first = 0.0, (None, None)
        for problem, theta0, path, numbers in paths.values():
            hp = _hparams_for(rule, numbers, variant, rounded)
            try:
                reference = trajectory(rule, problem.grad, theta0, steps, **hp)
            except (ValueError, ArithmeticError):
                reference = numpy.full_like(path, numpy.nan)
            gap = distance(reference, path)
            if not gap <= worst:
                worst, first = gap, (problem, reference)
        out.append((worst, Match(rule, variant, rounded, worst), first))
    return out


def _name(obj) -> str:
    base = obj.func if isinstance(obj, functools.partial) else obj
    return f"{getattr(base, '__module__', '?')}.{getattr(base, '__qualname__', type(base).__name__)}"


def _hparams_for(rule, numbers, variant, rounded):
    hp = dict(PAPER_HPARAMS, lr=rules.get(rule).DEFAULT_LR)
    hp.update({k: v for k, v in numbers.items() if k in ("lr", "mu", "nu", "eps")})
    hp = rules.select_hparams(rule, {**hp, **variant})
    return float32_rounded(hp) if rounded else hp


def _reported(step_fn, paths) -> tuple:
    """The quantities a step function reports at its first step (its intermediates' names)."""
    _, theta0, _, _ = next(iter(paths.values()))
    problem = next(iter(paths.values()))[0]
    out = step_fn(theta0, problem.grad(theta0), {})
    return tuple(out[2]) if len(out) == 3 and isinstance(out[2], dict) else ()


def _options_away(match) -> int:
    defaults = rules.spec(match.rule).defaults()
    return sum(defaults.get(k, object()) != v for k, v in match.variant.items())


def _locate(match, obj, kind, problem, reference, paths, steps, tolerance):
    """Where ``match`` first parts from the target: every box line for a step function (via :func:`compare`, the
    earliest over the problems), the θ line for a library (only its iterates are seen)."""
    module = rules.get(match.rule)
    if kind == "step":
        partings = []
        for problem_, theta0, _, numbers in paths.values():
            hp = _hparams_for(match.rule, numbers, match.variant, match.float32_hparams)
            with warnings.catch_warnings(), numpy.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                verdict = compare(obj, match.rule, grad_fn=problem_.grad, theta0=theta0, steps=steps, rtol=tolerance,
                                  **hp)
            if not verdict.agree:
                partings.append((verdict.step, len(verdict.checked) - 1, verdict))
        if partings:
            match.step, match.agreed, verdict = min(partings, key=lambda p: p[:2])
            match.symbol, match.line = verdict.symbol, verdict.line
            box = {symbol for symbol, _ in module.BOX}
            match.covered = len(set(_reported(obj, paths)) & box) / len(box)
            return
    if problem is None:
        problem = next(iter(paths.values()))[0]
    _, theta0, path, numbers = paths[problem.name]
    if reference is None:
        hp = _hparams_for(match.rule, numbers, match.variant, match.float32_hparams)
        reference = trajectory(match.rule, problem.grad, theta0, steps, **hp)
    match.step = _first_parting(reference, path, tolerance)
    match.symbol, match.line = "theta", dict(module.BOX)["theta"]
