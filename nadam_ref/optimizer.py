"""Apply one rule to a dict of named parameter arrays, and save or restore its state.

    >>> import numpy as np, nadam_ref
    >>> params = {"w": np.ones(3)}
    >>> opt = nadam_ref.Optimizer("nadam", params, lr=1e-3)
    >>> opt.step({"w": np.full(3, 0.5)})
    >>> opt.t
    1

The parameter arrays are updated in place, so a model that owns them sees the new values. The optimizer knows
nothing of models: it sees arrays and gradients, nothing else.

A step is all or nothing: the gradients (names, shapes, dtypes, backend, finiteness) and the parameters
(writability) are checked, and the schedule asked for this step's μ, before any parameter or state array is
written; the reference path computes every new value first, and the fused path runs with floating-point warnings
off, so a warning turned into an error (``-W error``) cannot stop it half-way. An error names the parameter.
``opt.lr`` may be changed between steps (annealing).

``save(path)`` writes the rule, its hyper-parameters (a callable schedule by its qualified name and the arguments of
a ``functools.partial``, or refused), the step count, the state arrays and the parameters to one ``.npz`` file,
atomically (a temporary file, then a rename). ``load(path)`` checks every entry of the file (rule, hyper-parameters,
each array's shape, dtype and finiteness, n ≥ 0, t ≥ 0, the schedule's product in (0, 1]) before it touches
anything, and a run continued from it is bit-identical to one that never stopped.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import os
import warnings
import zipfile
from collections.abc import Callable, Mapping

import numpy

from . import fused as _fused
from . import rules as _rules
from ._io import atomic_savez
from .backend import BackendMismatchError, array_module, backend_name, is_array, to_device, to_host

FLOAT_DTYPES = ("float32", "float64")
STATE_FORMAT = "nadam_ref.optimizer_state/1"
NONFINITE_POLICIES = ("raise", "skip")


class NonFiniteGradientError(FloatingPointError):
    """A gradient held NaN or inf; the step was not applied."""


class StateFileError(ValueError):
    """A state file that is corrupt, truncated, or belongs to another rule, configuration or set of parameters."""


class Optimizer:
    """One rule applied to ``params``, a dict of float32 or float64 arrays on one backend.

    Parameters
    ----------
    rule : str
        One of :data:`nadam_ref.RULES`.
    params : dict[str, array]
        Updated in place by :meth:`step`.
    on_nonfinite : "raise" or "skip"
        What a NaN or inf gradient does: raise :class:`NonFiniteGradientError` naming the parameter and step
        (the default), or skip the whole step with a warning, counted in :attr:`skipped`.
    impl : "reference" or "fused"
        ``"reference"`` runs the rule modules as written (the default; ``trace=True`` needs it); ``"fused"`` runs
        :mod:`nadam_ref.fused`, the same numbers computed in place (a numba loop, or one CuPy kernel). Both keep
        the same state, so state files are shared and :attr:`impl` may be changed between steps.
    **hparams
        Those the rule reads (``nadam-ref rules`` lists them; any other is an error): ``lr``, ``mu``, ``nu``,
        ``eps``, ``schedule``, ``eps_placement``, ``bias_correction``, ``eps_root``, ``n0``, ``m_decay``,
        ``m_hat_correction``, ``max_n`` (AMSGrad, which adds the state array ``n_max``, saved and loaded like the
        others); the paper's values by default and the rule's own default ``lr``.
    """

    def __init__(self, rule: str, params: Mapping, *, on_nonfinite: str = "raise", impl: str = "reference",
                 **hparams):
        self.rule = _rules.get(rule)
        self.hp = _rules.make_hparams(self.rule, **hparams)
        self.impl = impl
        self._workspace = _fused.Workspace()
        if on_nonfinite not in NONFINITE_POLICIES:
            raise ValueError(f"on_nonfinite={on_nonfinite!r}; expected one of {NONFINITE_POLICIES}")
        self.on_nonfinite = on_nonfinite
        self.params = _check_params(params)
        self.xp = array_module(*self.params.values())
        self.state = {name: _rules.init_state(self.rule, p, self.hp) for name, p in self.params.items()}
        self.skipped = 0

    @property
    def impl(self) -> str:
        """``"reference"`` or ``"fused"``; may be changed between steps."""
        return self._impl

    @impl.setter
    def impl(self, value: str) -> None:
        if _fused.check_impl(value) == "fused":
            _fused.check_supported(self.rule.NAME, self.hp)  # a variant the engine leaves out is refused by name
        self._impl = value

    @property
    def lr(self) -> float:
        """η; set it between steps to anneal (checked like every hyper-parameter)."""
        return self.hp.lr

    @lr.setter
    def lr(self, value) -> None:
        self.hp = dataclasses.replace(self.hp, lr=value)

    @property
    def t(self) -> int:
        """Steps taken so far."""
        return next(iter(self.state.values()))["t"]  # every parameter's state has taken the same steps

    def step(self, grads: Mapping | None = None, *, grad_fn: Callable | None = None, trace: bool = False):
        """Take one step.

        Pass ``grads`` (dict name → gradient array), or, for ``nag_lookahead``, ``grad_fn``: a function from a dict
        of parameter values to a dict of gradients, which the rule calls at its look-ahead point.
        With ``trace=True`` it returns, per parameter, the intermediates of the box keyed by the paper's symbols.
        """
        needs_fn = self.rule.SPEC.needs_grad_fn
        if needs_fn and grad_fn is None:
            raise TypeError(f"rule {self.rule.NAME!r} takes the gradient at a look-ahead point: pass grad_fn=, "
                            "a function from a dict of parameter values to a dict of gradients")
        if not needs_fn and grads is None:
            raise TypeError(f"rule {self.rule.NAME!r} needs grads=, a dict of gradients named like the parameters")
        if trace and self.impl == "fused":
            raise ValueError("trace=True shows the box's intermediates, which only impl='reference' computes")
        self._check_writable()
        if needs_fn:
            grads = grad_fn(self._lookahead_points())
        grads = self._check_grads(grads)
        if not self._all_finite(grads):
            return None
        self._check_schedule()
        if self.impl == "fused":
            for name, theta in self.params.items():  # checked above, so no parameter is left half-updated
                self.state[name] = _fused.step(self.rule.NAME, theta, grads[name], self.state[name], self.hp,
                                               self._workspace)
            return None

        results = {}
        for name, theta in self.params.items():
            g = grads[name]
            g_or_fn = (lambda _point, g=g: g) if needs_fn else g
            try:
                results[name] = self.rule.step(theta, g_or_fn, self.state[name], self.hp)
            except Exception as e:  # nothing is written yet; say where it happened
                if hasattr(e, "add_note"):  # Python 3.11+; on 3.10 the error goes up without the note
                    e.add_note(f"while computing the step of parameter {name!r}; nothing was updated")
                raise
        for name, (theta, state, _) in results.items():
            self.xp.copyto(self.params[name], theta)
            self.state[name] = state
        return {name: tr for name, (_, _, tr) in results.items()} if trace else None

    def _lookahead_points(self) -> dict:
        if self.impl == "fused":
            return {name: _fused.lookahead_point(name, p, self.state[name], self.hp, self._workspace)
                    for name, p in self.params.items()}
        return {name: self.rule.lookahead_point(p, self.state[name], self.hp) for name, p in self.params.items()}

    # -- checks ----------------------------------------------------------------------------------------------

    def _check_writable(self):
        for name, p in self.params.items():
            if not getattr(p.flags, "writeable", True):  # CuPy arrays have no such flag: always writable
                raise ValueError(f"parameter {name!r} is read-only; the optimizer updates parameters in place "
                                 "(nothing was updated)")

    def _check_schedule(self):
        """Ask the schedule for μ_t and μ_{t+1} before anything is written (a callable may refuse this t)."""
        if "schedule" in self.rule.SPEC.hparams:
            self.hp.mu_at(self.t + 1), self.hp.mu_at(self.t + 2)

    def _check_grads(self, grads) -> dict:
        """The gradients, checked against the parameters; a NumPy scalar (or a number) for a 0-d parameter becomes
        a 0-d array."""
        if not isinstance(grads, Mapping):
            raise TypeError(f"grads must be a dict name → array, got {type(grads).__name__}")
        missing, extra = sorted(set(self.params) - set(grads)), sorted(set(grads) - set(self.params))
        if missing or extra:
            raise KeyError(f"gradients do not match the parameters: missing {missing}, unexpected {extra}")
        grads = {name: _scalar_as_array(grads[name], p, self.xp) for name, p in self.params.items()}
        for name, p in self.params.items():
            g = grads[name]
            if not is_array(g):
                raise TypeError(f"gradient {name!r} is a {type(g).__name__}; expected an array like its parameter")
            if backend_name(array_module(g)) != backend_name(self.xp):
                raise BackendMismatchError(f"gradient {name!r} is a {backend_name(array_module(g))} array, "
                                           f"its parameter a {backend_name(self.xp)} array")
            if g.shape != p.shape:
                raise ValueError(f"gradient {name!r} has shape {g.shape}; expected {p.shape} like its parameter")
            if g.dtype != p.dtype:
                raise TypeError(f"gradient {name!r} has dtype {g.dtype}; expected {p.dtype} like its parameter")
        return grads

    def _all_finite(self, grads) -> bool:
        finite = _fused.all_finite if self.impl == "fused" else (lambda g: bool(self.xp.isfinite(g).all()))
        bad = [name for name in self.params if not finite(grads[name])]
        if not bad:
            return True
        message = f"non-finite gradient (NaN or inf) in {bad} at step {self.t + 1}"
        if self.on_nonfinite == "raise":
            raise NonFiniteGradientError(message + "; nothing was updated (on_nonfinite='skip' skips such steps)")
        self.skipped += 1
        warnings.warn(message + "; step skipped", RuntimeWarning, stacklevel=3)
        return False

    # -- state files -----------------------------------------------------------------------------------------

    def _meta(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "rule": self.rule.NAME,
            "hparams": self._hparams(),
            "params": {name: {"shape": list(p.shape), "dtype": str(p.dtype)} for name, p in self.params.items()},
            "scalars": {name: {"t": s["t"], "mu_prod": s["mu_prod"]} for name, s in self.state.items()},
            "skipped": self.skipped,
        }

    def _hparams(self) -> dict:
        """The hyper-parameters the rule reads, as plain values (a ValueError for a schedule that cannot be named)."""
        return {k: v for k, v in self.hp.describe().items() if k in self.rule.SPEC.hparams}

    def save(self, path) -> None:
        """Write rule, hyper-parameters, step count, state arrays and parameters to ``path`` (.npz), atomically.

        A callable schedule is recorded by :func:`nadam_ref.schedules.identify`; one it cannot name (a lambda, a
        nested function) is refused here, since a state file could not tell it from another."""
        arrays = {"meta": numpy.frombuffer(json.dumps(self._meta()).encode(), dtype=numpy.uint8)}
        for name, p in self.params.items():
            arrays[f"param/{name}"] = to_host(p)
            for key in _rules.state_names(self.rule, self.hp):
                arrays[f"state/{name}/{key}"] = to_host(self.state[name][key])
        atomic_savez(path, arrays)

    def load(self, path) -> None:
        """Restore a state written by :meth:`save`. Every entry is checked before anything is touched: the file's
        rule, hyper-parameters and parameter shapes; each array's shape, dtype and finiteness; n ≥ 0; t ≥ 0 and the
        same for every parameter; the schedule's product in (0, 1]. Any failure is a :class:`StateFileError` naming
        the file and the entry."""
        meta, arrays = read_state_file(path)
        where = f"state file {os.fspath(path)!r}"
        problems = []
        if meta.get("format") != STATE_FORMAT:
            problems.append(f"format {meta.get('format')!r}, expected {STATE_FORMAT!r}")
        if meta.get("rule") != self.rule.NAME:
            problems.append(f"rule {meta.get('rule')!r}, this optimizer runs {self.rule.NAME!r}")
        mine = self._meta()
        if meta.get("params") != mine["params"]:
            problems.append(f"parameters {meta.get('params')}, expected {mine['params']}")
        stored = _stored_hparams(meta, self.rule.SPEC)
        if stored != mine["hparams"]:
            problems.append(f"hyper-parameters {stored}, expected {mine['hparams']}")
        if problems:
            raise StateFileError(f"{where} does not fit this optimizer: " + "; ".join(problems))
        new_params, new_state = {}, {}
        for name, p in self.params.items():
            new_params[name] = _entry(where, arrays, f"param/{name}", p)
            new_state[name] = self._scalars(where, meta, name)
            for key in _rules.state_names(self.rule, self.hp):
                value = _entry(where, arrays, f"state/{name}/{key}", p)
                if key in ("n", "n_max") and bool((value < 0).any()):
                    raise StateFileError(f"{where}: entry 'state/{name}/{key}' holds negative values; {key} is a "
                                         "sum of squares or a maximum of them or of |g|, never below 0")
                new_state[name][key] = value
        if len({s["t"] for s in new_state.values()}) > 1:
            raise StateFileError(f"{where}: the parameters' step counts differ "
                                 f"({ {name: s['t'] for name, s in new_state.items()} })")
        skipped = meta.get("skipped", 0)
        if isinstance(skipped, bool) or not isinstance(skipped, int) or skipped < 0:
            raise StateFileError(f"{where}: entry 'skipped' is {skipped!r}; expected an integer >= 0")
        for name, p in self.params.items():  # everything is checked: now write
            self.xp.copyto(p, to_device(new_params[name], self.xp))
        self.state = {name: {k: v if k in ("t", "mu_prod") else to_device(v, self.xp) for k, v in s.items()}
                      for name, s in new_state.items()}
        self.skipped = skipped

    def _scalars(self, where: str, meta: dict, name: str) -> dict:
        """``t`` and ``mu_prod`` of parameter ``name``, checked: t ≥ 0; the product in (0, 1] (0 only where μ_t
        can be 0: μ = 0 or a callable schedule) and exactly 1 before the first step."""
        s = (meta.get("scalars") or {}).get(name)
        if s is None:
            raise StateFileError(f"{where} lacks entry 'scalars/{name}'")
        t, prod = s["t"], s["mu_prod"]
        if t < 0:
            raise StateFileError(f"{where}: entry 'scalars/{name}/t' is {t}; expected a step count >= 0")
        can_be_zero = self.hp.mu == 0 or callable(self.hp.schedule)
        if not (0 < prod <= 1 or (can_be_zero and prod == 0)) or (t == 0 and prod != 1):
            raise StateFileError(f"{where}: entry 'scalars/{name}/mu_prod' is {prod!r}; expected the product of "
                                 f"the schedule's mu_t over t = {t} steps, in (0, 1] (1 before the first step)")
        return {"t": t, "mu_prod": prod}


def _stored_hparams(meta: dict, spec) -> dict | None:
    """The file's hyper-parameters of the ones ``spec`` reads; an option a file predates is at its default."""
    stored = meta.get("hparams")
    if not isinstance(stored, dict):
        return None
    defaults = spec.defaults()
    return {k: stored[k] if k in stored else defaults.get(k, "(missing)") for k in spec.hparams}


def _entry(where: str, arrays: dict, key: str, like) -> numpy.ndarray:
    """Array ``key`` of a state file, refused unless it has ``like``'s shape and dtype and is finite."""
    if key not in arrays:
        raise StateFileError(f"{where} lacks entry {key!r}")
    value = arrays[key]
    if value.shape != like.shape or str(value.dtype) != str(like.dtype):
        raise StateFileError(f"{where}: entry {key!r} has shape {value.shape} and dtype {value.dtype}; expected "
                             f"{like.shape} and {like.dtype} like the parameter")
    if not bool(numpy.isfinite(value).all()):
        raise StateFileError(f"{where}: entry {key!r} holds NaN or inf")
    return value


def _scalar_as_array(g, p, xp):
    """A NumPy scalar, or a Python number, given for a 0-d parameter, as a 0-d array (NumPy arithmetic on a 0-d
    array returns a scalar); anything else unchanged."""
    if p.ndim == 0 and not is_array(g):
        if getattr(g, "shape", None) == () and hasattr(g, "dtype"):
            return xp.asarray(g)
        if isinstance(g, numbers.Real) and not isinstance(g, bool):
            return xp.asarray(g, dtype=p.dtype)
    return g


def _check_params(params) -> dict:
    if not isinstance(params, Mapping) or not params:
        raise TypeError(f"params must be a non-empty dict name → array, got {params!r:.80}")
    for name, p in params.items():
        if not isinstance(name, str):
            raise TypeError(f"parameter names must be strings, got {name!r}")
        if not is_array(p):
            raise TypeError(f"parameter {name!r} is a {type(p).__name__}; expected a NumPy or CuPy array")
        if str(p.dtype) not in FLOAT_DTYPES:
            raise TypeError(f"parameter {name!r} has dtype {p.dtype}; expected one of {FLOAT_DTYPES}")
    array_module(*params.values())  # one backend for all, or an error
    return dict(params)


def read_state_file(path) -> tuple[dict, dict]:
    """The metadata and arrays of a state file; :class:`StateFileError` if it is corrupt or truncated."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no state file at {path!r}")
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, UnicodeDecodeError) as e:
        raise StateFileError(f"state file {path!r} is corrupt or truncated ({type(e).__name__}: {e})") from None
    if not isinstance(meta, dict):
        raise StateFileError(f"state file {path!r} has no valid metadata")
    _check_scalars(path, meta)
    return meta, arrays


def _check_scalars(path, meta):
    for name, s in (meta.get("scalars") or {}).items():
        if not (isinstance(s, dict) and isinstance(s.get("t"), int) and not isinstance(s.get("t"), bool)
                and isinstance(s.get("mu_prod"), float) and math.isfinite(s["mu_prod"])):
            raise StateFileError(f"state file {path!r}: bad step count or μ product for {name!r}: {s!r}")
