r"""The GPU engine: each rule's element function (:mod:`nadam_ref.fused.elements`) translated into a CuPy kernel.

The element functions are a few assignments of ``+ - * /`` expressions, so their lines are already C once each
ends in ``;`` and the three calls are renamed to CUDA's (``max`` → ``fmax``, ``abs`` → ``fabs``; ``sqrt`` stays).
:func:`kernel_parts` does that with :mod:`ast` and refuses anything else (a literal, a power, a condition, a
temporary), naming it, so the CUDA source can never drift from the function numba compiles for the CPU.

The kernel reads θ, g, m, n once and writes θ, m, n once per element, with the step's scalars as arguments;
:mod:`nadam_ref.backend` builds it (only it imports CuPy), and CuPy compiles it on its first call.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache

from .. import backend
from . import elements

#: Python's calls in the element functions -> CUDA's.
CALLS = {"sqrt": "sqrt", "max": "fmax", "abs": "fabs"}
_ALLOWED = (ast.Expression, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UnaryOp, ast.Name,
            ast.Load, ast.Call)


class _Rename(ast.NodeTransformer):
    def visit_Call(self, node):
        if not isinstance(node.func, ast.Name) or node.func.id not in CALLS or node.keywords:
            raise ValueError(f"call {ast.unparse(node)!r}: the element functions may call only {sorted(CALLS)}")
        node.func.id = CALLS[node.func.id]
        self.generic_visit(node)
        return node


def statements(rule: str) -> list[str]:
    """The element function's assignment lines as C statements, ``["m = mu_t * m + g;", ...]``."""
    arrays, scalars, outputs = elements.signature(rule)
    tree = ast.parse(textwrap.dedent(inspect.getsource(elements.function(rule))))
    lines = []
    for node in tree.body[0].body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.Return):
            continue  # the outputs are the kernel's out-parameters
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in outputs):
            raise ValueError(f"{rule}: {ast.unparse(node)!r} is not an assignment to one of {outputs}")
        for part in ast.walk(node.value):
            if not isinstance(part, _ALLOWED):
                raise ValueError(f"{rule}: {ast.unparse(part)!r} ({type(part).__name__}) has no exact CUDA "
                                 f"translation here; use + - * / and {sorted(CALLS)} on names")
        value = _Rename().visit(node.value)
        lines.append(f"{node.targets[0].id} = {ast.unparse(value)};")
    return lines


def kernel_parts(rule: str) -> tuple[str, str, str, str]:
    """``(in_params, out_params, operation, name)`` of the kernel for ``rule``, as ``ElementwiseKernel`` takes them."""
    arrays, scalars, outputs = elements.signature(rule)
    in_params = ", ".join(f"T {x}" for x in ["g", *scalars])
    out_params = ", ".join(f"T {x}" for x in outputs)
    return in_params, out_params, " ".join(statements(rule)), f"nadam_ref_{elements.function(rule).__name__}"


@cache
def kernel(rule: str):
    """The compiled-on-first-call ``ElementwiseKernel`` for ``rule``."""
    return backend.elementwise_kernel(*kernel_parts(rule))


def run(rule: str, theta, g, m, n, coef: dict, n_max=None) -> None:
    """One fused step of ``rule`` (a rule or a :func:`nadam_ref.fused.elements.kernel_name`): θ, m, n (and
    AMSGrad's n_max) are updated in place by one kernel launch."""
    _, scalars, outputs = elements.signature(rule)
    state = {"theta": theta, "m": m, "n": n, "n_max": n_max}
    kernel(rule)(g, *(coef[x] for x in scalars), *(state[x] for x in outputs))
