"""Helpers for the notebooks and ``nadam-ref trace``: a rule's algorithm box set beside the code lines that
implement it, the box traced step by step with its values (:func:`trace_table`), and small contour plots and
animations of 2D paths.

Nothing here computes an update: the listings are read from the rule modules' own source with :mod:`inspect`, and
the paths and traces come from :mod:`nadam_ref.trajectory`.

    >>> from nadam_ref.teaching import box_beside_code
    >>> print(box_beside_code("gd"))  # doctest: +ELLIPSIS
    gd (Algorithm 1): nadam_ref/rules/gd.py
    ...
"""

from __future__ import annotations

import html
import inspect
import os
import re
import textwrap
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy

from . import rules as _rules
from ._io import strict_json
from .backend import to_host
from .surfaces.functions import SURFACES
from .trajectory import iterate as _iterate

#: Box symbols whose code is more than one assignment to the same name.
_EXTRA_NAMES = {"theta": ("update", "theta")}



def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a combining mark (the hat of m̂, the bar of m̄) takes none, a wide
    East Asian character two, anything else one. ``len`` counts the hat as a character, and columns go ragged."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` display columns (:func:`display_width`)."""
    return text + " " * max(width - display_width(text), 0)

@dataclass(frozen=True)
class CodeLine:
    """One line of source: the file (relative to the package's parent), its line number, its text, and whether it
    sits in a nested block (an ``if`` that selects another library's variant) rather than in the box's own lines."""

    path: str
    lineno: int
    text: str
    nested: bool = False

    def __str__(self) -> str:
        return f"{os.path.basename(self.path)}:{self.lineno}  {self.text}"


@dataclass(frozen=True)
class BoxListing:
    """The lines of one algorithm box, each with the source lines that implement it.

    ``rows`` is a tuple of ``(box_line, code_lines)``. A first row ``("μ_t, μ_{t+1}, ∏ μ_i", ...)`` shows where the
    schedule quantities come from, for the rules that use them; a last row :data:`VARIANTS` lists the ``if`` blocks
    that select another library's variant, which are not part of the box.
    """

    rule: str
    algorithm: str
    path: str
    rows: tuple[tuple[str, tuple[CodeLine, ...]], ...]

    def __str__(self) -> str:
        width = max(display_width(box) for box, _ in self.rows)
        out = [f"{self.rule} ({self.algorithm}): {self.path}"]
        for box, code in self.rows:
            for i, line in enumerate(code):
                out.append(f"  {pad(box if i == 0 else '', width)}   {line}")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        body = []
        for box, code in self.rows:
            cells = "<br>".join(f"<code>{html.escape(c.text)}</code>" for c in code)
            where = "<br>".join(f"{html.escape(os.path.basename(c.path))}:{c.lineno}" for c in code)
            shown = html.escape(box) if box == VARIANTS else \
                f"<span class='math notranslate nohighlight'>\\({html.escape(box_tex(box))}\\)</span>"
            body.append(f"<tr><td style='text-align:left'>{shown}</td>"
                        f"<td style='text-align:left'>{cells}</td><td style='text-align:left'>{where}</td></tr>")
        return (f"<p><b>{html.escape(self.rule)}</b> ({html.escape(self.algorithm)}), "
                f"<code>{html.escape(self.path)}</code></p>"
                "<table class='box-beside-code'><thead><tr><th>box line</th><th>code</th><th>where</th></tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>")


def box_beside_code(rule: str) -> BoxListing:
    """Each line of ``rule``'s box next to the line(s) of ``step`` (or its caller) that compute it.

    The gradient line of a box is the caller's job (``grad_fn(theta)`` in :func:`nadam_ref.trajectory.iterate`,
    or a model's backward pass); for ``nag_lookahead`` it is inside ``step``. Raises LookupError if a box line
    has no implementing line, which would mean the box and the code have drifted apart.
    """
    module = _rules.get(rule)
    step_lines = _source_lines(module.step)
    box_lines = [c for c in step_lines if not c.nested]
    rows = []
    schedule = [c for c in box_lines if "momentum_schedule(" in c.text]
    if schedule:
        rows.append(("μ_t, μ_{t+1}, ∏ μ_i", tuple(schedule)))
    for symbol, text in module.BOX:
        names = _EXTRA_NAMES.get(symbol, (symbol,))
        code = tuple(c for c in box_lines if any(_assigns(c.text, name) for name in names))
        if not code and symbol == "g":
            code = tuple(replace(c, nested=False) for c in _source_lines(_iterate) if "grad_fn(theta)" in c.text)
        if not code:
            raise LookupError(f"box line {text!r} of rule {rule!r} has no implementing line in {module.__file__}")
        rows.append((text, code))
    variants = tuple(c for i, c in enumerate(step_lines)
                     if c.nested or (i + 1 < len(step_lines) and step_lines[i + 1].nested))
    if variants:
        rows.append((VARIANTS, variants))
    return BoxListing(rule, module.ALGORITHM, _relative(module.__file__), tuple(rows))


_TEX_SYMBOLS = {"←": r" \leftarrow ", "μ": r"\mu ", "ν": r"\nu ", "η": r"\eta ", "ε": r"\varepsilon ",
                "θ": r"\theta ", "∇": r"\nabla ", "∏": r"\prod ", "≤": r"\le ", "−": "-", "·": r"\cdot ",
                "²": "^2", "∞": r"\infty ", "max": r"\max "}
_ACCENTS = {"\u0302": r"\hat", "\u0304": r"\bar"}  # combining circumflex and macron: m̂, n̂, ĝ, m̄


def box_tex(text: str) -> str:
    """A box line as TeX, for the HTML listing that MathJax typesets: ``m̂_t ← m_t / (1 − ∏_{i≤t} μ_i)`` becomes
    ``\\hat{m}_t \\leftarrow m_t / (1 - \\prod_{i\\le t} \\mu_i)``; ``√(…)`` becomes ``\\sqrt{…}``."""
    import unicodedata

    text = unicodedata.normalize("NFD", text)  # ĝ -> g + combining circumflex
    for accent, command in _ACCENTS.items():
        text = re.sub(f"(\\w){accent}", lambda m, c=command: f"{c}{{{m.group(1)}}}", text)
    while "√(" in text:  # the matching parenthesis closes the root
        start = text.index("√(")
        depth, end = 0, start + 1
        for end in range(start + 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
        text = text[:start] + r"\sqrt{" + text[start + 2 : end] + "}" + text[end + 1 :]
    for symbol, tex in _TEX_SYMBOLS.items():
        text = text.replace(symbol, tex)
    return re.sub(r" +", " ", text).strip()


#: The label of the row that lists the code selecting other libraries' variants (not in the paper's box).
VARIANTS = "(not in the box: options that reproduce other libraries)"


def _assigns(line: str, name: str) -> bool:
    return re.match(rf"\s*{re.escape(name)}\s*=[^=]", line) is not None


def _source_lines(function) -> list[CodeLine]:
    """The non-blank lines of ``function``'s body; ``nested`` marks the lines inside a block (``if ...:``) of the body,
    not the continuation lines of a long statement."""
    lines, start = inspect.getsourcelines(function)
    path = _relative(inspect.getsourcefile(function))
    body = [(start + i, text) for i, text in enumerate(lines) if text.strip()][1:]  # drop the ``def`` line
    base = min(_indent(text) for _, text in body)
    out, in_block = [], False
    for lineno, text in body:
        if _indent(text) == base:
            in_block = text.split("  #")[0].rstrip().endswith(":")
        out.append(CodeLine(path, lineno, text.strip(), in_block and _indent(text) > base))
    return out


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _relative(path: str) -> str:
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.relpath(os.path.abspath(path), package_parent).replace(os.sep, "/")


# -- the trace table: ``nadam-ref trace`` ------------------------------------------------------------------------

#: The problem every trace runs on: the race's ill-conditioned quadratic, started at θ₀ = (1, 1) so that every
#: number on screen can be checked by hand.
TRACE_SURFACE = SURFACES["quadratic"]
TRACE_THETA0 = (1.0, 1.0)
TRACE_PROBLEM = "f(θ) = 0.1·θ₁² + 2·θ₂²,  ∇f(θ) = (0.2·θ₁, 4·θ₂),  θ₀ = (1, 1)"


@dataclass(frozen=True)
class TraceTable:
    """The lines of one rule's box with their values, step by step, on :data:`TRACE_PROBLEM`.

    ``steps`` is an iterator of dicts (one per step, keyed by the box's symbols, plain floats and lists): each step
    is computed when it is read, so a trace of any length streams in constant memory, and can be read once.
    """

    rule: str
    algorithm: str
    problem: str
    theta0: tuple
    hparams: dict
    box: tuple[tuple[str, str], ...]
    steps: Iterator[dict]

    def lines(self) -> Iterator[str]:
        """The table as text, one line at a time (``nadam-ref trace``)."""
        yield f"{self.rule} ({self.algorithm}) on {self.problem}"
        yield "hyper-parameters: " + ", ".join(f"{k} = {v}" for k, v in self.hparams.items())
        width = max(display_width(line) for _, line in self.box)
        for step in self.steps:
            scalars = "   ".join(f"{name} = {step[key]:.9g}" for key, name in
                                  (("mu_t", "μ_t"), ("mu_next", "μ_{t+1}")) if key in step)
            yield ""
            yield f"step t = {step['t']}" + (f"   ({scalars})" if scalars else "")
            for symbol, line in self.box:
                if symbol in step:
                    yield f"  {pad(line, width)}  = {_trace_value(step[symbol])}"

    def json_chunks(self) -> Iterator[str]:
        """The table as one strict JSON document (``nadam-ref trace --json``), written a step at a time: the keys
        ``rule``, ``paper``, ``problem``, ``theta0``, ``hparams``, ``box`` (symbol and line) and ``steps``; a
        non-finite value is the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` (see :mod:`nadam_ref._io`)."""
        head = {"rule": self.rule, "paper": self.algorithm, "problem": self.problem, "theta0": list(self.theta0),
                "hparams": self.hparams, "box": [{"symbol": s, "line": line} for s, line in self.box]}
        yield strict_json(head, indent=2)[:-2] + ',\n  "steps": ['
        for i, step in enumerate(self.steps):
            yield ("," if i else "") + "\n" + textwrap.indent(strict_json(step, indent=2), "    ")
        yield "\n  ]\n}\n"


def trace_table(rule: str, steps: int = 2, **hparams) -> TraceTable:
    """``rule``'s box traced for ``steps`` steps on :data:`TRACE_PROBLEM`, with ``hparams`` over the paper's
    defaults. The rule, ``steps`` and the hyper-parameters are checked here, before any step is computed
    (UnknownRuleError, ValueError or TypeError naming the bad value)."""
    module = _rules.get(rule)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps={steps!r}; expected an integer >= 1")
    hp = _rules.make_hparams(module, **hparams)
    theta0 = numpy.array(TRACE_THETA0)  # on the host: a trace is printed
    trace = (_plain(step) for _, step in _iterate(rule, TRACE_SURFACE.grad, theta0, steps, **hparams))
    return TraceTable(rule, module.ALGORITHM, TRACE_PROBLEM, TRACE_THETA0,
                      {k: v for k, v in hp.describe().items() if k in module.HPARAMS}, _rules.box(module, hp), trace)


def trace_text(rule: str, steps: int = 2, **hparams) -> str:
    """The text of :func:`trace_table` (for a notebook: ``print(trace_text("nadam"))``)."""
    return "\n".join(trace_table(rule, steps, **hparams).lines())


def _plain(step: dict) -> dict:
    return {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in step.items()}


def _trace_value(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f"{v: .9g}" for v in value) + "]"
    return f"{value:.9g}"


# -- pictures --------------------------------------------------------------------------------------------------


def contour_paths(ax, loss, paths: dict, extent, levels=20, log_levels=True, markers=True):
    """Contours of ``loss`` over ``extent = (x0, x1, y0, y1)`` with each path of ``paths`` (name → array of shape
    ``(steps + 1, 2)``, NumPy or CuPy) drawn on top. ``loss(theta)`` must accept ``theta`` of shape ``(2, ...)``.
    Returns the line objects, in the order of ``paths``."""
    import numpy

    x0, x1, y0, y1 = extent
    grid = numpy.stack(numpy.meshgrid(numpy.linspace(x0, x1, 200), numpy.linspace(y0, y1, 200)))
    z = numpy.asarray(loss(grid), dtype=float)
    if log_levels:
        positive = z[z > 0]
        levels = numpy.geomspace(max(positive.min(), 1e-6), positive.max(), levels) if positive.size else levels
    ax.contour(grid[0], grid[1], z, levels=levels, cmap="Greys", linewidths=0.6)
    lines = []
    for name, path in paths.items():
        p = to_host(path)
        (line,) = ax.plot(p[:, 0], p[:, 1], "-o" if markers else "-", ms=2.5, lw=1.3, label=name)
        lines.append(line)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    return lines


def animate_paths(loss, paths: dict, extent, frames: int = 40, title: str = "", figsize=(10, 6.4)) -> str:
    """An embeddable HTML/JavaScript animation (``FuncAnimation.to_jshtml``) of ``paths`` growing step by step over
    the contours of ``loss``. Uses ``frames`` frames spread evenly over the steps; the figure is closed."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    hosts = {name: to_host(p) for name, p in paths.items()}
    steps = max(len(p) for p in hosts.values()) - 1
    if steps < 1 or frames < 1:
        raise ValueError(f"need paths of at least 2 points and frames >= 1, got {steps + 1} points, frames={frames}")
    fig, ax = plt.subplots(figsize=figsize, dpi=72)
    lines = contour_paths(ax, loss, {name: p[:1] for name, p in hosts.items()}, extent)
    for line in lines:
        line.set_linewidth(2.2)
    heads = [ax.plot([], [], "o", color=line.get_color(), ms=9)[0] for line in lines]
    ax.legend(loc="upper right", fontsize=14)
    label = ax.set_title(title, fontsize=15)
    cuts = sorted({round(i * steps / frames) for i in range(1, frames + 1)})

    def draw(frame):
        upto = cuts[frame]
        for line, head, p in zip(lines, heads, hosts.values(), strict=True):
            q = p[: upto + 1]
            line.set_data(q[:, 0], q[:, 1])
            head.set_data(q[-1:, 0], q[-1:, 1])
        label.set_text(f"{title}  t = {upto}".strip())
        return [*lines, *heads, label]

    anim = FuncAnimation(fig, draw, frames=len(cuts), interval=120, blit=False)
    out = anim.to_jshtml(default_mode="once")
    plt.close(fig)
    return offline_controls(out)


#: Text glyphs for the Font Awesome 4 icons of matplotlib's animation buttons (each button also has a title).
_BUTTON_GLYPHS = {
    "fa fa-minus": "\u2212", "fa fa-fast-backward": "|\u25c0\u25c0", "fa fa-step-backward": "|\u25c0",
    "fa fa-play fa-flip-horizontal": "\u25c0", "fa fa-pause": "\u275a\u275a", "fa fa-play": "\u25b6",
    "fa fa-step-forward": "\u25b6|", "fa fa-fast-forward": "\u25b6\u25b6|", "fa fa-plus": "+",
}


def offline_controls(jshtml: str) -> str:
    """``FuncAnimation.to_jshtml`` output that needs no network: matplotlib's template loads Font Awesome from a CDN
    for its button icons; drop that stylesheet and draw the buttons with text glyphs instead."""
    jshtml = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">', "", jshtml)
    return re.sub(r'<i class="(fa [^"]*)"></i>',
                  lambda m: f"<span>{_BUTTON_GLYPHS.get(m.group(1), '?')}</span>", jshtml)


def show_figure(fig, dpi: int = 90):
    """Display a matplotlib ``Figure`` made outside pyplot (as :mod:`nadam_ref.surfaces` returns them) as a PNG,
    whatever the notebook's matplotlib backend; returns the IPython ``Image``."""
    import io

    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    image = Image(buffer.getvalue())
    display(image)
    return image


class Prose(str):
    """A paragraph of Markdown whose numbers a cell computed (:func:`prose`). JupyterLab and the book render it as
    Markdown (``_repr_markdown_``); a terminal prints the text."""

    def _repr_markdown_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return str(self)


def prose(text: str) -> Prose:
    """Mark ``text`` (an f-string that formats the computed values into the sentence) as a paragraph of the notebook.

    A notebook states a measured or derived number only through a cell tagged ``prose`` whose last expression is
    ``prose(f"...")``: the number cannot drift from the code, and ``tools/prose_numbers.py`` (run by a test) finds
    any number typed into the text instead.

        >>> prose(f"the cap is {2 / 20:g}")
        the cap is 0.1
    """
    return Prose(textwrap.dedent(text).strip())


def tex_number(value: float, digits: int = 2) -> str:
    r"""``value`` in scientific notation for a ``$…$`` formula: ``tex_number(3.9e-8)`` is ``3.9\times10^{-8}``.

        >>> tex_number(3.94e-8), tex_number(0.5)
        ('3.9\\times10^{-8}', '5.0\\times10^{-1}')
    """
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{mantissa}\\times10^{{{int(exponent)}}}"
