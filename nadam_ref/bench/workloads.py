"""What the benchmark times: one update step of a rule, by each implementation, and a bandwidth probe.

Every workload is a zero-argument callable that does one step in place (a ``Workload``). All implementations of one
rule at one size share one gradient array (read-only) and own their parameter and state, so they can be timed in
turns. The hyper-parameters are the paper's (μ = 0.99, ν = 0.999, ε = 1e-8) everywhere, and torch's optimizer for
the same rule is configured to match (:data:`TORCH_RULES`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import nadam_ref
from nadam_ref import backend, fused, rules

MU, NU, EPS = 0.99, 0.999, 1e-8

#: rule -> (torch.optim class name, keyword arguments) for the same update; rules torch lacks are absent.
TORCH_RULES = {
    "gd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": MU}),
    "nag": ("SGD", {"momentum": MU, "nesterov": True}),
    "rmsprop": ("RMSprop", {"alpha": NU, "eps": EPS}),
    "adam": ("Adam", {"betas": (MU, NU), "eps": EPS}),
    "nadam": ("NAdam", {"betas": (MU, NU), "eps": EPS, "momentum_decay": 0.004}),
    "adamax": ("Adamax", {"betas": (MU, NU), "eps": EPS}),
    "adagrad": ("Adagrad", {"eps": EPS}),
}

#: Bytes that one step of a rule must move per float32 parameter: read θ, g and the state, write θ and the state.
STATE_ARRAYS = {name: len(rules.get(name).STATE) for name in nadam_ref.RULES}


def traffic_bytes(rule: str, size: int, itemsize: int = 4) -> int:
    """The physical memory traffic of one step: (2 + 2·#state + 1)·itemsize per parameter (Nadam: 7 × 4 bytes)."""
    return (3 + 2 * STATE_ARRAYS[rule]) * itemsize * size


@dataclass
class Workload:
    name: str
    step: Callable[[], None]
    keep: tuple = ()  # arrays the step uses, kept alive with it


def ours(rule: str, impl: str, theta, g) -> Workload:
    """``nadam_ref.Optimizer(rule, impl=impl)``: the user-facing step, with its gradient checks."""
    opt = nadam_ref.Optimizer(rule, {"w": theta}, impl=impl,
                              **rules.select_hparams(rule, {"mu": MU, "nu": NU, "eps": EPS}))
    grads = {"w": g}
    if opt.rule.SPEC.needs_grad_fn:
        return Workload(f"nadam_ref {impl}", lambda: opt.step(grad_fn=lambda _point: grads), (opt,))
    return Workload(f"nadam_ref {impl}", lambda: opt.step(grads), (opt,))


def fused_kernel(rule: str, theta, g) -> Workload:
    """:func:`nadam_ref.fused.step` alone: the update without the optimizer's checks, as torch's step is."""
    module = rules.get(rule)
    hp = rules.make_hparams(module, **rules.select_hparams(rule, {"mu": MU, "nu": NU, "eps": EPS}))
    holder = {"state": rules.init_state(module, theta)}
    workspace = fused.Workspace()

    def step():
        holder["state"] = fused.step(rule, theta, g, holder["state"], hp, workspace)

    return Workload("fused kernel", step, (holder, workspace))


def torch_optimizer(torch, rule: str, mode: str, theta, g) -> Workload | None:
    """torch.optim's optimizer for ``rule`` with ``foreach=True`` or ``fused=True``; None if torch has no such mode."""
    if rule not in TORCH_RULES:
        return None
    cls_name, kwargs = TORCH_RULES[rule]
    param = torch.nn.Parameter(_as_torch(torch, theta))
    param.grad = _as_torch(torch, g)
    try:
        opt = getattr(torch.optim, cls_name)([param], lr=1e-3, **kwargs, **{mode: True})
        opt.step()  # some modes are refused only at the first step (e.g. fused on an unsupported device)
    except (RuntimeError, TypeError, ValueError):
        return None
    return Workload(f"torch {mode}", opt.step, (param,))


def _as_torch(torch, array):
    """A torch tensor sharing ``array``'s memory (NumPy) or device buffer (CuPy)."""
    if backend.backend_name(backend.array_module(array)) == "numpy":
        return torch.from_numpy(array)
    return torch.as_tensor(array, device="cuda")


def stream_add(a, b) -> Workload:
    """STREAM-style in-place add, a ← a + b: reads a and b, writes a; 3 × itemsize bytes per element."""
    xp = backend.array_module(a, b)
    return Workload("stream add", lambda: xp.add(a, b, out=a), (a, b))


def torch_stream_add(torch, a, b) -> Workload:
    """The same in-place add by torch, which uses its intra-op threads (NumPy's add is single-threaded)."""
    ta, tb = _as_torch(torch, a), _as_torch(torch, b)
    return Workload("torch stream add", lambda: ta.add_(tb), (ta, tb))
