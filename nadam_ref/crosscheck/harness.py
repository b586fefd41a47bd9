"""Run every mapped library call next to its nadam_ref variant and measure how far apart they are.

Distances are *normwise relative*: for two trajectories θ and θ', the largest over steps t of
:math:`\\|\\theta_t - \\theta'_t\\|_\\infty / \\|\\theta_t\\|_\\infty` (θ is nadam_ref's). A mapped pair agrees when
that stays within :data:`TOLERANCE` for the dtype: 1e-12 in float64 (the libraries order their floating-point
operations differently, which costs a few ulps a step; measured worst case over 50 steps is below 1e-15), and
1e-4 in float32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy

from .. import rules
from ..trajectory import trajectory
from . import (
    keras_adapter,
    mxnet_adapter,
    optax_adapter,
    paddle_adapter,
    problems,
    pytorch_optimizer_adapter,
    tfkeras_adapter,
    timm_adapter,
    torch_adapter,
)
from ._adapter import LibraryMissingError, LibraryTooOldError, check_version, float32_rounded, installed_version

#: torch, optax, keras come with the ``crosscheck`` extra; tf.keras 2, timm, pytorch-optimizer and Paddle with
#: ``peers``; MXNet only in an environment of its own (see mxnet_adapter).
ADAPTERS = {m.LIBRARY: m for m in (torch_adapter, optax_adapter, keras_adapter, tfkeras_adapter, timm_adapter,
                                   pytorch_optimizer_adapter, paddle_adapter, mxnet_adapter)}
LIBRARIES = tuple(ADAPTERS)
DTYPES = ("float64", "float32")
TOLERANCE = {"float64": 1e-12, "float32": 1e-4}

#: The paper's hyper-parameters every library is given (η is the rule's default, see Problem.lr).
PAPER_HPARAMS = {"mu": 0.99, "nu": 0.999, "eps": 1e-8}


class UnknownLibraryError(ValueError):
    """A library name the harness has no adapter for."""


def parse_libraries(text: str) -> tuple[list[str], bool]:
    """``"torch,optax"`` or ``"all"`` → (names, whether they were named explicitly)."""
    if text.strip() == "all":
        return list(LIBRARIES), False
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in ADAPTERS:
            raise UnknownLibraryError(f"unknown library {name!r}; expected some of {', '.join(LIBRARIES)} or 'all'")
    if not names:
        raise UnknownLibraryError(f"no library named; expected some of {', '.join(LIBRARIES)} or 'all'")
    return names, True


def distance(reference, other) -> float:
    """Largest normwise relative distance over the steps (inf where one side is not finite)."""
    reference, other = numpy.asarray(reference, dtype="float64"), numpy.asarray(other, dtype="float64")
    if not (numpy.isfinite(reference).all() and numpy.isfinite(other).all()):
        return math.inf
    axes = tuple(range(1, reference.ndim))
    gap = numpy.abs(reference - other).max(axis=axes)
    scale = numpy.maximum(numpy.abs(reference).max(axis=axes), numpy.finfo("float64").tiny)
    return float((gap / scale).max())


@dataclass
class Row:
    """One library call: its mapping and what was measured, the worst over the problems."""

    library: str
    version: str | None
    call: str
    rule: str
    formula: str
    variant: dict | None
    status: str = "agree"  # agree | DIFFER | unmapped | skipped
    reason: str = ""
    max_abs: float = math.nan
    max_rel: float = math.nan
    from_paper: float = math.nan
    closest: dict | None = None
    per_problem: dict = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == "DIFFER"


def run_case(case, dtype: str, steps: int, problem_names) -> Row:
    """Run one case on each problem; compare with its variant (or, unmapped, find the variant closest over all
    problems together) and with the paper's literal form."""
    formula = case.formula + ("   [float32 hyper-parameters]" if case.float32_hparams else "")
    row = Row(case.library, None, case.call, case.rule, formula, case.variant,
              status="agree" if case.variant is not None else "unmapped")
    module = rules.get(case.rule)
    candidates = [case.variant] if case.variant is not None else rules.variants(case.rule)
    runs = {}
    for name in problem_names:
        problem = problems.get(name)
        hp = dict(rules.select_hparams(case.rule, PAPER_HPARAMS), lr=problem.lr(module))
        if case.float32_hparams:  # the library rounds them: give both sides the rounded values
            hp = float32_rounded(hp)
        theta0 = problem.start(numpy, dtype)
        library_path = case.run(problem.grad, theta0, steps, hp, dtype)
        paths = [trajectory(case.rule, problem.grad, theta0, steps, **hp, **v) for v in candidates]
        runs[name] = (library_path, paths, trajectory(case.rule, problem.grad, theta0, steps, **hp))
    worst = [max(distance(paths[i], lib) for lib, paths, _ in runs.values()) for i in range(len(candidates))]
    best = min(range(len(candidates)), key=worst.__getitem__)
    for name, (library_path, paths, paper_path) in runs.items():
        row.per_problem[name] = {"max_abs": float(numpy.abs(paths[best] - library_path).max()),
                                 "max_rel": distance(paths[best], library_path),
                                 "from_paper": distance(paper_path, library_path)}
    for key in ("max_abs", "max_rel", "from_paper"):
        setattr(row, key, max(r[key] for r in row.per_problem.values()))
    if case.variant is None:
        row.closest = candidates[best]
    elif not row.max_rel <= TOLERANCE[dtype]:
        row.status = "DIFFER"
    return row


def _install_hint(adapter) -> str:
    return f"pip install -e '.[{getattr(adapter, 'EXTRA', 'crosscheck')}]'"


@dataclass
class Report:
    dtype: str
    steps: int
    problems: list
    rows: list
    skipped: dict  # library -> reason
    explicit: bool

    @property
    def compared(self) -> int:
        """How many mapped calls were run and compared with their variant (agreeing or not)."""
        return sum(r.status in ("agree", "DIFFER") for r in self.rows)

    @property
    def ok(self) -> bool:
        """Every mapped pair agrees, and there was at least one; a missing or too-old library fails only when it
        was named explicitly. With nothing compared (every library skipped) there is no pass: False."""
        if self.compared == 0 or any(r.failed for r in self.rows):
            return False
        return not (self.explicit and (self.skipped or any(r.status == "skipped" for r in self.rows)))

    def summary(self) -> str:
        """One line: how many mapped calls were compared and whether all agree, or "nothing compared"."""
        skipped = sorted({*self.skipped, *(r.library for r in self.rows if r.status == "skipped")})
        note = f"; skipped: {', '.join(skipped)}" if skipped else ""
        if self.compared == 0:
            return f"nothing compared: no mapped call was run{note} (not a pass)"
        differ = sum(r.failed for r in self.rows)
        verdict = f"{differ} of them differ" if differ else "every one agrees"
        return f"{self.compared} mapped call{'s' if self.compared > 1 else ''} compared, {verdict}{note}"


def crosscheck(libraries=LIBRARIES, steps: int = 50, dtype: str = "float64", rule_names=None,
               problem_names=None, explicit: bool = True) -> Report:
    """Run the cross-check: every case of every library in ``libraries`` (optionally only ``rule_names``)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype={dtype!r}; expected one of {DTYPES}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps={steps!r}; expected an integer >= 1")
    for rule in rule_names or ():
        rules.get(rule)
    problem_names = list(problem_names or problems.PROBLEMS)
    for name in problem_names:
        problems.get(name)
    report = Report(dtype, steps, problem_names, [], {}, explicit)
    for library in libraries:
        if library not in ADAPTERS:
            raise UnknownLibraryError(f"unknown library {library!r}; expected some of {', '.join(LIBRARIES)}")
        adapter = ADAPTERS[library]
        version = installed_version(adapter.DISTRIBUTION)
        try:
            if version is None:
                raise LibraryMissingError(f"{library} is not installed; "
                                          f"{getattr(adapter, 'INSTALL', _install_hint(adapter))}")
            adapter.load()
        except LibraryMissingError as e:
            report.skipped[library] = str(e)
            continue
        for case in adapter.CASES:
            if (rule_names and case.rule not in rule_names) or (case.float64_only and dtype != "float64"):
                continue
            try:
                check_version(case, version)
            except LibraryTooOldError as e:
                report.rows.append(Row(library, version, case.call, case.rule, case.formula, case.variant,
                                       status="skipped", reason=str(e)))
                continue
            row = run_case(case, dtype, steps, problem_names)
            row.version = version
            report.rows.append(row)
    return report
