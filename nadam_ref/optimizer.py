"""Apply one rule to a dict of named parameter arrays, and save or restore its state.

    >>> import numpy as np, nadam_ref
    >>> params = {"w": np.ones(3)}
    >>> opt = nadam_ref.Optimizer("nadam", params, lr=1e-3)
    >>> opt.step({"w": np.full(3, 0.5)})
    >>> opt.t
    1

The parameter arrays are updated in place, so a model that owns them sees the new values. The optimizer knows
nothing of models: it sees arrays and gradients, nothing else.

A step is all or nothing: the gradients are checked (names, shapes, dtypes, backend, finiteness) and every new
value is computed before any parameter or state array is written.

``save(path)`` writes the rule, its hyper-parameters, the step count, the state arrays and the parameters to one
``.npz`` file, atomically (a temporary file, then a rename). ``load(path)`` checks that the file belongs to this
rule, these hyper-parameters and these parameter shapes before it touches anything, and a run continued from it is
bit-identical to one that never stopped.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Mapping

import numpy

from . import fused as _fused
from . import rules as _rules
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
        :mod:`nadam_ref.fused`, the same numbers computed in place (chunked NumPy, or one CuPy kernel). Both keep
        the same state, so state files are shared and :attr:`impl` may be changed between steps.
    **hparams
        ``lr``, ``mu``, ``nu``, ``eps``, ``schedule``, ``eps_placement``, ``bias_correction``; the paper's values by
        default and the rule's own default ``lr`` (see ``nadam-ref rules``).
    """

    def __init__(self, rule: str, params: Mapping, *, on_nonfinite: str = "raise", impl: str = "reference",
                 **hparams):
        self.rule = _rules.get(rule)
        self.impl = impl
        self._workspace = _fused.Workspace()
        self.hp = _rules.make_hparams(self.rule, **hparams)
        if on_nonfinite not in NONFINITE_POLICIES:
            raise ValueError(f"on_nonfinite={on_nonfinite!r}; expected one of {NONFINITE_POLICIES}")
        self.on_nonfinite = on_nonfinite
        self.params = _check_params(params)
        self.xp = array_module(*self.params.values())
        self.state = {name: _rules.init_state(self.rule, p) for name, p in self.params.items()}
        self.skipped = 0

    @property
    def impl(self) -> str:
        """``"reference"`` or ``"fused"``; may be changed between steps."""
        return self._impl

    @impl.setter
    def impl(self, value: str) -> None:
        self._impl = _fused.check_impl(value)

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
        if needs_fn:
            grads = grad_fn(self._lookahead_points())
        self._check_grads(grads)
        if not self._all_finite(grads):
            return None
        if self.impl == "fused":
            for name, theta in self.params.items():  # checked above, so no parameter is left half-updated
                self.state[name] = _fused.step(self.rule.NAME, theta, grads[name], self.state[name], self.hp,
                                               self._workspace)
            return None

        results = {}
        for name, theta in self.params.items():
            g = grads[name]
            g_or_fn = (lambda _point, g=g: g) if needs_fn else g
            results[name] = self.rule.step(theta, g_or_fn, self.state[name], self.hp)
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

    def _check_grads(self, grads):
        if not isinstance(grads, Mapping):
            raise TypeError(f"grads must be a dict name → array, got {type(grads).__name__}")
        missing, extra = sorted(set(self.params) - set(grads)), sorted(set(grads) - set(self.params))
        if missing or extra:
            raise KeyError(f"gradients do not match the parameters: missing {missing}, unexpected {extra}")
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
            "hparams": self.hp.describe(),
            "params": {name: {"shape": list(p.shape), "dtype": str(p.dtype)} for name, p in self.params.items()},
            "scalars": {name: {"t": s["t"], "mu_prod": s["mu_prod"]} for name, s in self.state.items()},
            "skipped": self.skipped,
        }

    def save(self, path) -> None:
        """Write rule, hyper-parameters, step count, state arrays and parameters to ``path`` (.npz), atomically."""
        arrays = {"meta": numpy.frombuffer(json.dumps(self._meta()).encode(), dtype=numpy.uint8)}
        for name, p in self.params.items():
            arrays[f"param/{name}"] = to_host(p)
            for key in self.rule.STATE:
                arrays[f"state/{name}/{key}"] = to_host(self.state[name][key])
        atomic_savez(path, arrays)

    def load(self, path) -> None:
        """Restore a state written by :meth:`save`; refuse a file of another rule, configuration or shape."""
        meta, arrays = read_state_file(path)
        problems = []
        if meta.get("format") != STATE_FORMAT:
            problems.append(f"format {meta.get('format')!r}, expected {STATE_FORMAT!r}")
        if meta.get("rule") != self.rule.NAME:
            problems.append(f"rule {meta.get('rule')!r}, this optimizer runs {self.rule.NAME!r}")
        mine = self._meta()
        if meta.get("params") != mine["params"]:
            problems.append(f"parameters {meta.get('params')}, expected {mine['params']}")
        if meta.get("hparams") != mine["hparams"]:
            problems.append(f"hyper-parameters {meta.get('hparams')}, expected {mine['hparams']}")
        if problems:
            raise StateFileError(f"state file {os.fspath(path)!r} does not fit this optimizer: " + "; ".join(problems))
        try:
            new_params = {name: to_device(arrays[f"param/{name}"], self.xp) for name in self.params}
            new_state = {}
            for name in self.params:
                scalars = meta["scalars"][name]
                new_state[name] = {"t": int(scalars["t"]), "mu_prod": float(scalars["mu_prod"])}
                for key in self.rule.STATE:
                    new_state[name][key] = to_device(arrays[f"state/{name}/{key}"], self.xp)
        except KeyError as e:
            raise StateFileError(f"state file {os.fspath(path)!r} lacks entry {e.args[0]!r}") from None
        for name, p in self.params.items():
            self.xp.copyto(p, new_params[name])
        self.state = new_state
        self.skipped = int(meta.get("skipped", 0))


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


def atomic_savez(path, arrays: dict) -> None:
    """``numpy.savez`` to a temporary file beside ``path``, flushed to disk, then renamed onto ``path``."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            numpy.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
        if not (isinstance(s, dict) and isinstance(s.get("t"), int) and isinstance(s.get("mu_prod"), float)
                and math.isfinite(s["mu_prod"])):
            raise StateFileError(f"state file {path!r}: bad step count or μ product for {name!r}: {s!r}")
