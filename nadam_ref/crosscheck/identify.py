"""``identify``: which nadam_ref rule and variant does this optimizer compute?

Give it a torch optimizer class, an optax transformation factory, a keras (3) or tf.keras (2) optimizer class, a
Paddle optimizer class, each with the keyword arguments you call it with, or a plain step function with the
signature of :func:`~nadam_ref.crosscheck.compare` (``step_fn(theta, g, state) -> (theta, state[, trace])``).
It runs the target on the cross-check problems, runs every variant each rule *declares*
(:func:`nadam_ref.rules.variants`: schedules, ε placements, m decay, ``eps_root``, ``n0``, ...), each also with
η, μ, ν, ε rounded to float32 (what tf.keras and Paddle do to their hyper-parameters), and reports

* the variants that reproduce the target within the tolerance (normwise relative, as the cross-check), variants
  that compute the same numbers grouped as one answer with its other spellings;
* otherwise the nearest by distance, with the first step and the first line of its box where the two part, and,
  where one scale of η (or of η and ε together) makes it reproduce the target, that scale in words.

It searches the rules the target's name points to (:func:`likely_rules`); when none of them reproduces the target it
goes on to every other rule before answering "none", and the report names the rules searched either way. Options
that change a rule rather than read its box another way (AMSGrad's ``max_n``, declared in
``RuleSpec.searched_later``) are tried away from their defaults only when no variant at their defaults reproduces
the target, so the common answer costs no more than before they existed; the report says when they were.

The numbers the library was given are read from its keyword arguments and, where absent, from the defaults in its
signature (``lr``/``learning_rate`` → η; ``betas``, ``beta_1``/``b1``/``momentum`` → μ; ``beta_2``/``b2``/``rho``/
``alpha`` → ν; ``eps``/``epsilon`` → ε; ``initial_accumulator_value`` → ``n0``; ``eps_root``). A step function has
its numbers built in: pass them as ``hparams`` under nadam_ref's names or those same library names (each rule's
default η and the paper's μ, ν, ε otherwise); any other key is refused. Libraries run in float64 (torch with float64
as its default dtype, as in the cross-check).

The target gets copies of every array (:mod:`nadam_ref.handover`), so one that works in place is judged fairly. Its
warnings are counted, not shown as they come: the report lists each distinct one once.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import math
import numbers as _numbers
import os
import re
import time
import warnings
from dataclasses import dataclass, field

import numpy

from .. import rules
from ..handover import calling_with_copies, handed
from ..trajectory import trajectory
from . import problems as _problems
from ._adapter import Case, float32_rounded, installed_version
from .compare import compare
from .harness import PAPER_HPARAMS, TOLERANCE, distance

KINDS = ("torch", "optax", "keras", "tf_keras", "paddle", "step")  # and an adapter's Case, for the tests
#: The whole space: every rule that takes a gradient (nag_lookahead takes a gradient function).
SEARCHED_RULES = tuple(r for r in rules.RULES if r != "nag_lookahead")
#: The likely rules, by words in the target's own name, then in its module and call (the first that appears wins;
#: none: the whole space).
_LIKELY = (("nadamax", ("nadamax",)), ("nadam", ("nadam", "nadamax")), ("adamax", ("adamax", "nadamax")),
           ("adam", ("adam", "nadam", "adamax", "nadamax")), ("amsgrad", ("adam", "nadam")),
           ("maxaprop", ("maxaprop",)), ("rmsprop", ("rmsprop",)),
           ("adagrad", ("adagrad",)), ("sgd", ("gd", "momentum", "nag")), ("momentum", ("gd", "momentum", "nag")),
           ("nesterov", ("gd", "momentum", "nag")), ("nag", ("gd", "momentum", "nag")))

#: nadam_ref's name of each number → the libraries' names for it that identify reads (``betas`` is (μ, ν)).
_ALIASES = {"lr": ("lr", "learning_rate"), "mu": ("mu", "beta_1", "beta1", "b1", "momentum"),
            "nu": ("nu", "beta_2", "beta2", "b2", "rho", "alpha"), "eps": ("eps", "epsilon"),
            "n0": ("n0", "initial_accumulator_value"), "eps_root": ("eps_root",)}
#: The keys ``hparams`` accepts: nadam_ref's names, ``betas``, and the libraries' names above.
HPARAM_KEYS = tuple(dict.fromkeys([*_ALIASES, "betas", *(a for names in _ALIASES.values() for a in names)]))
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
    same: list = field(default_factory=list)  # other spellings that compute the same numbers (within the tolerance)
    explained: str | None = None  # a scale of η (or η and ε) that makes it reproduce the target, in words

    def label(self) -> str:
        """``rule(options that differ from the box as printed)``."""
        defaults = rules.spec(self.rule).defaults()
        args = ", ".join(f"{k}={v!r}" for k, v in self.variant.items() if defaults.get(k, object()) != v)
        return f"{self.rule}({args})" + ("  [η, μ, ν, ε rounded to float32]" if self.float32_hparams else "")

    def declared_for(self) -> list[str]:
        """The library calls the rule's declaration maps to this variant (``rules.spec(rule).library_variants``)."""
        spec = rules.spec(self.rule)
        spelled = {**spec.defaults(), **self.variant}
        return [lv.library for lv in spec.library_variants if {**spec.defaults(), **lv.hparams} == spelled]

    def as_dict(self) -> dict:
        return {"rule": self.rule, "variant": self.variant, "float32_hparams": self.float32_hparams,
                "distance": self.distance, "step": self.step, "symbol": self.symbol, "line": self.line,
                "label": self.label(), "same_numbers": [m.label() for m in self.same], "explained": self.explained,
                "declared_for": self.declared_for()}


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
    matches: list = field(default_factory=list)  # one Match per answer (its other spellings in .same), nearest first
    nearest: list = field(default_factory=list)  # the nearest answers by distance, whether or not they match
    longest: Match | None = None  # a step function reporting box lines: the likely variant agreeing with it longest
    rescaled: Match | None = None  # when the nearest has no scale that explains it: the nearest variant with one
    rules: list = field(default_factory=list)  # the rules searched, in the order searched
    chosen: str = ""  # why those rules: "as asked", "its name says 'adam'", ...
    widened: list = field(default_factory=list)  # the rules searched after none of the likely ones reproduced it
    later: list = field(default_factory=list)  # "rule option" searched away from its default, after none at it did
    searched: int = 0
    seconds: float = 0.0  # the search: every variant on every problem, and locating the nearest
    target_seconds: float = 0.0  # importing and running the target (a library's import dominates)
    dropped: dict = field(default_factory=dict)  # problem -> why the target's run there was left out
    warnings: list = field(default_factory=list)  # each distinct warning the target gave, once, with its count

    def __bool__(self):
        return bool(self.matches)

    def __str__(self):
        numbers = ", ".join(f"{k}={v:g}" for k, v in self.hparams.items())
        missing = [name for name in ("lr", "mu", "nu", "eps") if name not in self.hparams]
        if missing:
            numbers += ("; " if numbers else "") + f"{', '.join(missing)} not given: the paper's (η: each rule's)"
        first = [r for r in self.rules if r not in self.widened]
        searched = f"  rules searched: {', '.join(first)} ({self.chosen})"
        if self.widened:
            searched += f"; none of them reproduced it, so also {', '.join(self.widened)}"
        if self.later:
            searched += (f"; {', '.join(self.later)} at other values than the default only after none at the "
                         "default reproduced it")
        lines = [f"identify {self.target}",
                 f"  read as: {numbers}; {self.steps} steps, "
                 f"{self.dtype}, problems {', '.join(self.problems)}; tolerance {self.tolerance:g} (normwise relative)",
                 searched,
                 f"  {self.searched} declared variants (each also with η, μ, ν, ε rounded to float32) in "
                 f"{self.seconds:.1f} s; importing and running the target took {self.target_seconds:.1f} s"]
        lines += [f"  left out {p}: {why}" for p, why in self.dropped.items()]
        if self.warnings:
            lines.append("  the target warned (each distinct warning once):")
            lines += [f"    {w}" for w in self.warnings]
        if self.matches:
            lines.append("  reproduced by (max rel. diff.):")
            for m in self.matches:
                declared = f"   (declared for {'; '.join(m.declared_for())})" if m.declared_for() else ""
                lines.append(f"    {m.label()}   {m.distance:.1e}{declared}")
                lines += [f"      the same numbers: {', '.join(s.label() for s in m.same)}"] if m.same else []
        else:
            best = self.nearest[0]
            declared = f" (declared for {'; '.join(best.declared_for())})" if best.declared_for() else ""
            lines.append(f"  none reproduces it within {self.tolerance:g}. Nearest: {best.label()} at "
                         f"{best.distance:.1e}{declared}")
            lines += [f"    the same numbers: {', '.join(s.label() for s in best.same)}"] if best.same else []
            lines.append(f"    first parts at step {best.step}, line {best.symbol!r}: {best.line}")
            lines.append(f"    {best.explained or 'no one scale of η, nor of η and ε together, makes it reproduce it'}")
            if self.rescaled is not None:
                lines.append(f"  with one scale: {self.rescaled.explained}")
            for m in self.nearest[1:]:
                also = f"; the same numbers: {', '.join(s.label() for s in m.same)}" if m.same else ""
                lines.append(f"  next: {m.label()} at {m.distance:.1e} ({_differences(best, m)}{also})")
            if self.longest is not None:
                m = self.longest
                lines.append(f"  agrees longest with the box lines it reports: {m.label()} (at {m.distance:.1e}); "
                             f"first parts at step {m.step}, line {m.symbol!r}: {m.line}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """The identification as plain data (``nadam-ref identify --json``)."""
        return {"target": self.target, "kind": self.kind, "hparams": self.hparams, "dtype": self.dtype,
                "steps": self.steps, "problems": self.problems, "tolerance": self.tolerance, "found": bool(self),
                "matches": [m.as_dict() for m in self.matches], "nearest": [m.as_dict() for m in self.nearest],
                "rules_searched": self.rules, "rules_chosen": self.chosen, "rules_widened": self.widened,
                "searched_later": self.later,
                "longest": self.longest.as_dict() if self.longest is not None else None,
                "rescaled": self.rescaled.as_dict() if self.rescaled is not None else None,
                "searched": self.searched, "seconds": self.seconds, "dropped": self.dropped,
                "warnings": self.warnings}

    _all: list = field(default_factory=list, repr=False)


def _differences(nearest: Match, other: Match) -> str:
    """What ``other`` changes from ``nearest``, in options (or: another rule)."""
    if other.rule != nearest.rule:
        return f"another rule: {other.rule}"
    changed = [f"{k}={v!r}" for k, v in other.variant.items() if nearest.variant.get(k, object()) != v]
    changed += [f"no {k}" for k in nearest.variant if k not in other.variant]
    changed += ["η, μ, ν, ε rounded to float32"] * (other.float32_hparams and not nearest.float32_hparams)
    return "from the nearest: " + (", ".join(changed) or "η, μ, ν, ε as given")


def likely_rules(name: str) -> tuple[str, ...]:
    """The rules a target's name points to (``"NAdamW"`` → nadam, nadamax); all of them when it names none. The
    target's own name counts before its module's (``adam_experiments:rmsprop_step`` → rmsprop)."""
    return _likely(name)[1]


def _likely(name: str) -> tuple[str | None, tuple[str, ...]]:
    """(the word that chose them, the likely rules) for a target called ``name``."""
    text = name.lower()
    own = re.split(r"[:.\s]", text.split("(")[0].split("  [")[0].strip())[-1]  # "pkg.mod:Name(...)  [lib 1.0]"
    for searched in (own, text):
        for word, names in _LIKELY:
            if word in searched:
                return word, names
    return None, SEARCHED_RULES


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


def given_hparams(hparams: dict | None) -> dict:
    """``hparams`` as nadam_ref's numbers. Its keys are nadam_ref's names (lr, mu, nu, eps, n0, eps_root), ``betas``
    or the libraries' names that identify reads from calls (learning_rate, beta1, beta_2, b1, epsilon, ...); any
    other key is an error naming it and the accepted ones, and so is a value that is not a finite number."""
    if not isinstance(hparams, dict):
        raise ValueError(f"hparams={hparams!r}; expected a dict of numbers such as {{'lr': 0.002, 'mu': 0.99}}")
    canonical = {alias: name for name, names in _ALIASES.items() for alias in names}
    out, source = {}, {}
    for key, value in hparams.items():
        if key not in HPARAM_KEYS:
            raise ValueError(f"hparams: unknown key {key!r}; accepted: {', '.join(HPARAM_KEYS)}")
        if key == "betas":
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
                raise ValueError(f"hparams['betas'] = {value!r}: expected a pair (μ, ν) of finite numbers")
            pairs = zip(("mu", "nu"), value, strict=True)
        else:
            pairs = [(canonical[key], value)]
        for name, number in pairs:
            number = _number(f"hparams[{key!r}] =", number)
            if name in out and out[name] != number:
                raise ValueError(f"hparams give {name} twice: {source[name]}={out[name]!r} and {key}={value!r}")
            out[name], source[name] = number, key
    return out


def _number(what: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, _numbers.Real) or not math.isfinite(value):
        hint = " (a string: write the number without quotes)" if isinstance(value, str) else ""
        raise ValueError(f"{what} {value!r}; expected a finite number{hint}")
    return float(value)


def library_hparams(obj, kwargs: dict, kind: str) -> dict:
    """The nadam_ref numbers a library call computes with: its keyword arguments over its signature's defaults
    (the keys it does not know are the library's own business)."""
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        params = {}
    given = {n: p.default for n, p in params.items() if p.default is not inspect.Parameter.empty}
    given.update(kwargs)
    aliases = {name: names[1:] if name in ("mu", "nu", "n0") else names for name, names in _ALIASES.items()}
    aliases["nu"] += ("decay",) if kind == "optax" else ()  # optax's rmsprop
    out = {}
    betas = given.get("betas")
    if betas is not None:
        out["mu"], out["nu"] = betas
    for name, names in aliases.items():
        for alias in names:
            if name not in out and given.get(alias) is not None:
                out[name] = given[alias]
    return {name: _number(f"identify reads {name} from the call as", value) for name, value in out.items()}


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
    step_fn = calling_with_copies(step_fn)  # it may write into the θ and g it is given

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


def identify(target, kwargs: dict | None = None, *, kind: str | None = None, rule_names=None,
             hparams: dict | None = None, steps: int = 20, dtype: str = "float64", tolerance: float | None = None,
             problem_names=None, top: int = 3) -> Identification:
    """Search the declared variants of ``rule_names`` for ``target``: by default the rules its name points to
    (:func:`likely_rules`), then, when none of them reproduces it, every other rule; ``"all"`` for every rule but
    nag_lookahead; a list for exactly those rules.

    ``target``: a class, factory or step function, or its name as ``"package.module:Name"``; ``kwargs``: the
    keyword arguments the library is called with; ``kind``: one of :data:`KINDS` (guessed from the target's
    module otherwise); ``hparams``: numbers that override those read from the call (for a step function, the
    numbers built into it), keyed as :func:`given_hparams` accepts.
    """
    started = time.perf_counter()
    name = target if isinstance(target, str) else None
    obj = resolve(target) if isinstance(target, str) else target
    kwargs, overrides = dict(kwargs or {}), given_hparams(hparams or {})
    if isinstance(obj, Case):
        kind, run, numbers_at, label = _case_target(obj, overrides)
        name = label
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
        numbers.update(overrides)
        name = name or _name(obj)
        label = _label(name, kwargs, kind)
        numbers_at = lambda problem: numbers  # noqa: E731 - the same numbers on every problem
    if rule_names == "all":
        first, chosen = SEARCHED_RULES, "all but nag_lookahead, as asked"
    elif rule_names:
        first, chosen = tuple(rule_names), "as asked"
    else:
        word, first = _likely(name)
        chosen = f"its name says {word!r}" if word else "its name names no rule: all but nag_lookahead"
    for rule in first:
        rules.get(rule)
    tolerance = TOLERANCE[dtype] if tolerance is None else float(tolerance)
    problem_names = list(problem_names or _problems.PROBLEMS)
    result = Identification(label, kind, {}, dtype, steps, [], tolerance, chosen=chosen)

    paths, heard = {}, {}
    for problem_name in problem_names:
        problem = _problems.get(problem_name)
        theta0 = problem.start(numpy, dtype)
        numbers = numbers_at(problem)
        path = _run_target(run, problem, theta0, steps, dtype, numbers, heard)
        if numpy.isfinite(path).all():
            paths[problem_name] = (problem, theta0, path, numbers)
            result.hparams = numbers
        else:
            result.dropped[problem_name] = "the target's iterates left the finite numbers (η too large here?)"
    result.warnings = [f"{category} at {where}: {message} ({count} time{'s' * (count > 1)})"
                       for (category, message, where), count in heard.items()]
    if not paths:
        warned = f"; it warned: {'; '.join(result.warnings)}" if result.warnings else ""
        raise ValueError(f"{label} diverged on every problem ({', '.join(problem_names)}); give a smaller η{warned}")
    result.problems = list(paths)
    result.target_seconds = time.perf_counter() - started  # import, resolve and run the target
    searching = time.perf_counter()

    with _ours():
        result.rules = list(first)
        found = _search_staged(first, result, paths, steps, tolerance)
        if not _reproducing(found, tolerance) and not rule_names:
            result.widened = [r for r in SEARCHED_RULES if r not in first]
            result.rules += result.widened
            found += _search_staged(result.widened, result, paths, steps, tolerance)
        found.sort(key=lambda item: item[0])
        result.searched = len(found) // 2  # each variant was measured twice: as given and rounded
        result._all = [m for _, m in found]
        result.matches = _grouped(_reproducing(found, tolerance), paths, steps, tolerance)
        if result.matches:
            result.nearest = result.matches[:top]
        else:
            nearest = _grouped(_nearest(found, tolerance), paths, steps, tolerance, limit=top)
            for match in nearest:
                _locate(match, obj, kind, paths, steps, tolerance)
            # by distance; a tie (rare: the same distance to the last digit) goes to the one that agrees longest
            result.nearest = sorted(nearest, key=lambda m: (m.distance, -m.step, -m.agreed))
            result.nearest[0].explained = _explain(result.nearest[0], paths, steps, tolerance)
            if not result.nearest[0].explained:
                result.rescaled = _rescaled(found, paths, steps, tolerance)
            if kind == "step" and _reported(obj, paths):
                result.longest = _agreeing_longest(obj, first, found, paths, steps, tolerance)
    result.seconds = time.perf_counter() - searching
    return result


@contextlib.contextmanager
def _ours():
    """Our own computations, and the target's calls again from there: diverging variants are expected, so their
    floating-point warnings are not raised (the target's first run is counted by :func:`_run_target`)."""
    with warnings.catch_warnings(), numpy.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _run_target(run, problem, theta0, steps, dtype, numbers, heard: dict):
    """The target's iterates on ``problem``. Each warning it gives is counted in ``heard`` by (category, message,
    place), to be reported once; the problem's gradient at the target's iterates (ours) warns of nothing."""
    def quiet_grad(theta):
        with numpy.errstate(all="ignore"):
            return problem.grad(theta)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = run(quiet_grad, theta0, steps, dtype, numbers)
    for w in caught:
        key = (w.category.__name__, str(w.message), f"{os.path.basename(w.filename)}:{w.lineno}")
        heard[key] = heard.get(key, 0) + 1
    return path


def _search(rule_names, numbers: dict, paths, steps, later: bool = False) -> list:
    """(distance, Match) for every declared variant of ``rule_names``, with the numbers as given and rounded: those
    with the options their rule searches later (``RuleSpec.searched_later``) at their defaults, or, with ``later``,
    the others."""
    found = []
    for candidate in _candidates(rule_names, numbers, later):
        found += _measure(*candidate, paths, steps)
    return found


def _search_staged(rule_names, result, paths, steps, tolerance) -> list:
    """:func:`_search` at the later options' defaults, then, when nothing reproduces the target, at their other
    values (AMSGrad's ``max_n`` on Adam and Nadam): the common answer costs little more than before they existed,
    and no declared variant goes unsearched before "none". The later options searched are noted in ``result``.
    When some variants reproduce the target, their twins at the later options' other values are measured too, so
    that one computing the same numbers on these problems is named among the spellings (on the cross-check's
    problems n_t only grows, and torch's ``Adam(amsgrad=True)`` is Adam's numbers there)."""
    found = _search(rule_names, result.hparams, paths, steps)
    reproducing = _reproducing(found, tolerance)
    if reproducing:
        twins = []
        for _, match in reproducing:
            spec = rules.spec(match.rule)
            for name in spec.searched_later:
                for other in spec.options[name][1:]:
                    twin = (match.rule, {**match.variant, name: other})
                    if twin not in twins:
                        twins.append(twin)
        for rule, variant in twins:
            found += _measure(rule, variant, paths, steps)
    else:
        later = [(rule, name) for rule in rule_names for name in rules.spec(rule).searched_later]
        if later:
            found += _search(rule_names, result.hparams, paths, steps, later=True)
            result.later += [f"{rule} {name}" for rule, name in later]
    return found


def _reproducing(found, tolerance) -> list:
    """The (distance, Match) within the tolerance; those with float32-rounded numbers only when they are needed."""
    matches = [(d, m) for d, m in found if d <= tolerance]
    if any(not m.float32_hparams for _, m in matches):  # rounding is only worth naming when it is needed
        matches = [(d, m) for d, m in matches if not m.float32_hparams]
    return sorted(matches, key=lambda item: item[0])


def _nearest(found, tolerance):
    """One entry per variant, nearest first; of its two measurements the one with the hyper-parameters as given,
    unless the rounded one reproduces the target or is at least ten times nearer (rounding explains the gap)."""
    by_variant = {}
    for item in sorted(found, key=lambda item: item[0]):  # nearest first: the first of two twins is the nearer
        key = (item[1].rule, tuple(item[1].variant.items()))
        kept = by_variant.get(key)
        if kept is None:
            by_variant[key] = item
        elif kept[1].float32_hparams and kept[0] > tolerance and not 10 * kept[0] <= item[0]:
            by_variant[key] = item
    return sorted(by_variant.values(), key=lambda item: item[0])


def _grouped(items, paths, steps, tolerance, limit=None) -> list:
    """``items`` ((distance, Match), nearest first) as answers: the variants whose own iterates agree within the
    tolerance on every problem are one answer, spelled as a library call the rules declare if one is among them,
    else the simplest way (fewest options away from the box as printed), the others in its ``same``. At most
    ``limit`` answers, nearest first."""
    groups = []  # (the first member's iterates per problem, members)
    for gap, match in items:
        if limit is not None and len(groups) >= limit and not gap <= _reach(groups[-1][1][0].distance, tolerance):
            break  # too far to compute the same numbers as any answer kept
        mine = _reference_paths(match, paths, steps)
        home = next((members for theirs, members in groups
                     if all(distance(theirs[p], mine[p]) <= tolerance for p in mine)), None)
        if home is not None:
            home.append(match)
        elif limit is None or len(groups) < limit:
            groups.append((mine, [match]))
    answers = []
    for _, members in groups:
        best = min(members, key=lambda m: (not m.declared_for(), _options_away(m), m.float32_hparams, m.distance))
        best.same = [m for m in members if m is not best]
        answers.append(best)
    return sorted(answers, key=lambda m: m.distance)


def _reach(gap: float, tolerance: float) -> float:
    """The largest distance to the target of a variant that computes the same numbers (within the tolerance) as one
    at ``gap``: the triangle inequality, with room for the normalisation by either side."""
    return gap * (1 + 4 * tolerance) + 4 * tolerance if math.isfinite(gap) else -math.inf


def _reference_paths(match, paths, steps) -> dict:
    """The variant's iterates on each problem the target ran on."""
    out = {}
    for name, (problem, theta0, _, numbers) in paths.items():
        hp = _hparams_for(match.rule, numbers, match.variant, match.float32_hparams)
        out[name] = _trajectory_or_nan(match.rule, problem, theta0, steps, hp)
    return out


def _trajectory_or_nan(rule, problem, theta0, steps, hp):
    try:
        return trajectory(rule, problem.grad, theta0, steps, **hp)
    except (ValueError, ArithmeticError):  # e.g. a variant's denominator at zero: it reproduces nothing
        return numpy.full((steps + 1, *theta0.shape), numpy.nan)


def _candidates(rule_names, target_numbers: dict, later: bool = False):
    """(rule, variant) for every declared variant; a numeric variant the target sets takes the target's value.
    Those whose options searched later (``RuleSpec.searched_later``) are all at their defaults, or, with ``later``,
    those where one is not."""
    for rule in rule_names:
        seen, spec = [], rules.spec(rule)
        for variant in rules.variants(rule):
            if later != any(variant[name] != spec.options[name][0] for name in spec.searched_later):
                continue
            numeric = rules.spec(rule).numeric_variants
            variant = {k: target_numbers.get(k, v) if k in numeric else v for k, v in variant.items()}
            variant = {k: v for k, v in variant.items() if not (k in numeric and v == 0)}  # 0 is the default
            if variant not in seen:
                seen.append(variant)
                yield rule, variant


def _case_target(case, overrides):
    """An adapter's :class:`Case` as a target: the numbers the cross-check gives it (the paper's μ, ν, ε and
    the problem's η for the case's rule), rounded to float32 when the library rounds them."""
    module = rules.get(case.rule)

    def numbers_at(problem):
        numbers = {**PAPER_HPARAMS, "lr": problem.lr(module), **overrides}
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
        worst = 0.0
        for problem, theta0, path, numbers in paths.values():
            hp = _hparams_for(rule, numbers, variant, rounded)
            worst = max(worst, distance(_trajectory_or_nan(rule, problem, theta0, steps, hp), path))
        out.append((worst, Match(rule, variant, rounded, worst)))
    return out


def _name(obj) -> str:
    base = obj.func if isinstance(obj, functools.partial) else obj
    return f"{getattr(base, '__module__', '?')}.{getattr(base, '__qualname__', type(base).__name__)}"


def _hparams_for(rule, numbers, variant, rounded, scale=None):
    """The hyper-parameters of ``rule``'s ``variant`` at the target's numbers (each rule's η and the paper's μ, ν, ε
    where not given), rounded to float32 when asked, with the numbers in ``scale`` multiplied by its factor."""
    hp = dict(PAPER_HPARAMS, lr=rules.get(rule).DEFAULT_LR)
    hp.update({k: v for k, v in numbers.items() if k in ("lr", "mu", "nu", "eps")})
    hp = rules.select_hparams(rule, {**hp, **variant})
    hp.update({k: hp[k] * factor for k, factor in (scale or {}).items()})
    return float32_rounded(hp) if rounded else hp


def _options_away(match) -> int:
    defaults = rules.spec(match.rule).defaults()
    return sum(defaults.get(k, object()) != v for k, v in match.variant.items())


def _first_parting(path_ref, path_lib, tolerance) -> int:
    gaps = [distance(path_ref[t:t + 1], path_lib[t:t + 1]) for t in range(len(path_ref))]
    return next((t for t, gap in enumerate(gaps) if not gap <= tolerance), len(path_ref) - 1)


def _locate(match, obj, kind, paths, steps, tolerance):
    """Where ``match`` first parts from the target, the earliest over the problems: every box line for a step
    function (via :func:`compare`), the θ line for a library (only its iterates are seen)."""
    module = rules.get(match.rule)
    if kind == "step":
        partings = []
        for problem, theta0, _, numbers in paths.values():
            hp = _hparams_for(match.rule, numbers, match.variant, match.float32_hparams)
            verdict = compare(obj, match.rule, grad_fn=problem.grad, theta0=theta0, steps=steps, rtol=tolerance, **hp)
            if not verdict.agree:
                partings.append((verdict.step, len(verdict.checked) - 1, verdict))
        if partings:
            match.step, match.agreed, verdict = min(partings, key=lambda p: p[:2])
            match.symbol, match.line = verdict.symbol, verdict.line
            return
    references = _reference_paths(match, paths, steps)
    match.step = min(_first_parting(references[name], path, tolerance) for name, (_, _, path, _) in paths.items())
    match.symbol, match.line = "theta", dict(module.BOX)["theta"]


def _rescaled(found, paths, steps, tolerance) -> Match | None:
    """The nearest variant that a named scale of η (or of η and ε) makes reproduce the target, e.g. a step function
    given η = 0.002 whose own η is 0.001: a cheap first-step fit for every variant, a run only where it names one."""
    for _, match in _nearest(found, tolerance):
        match.explained = _explain(match, paths, steps, tolerance, fitted_too=False)
        if match.explained:
            return match
    return None


def _reported(step_fn, paths) -> tuple:
    """The box quantities other than θ a step function reports at its first step (its intermediates' names)."""
    problem, theta0, _, _ = next(iter(paths.values()))
    out = step_fn(handed(theta0), problem.grad(theta0), {})
    return tuple(out[2]) if len(out) == 3 and isinstance(out[2], dict) else ()


def _agreeing_longest(step_fn, rule_names, found, paths, steps, tolerance):
    """Of the variants of ``rule_names``, the one whose box agrees longest with the lines the step function
    reports (the latest step where they part, then the most lines agreed there, then the rule whose box its reports
    fill best; of those that agree equally long, the simplest spelling, then the nearer iterates): where the slip
    in a function that shows its work is."""
    candidates = [m for _, m in _nearest(found, tolerance) if m.rule in rule_names]
    reported = set(_reported(step_fn, paths))
    for match in candidates:
        _locate(match, step_fn, "step", paths, steps, tolerance)
        box = {symbol for symbol, _ in rules.get(match.rule).BOX}
        match.covered = len(reported & box) / len(box)
    return min(candidates, key=lambda m: (-m.step, -m.agreed, -m.covered, _options_away(m), m.distance),
               default=None)


def _explain(match, paths, steps, tolerance, fitted_too=True) -> str | None:
    """In words, a scale of η, or of η and ε together, with which ``match`` reproduces the target: fitted from the
    first step, named where it is a simple expression of μ or ν (``fitted_too``: also tried as fitted), and checked
    on every problem. None when no such scale reproduces it."""
    fitted = _first_step_ratio(match, paths)
    if fitted is None:
        return None
    numbers = next(iter(paths.values()))[3]
    tries = [(label if label == f"{value:g}" else f"{label} = {value:.6g}", value)
             for label, value in _named_scales(numbers).items()
             if abs(value / fitted - 1) < 1e-3] + [(f"{fitted:.6g} (fitted)", fitted)] * fitted_too
    reads = rules.spec(match.rule).hparams
    for names, words in ((("lr",), "η"), (("lr", "eps"), "η and ε")):
        if not set(names) <= set(reads):
            continue
        for shown, factor in tries:
            gap = max(distance(_trajectory_or_nan(match.rule, problem, theta0, steps,
                                                  _hparams_for(match.rule, numbers_, match.variant,
                                                               match.float32_hparams, dict.fromkeys(names, factor))),
                               path)
                      for problem, theta0, path, numbers_ in paths.values())
            if gap <= tolerance:
                return f"as {match.label()} with {words} scaled by {shown}: reproduces it at {gap:.1e}"
    return None


def _first_step_ratio(match, paths) -> float | None:
    """The factor by which the target's first step is the variant's (least squares over the coordinates)."""
    for problem, theta0, path, numbers in paths.values():
        hp = _hparams_for(match.rule, numbers, match.variant, match.float32_hparams)
        reference = _trajectory_or_nan(match.rule, problem, theta0, 1, hp)
        ours, theirs = reference[1] - reference[0], path[1] - path[0]
        norm = float(numpy.dot(ours, ours))
        if norm > 0 and math.isfinite(norm):
            ratio = float(numpy.dot(theirs, ours)) / norm
            return ratio if math.isfinite(ratio) and ratio > 0 else None
    return None


def _named_scales(numbers: dict) -> dict:
    """Simple expressions of the target's μ and ν (the paper's where not given) that a library may fold into η."""
    mu, nu = numbers.get("mu", PAPER_HPARAMS["mu"]), numbers.get("nu", PAPER_HPARAMS["nu"])
    scales = {"2": 2.0, "1/2": 0.5}
    for symbol, value in (("μ", mu), ("ν", nu)):
        if 0 < value < 1:
            rest = 1 - value
            scales.update({symbol: value, f"1/{symbol}": 1 / value, f"√{symbol}": value**0.5,
                           f"1/√{symbol}": value**-0.5, f"1 − {symbol}": rest, f"1/(1 − {symbol})": 1 / rest,
                           f"√(1 − {symbol})": rest**0.5, f"1/√(1 − {symbol})": rest**-0.5})
    return scales
