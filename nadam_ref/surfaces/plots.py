"""Pictures of a race: the animation on a log-scaled contour plot, its last frame as a PNG, and loss curves.

Drawing happens on the host (matplotlib takes NumPy arrays), with figures made by ``matplotlib.figure.Figure`` on
an Agg canvas: no pyplot window, nothing registered globally, so nothing stays open after a race; notebooks
display a returned figure once. GIFs are written by Pillow, no ffmpeg needed.
"""

from __future__ import annotations

import math

import numpy  # host-side: the plots read host copies of the paths
from matplotlib import colormaps
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap, LogNorm
from matplotlib.figure import Figure
from PIL import Image

from .functions import Surface
from .lr_policy import LOSS_FLOOR

# One colour per rule, the same in every picture, from the Okabe–Ito colour-blind-safe palette (plus two of Paul
# Tol's where it runs out); the three Nesterov rules get the three most distinct: NAG black, Nadam blue, NadaMax
# vermillion. Line style by the momentum column of the paper's 3×3 tables: dotted = no momentum,
# dashed = classical momentum, solid = Nesterov momentum.
RULE_STYLE = {
    "gd": ("#999999", ":"), "momentum": ("#E69F00", "--"), "nag": ("#000000", "-"),
    "rmsprop": ("#56B4E9", ":"), "adam": ("#009E73", "--"), "nadam": ("#0072B2", "-"),
    "maxaprop": ("#CC79A7", ":"), "adamax": ("#882255", "--"), "nadamax": ("#D55E00", "-"),
    "adagrad": ("#DDAA33", ":"), "nag_lookahead": ("#000000", "-."),
}
#: A marker per rule for line plots, where two rules' curves can lie on top of each other (Momentum and NAG on
#: Beale): a curve hidden under another still shows its markers, which are staggered along the steps.
RULE_MARKER = {"gd": "o", "momentum": "s", "nag": "^", "rmsprop": "v", "adam": "D", "nadam": "P", "maxaprop": "X",
               "adamax": "<", "nadamax": ">", "adagrad": "*", "nag_lookahead": "h"}
#: The race's trails get thinner in drawing order, from the first rule's widest to the last one's thinnest, so that
#: where paths share the valley floor they show as nested bands of their colours (when all were 2.6 pt, NadaMax,
#: drawn last, hid the others).
TRAIL_WIDEST, TRAIL_THINNEST = 5.0, 1.2


def trail_widths(count: int) -> list[float]:
    """The line width of each of ``count`` trails in drawing order (:data:`TRAIL_WIDEST` down to
    :data:`TRAIL_THINNEST`)."""
    if count <= 1:
        return [2.0] * count
    return [TRAIL_WIDEST - (TRAIL_WIDEST - TRAIL_THINNEST) * i / (count - 1) for i in range(count)]

# The light half of "Greys": low loss white, high loss mid-grey, so coloured paths stay the brightest thing.
BACKGROUND = ListedColormap(colormaps["Greys"](numpy.linspace(0.0, 0.3, 256)), name="light_greys")
LEGEND_TITLE = "momentum: dotted none,\ndashed classical, solid Nesterov;\n◆ first within tolerance of a minimum"

# 12.8 × 7.2 inches at 100 dpi: a 1280 × 720 GIF, fonts of 13–16 px that stay readable on a projector.
FIGSIZE = (12.8, 7.2)
GIF_DPI = 100
PNG_DPI = 120
FONT = 13


def new_figure(width: float, height: float) -> Figure:
    """A figure on an Agg canvas, outside pyplot."""
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def frame_steps(steps: int, frames: int) -> list[int]:
    r"""Which step each frame shows: ``frames`` distinct steps from 0 to ``steps``, spaced quadratically,
    :math:`s_k \approx T (k / (K-1))^2`, so the fast early moves get more frames than the slow end.
    Every step gets a frame when ``steps < frames``."""
    if steps + 1 <= frames:
        return list(range(steps + 1))
    out = []
    for k in range(frames):
        s = round(steps * (k / (frames - 1)) ** 2)
        s = max(s, out[-1] + 1 if out else 0)  # strictly increasing
        out.append(min(s, steps - (frames - 1 - k)))  # leave room for the frames still to come
    return out


def schedule_note(shown: list[int]) -> str:
    """What the frames of :func:`frame_steps` are, for the picture: "" when every step has a frame."""
    if shown == list(range(len(shown))):
        return ""
    return (f"{len(shown)} frames, spaced quadratically:\nthe early, fast moves get more frames,\n"
            f"so the counter speeds up (last jump {shown[-1] - shown[-2]} steps)")


def draw_surface(ax, surface: Surface, resolution: int = 240, fontsize: int = FONT) -> None:
    r"""Filled contours of :math:`f - f_{\min}` on log-spaced levels, contour lines on top, the minima (gold stars)
    and the saddle points (white diamonds)."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.window
    x, y = numpy.meshgrid(numpy.linspace(x_lo, x_hi, resolution), numpy.linspace(y_lo, y_hi, resolution))
    excess = surface.f(numpy.stack([x, y])) - surface.f_min
    top = float(excess.max())
    bottom = max(float(excess.min()), top * 1e-8)
    levels = numpy.logspace(math.log10(bottom), math.log10(top), 25)
    clipped = numpy.clip(excess, bottom, top)
    ax.contourf(x, y, clipped, levels=levels, norm=LogNorm(bottom, top), cmap=BACKGROUND)
    ax.contour(x, y, clipped, levels=levels[::2], norm=LogNorm(bottom, top), colors="0.6", linewidths=0.4)
    mins = numpy.asarray(surface.minima)
    ax.plot(mins[:, 0], mins[:, 1], linestyle="none", marker="*", markersize=18, markerfacecolor="gold",
            markeredgecolor="black", zorder=9, label="minimum" if len(mins) == 1 else "minima")
    if surface.saddles:
        saddles = numpy.asarray(surface.saddles)
        ax.plot(saddles[:, 0], saddles[:, 1], linestyle="none", marker="D", markersize=11, markerfacecolor="white",
                markeredgecolor="black", markeredgewidth=1.5, zorder=5, label="saddle point")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel("x", fontsize=fontsize)
    ax.set_ylabel("y", fontsize=fontsize)
    ax.tick_params(labelsize=fontsize - 2)


def _label(result) -> str:
    return f"{result.rule}  η={result.lr:g}"


def _title(surface: Surface, noise: float) -> str:
    return f"{surface.title}: f = {surface.formula}" + (f"   (gradient noise σ = {noise:g})" if noise else "")


def arrival_step(surface: Surface, result) -> int | None:
    """The first step at which ``result`` is within the surface's tolerance of a minimum, or None."""
    from .race import distances_to_minima

    within = numpy.flatnonzero(distances_to_minima(surface, result.path) <= surface.tolerance)
    return int(within[0]) if within.size else None


class RaceFigure:
    """The race drawn at any step: ``show(step)`` moves every path and head there; used for all frames.

    One panel with every rule and a legend beside it, or (``small_multiples``) one panel per rule, titled with
    its name and η, so that no path hides under another. A diamond marks where a rule first came within the
    surface's tolerance of a minimum.

    The small multiples' grid follows the figure's shape: the default 12.8 × 7.2 in gives 3 × 4 panels (the GIF),
    a portrait figure such as :data:`COLUMN_FIGSIZE` (the book's column) 3 × 3, with margins in inches."""

    def __init__(self, surface: Surface, results, noise: float = 0.0, small_multiples: bool = False,
                 figsize=FIGSIZE, steps: int | None = None):
        self.surface, self.results = surface, list(results)
        self.steps = steps
        self.fig = new_figure(*figsize)
        self.arrivals = [arrival_step(surface, r) for r in self.results]
        if small_multiples and self.results:
            width, height = figsize
            cols = math.ceil(math.sqrt(len(self.results) * width / height / 1.6))
            rows = math.ceil(len(self.results) / cols)
            grid = self.fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
            self.axes = list(grid.ravel()[: len(self.results)])
            for ax in grid.ravel()[len(self.results):]:
                ax.set_visible(False)
            if width / height >= 1.6:  # landscape (the GIF, the notebook animation): the layout made for 16:9
                self.fig.subplots_adjust(left=0.07, right=0.99, bottom=0.1, top=0.86, wspace=0.08, hspace=0.35)
                self.fig.suptitle(_title(surface, noise), fontsize=FONT + 2)
            else:  # portrait (the book's column): margins in inches, the title left, clear of the counter
                gap = 0.52  # between rows, for the panel titles
                panel_height = (height - 1.72 - (rows - 1) * gap) / rows
                self.fig.subplots_adjust(left=0.9 / width, right=1 - 0.13 / width, bottom=0.72 / height,
                                         top=1 - 1.0 / height, wspace=0.08, hspace=gap / panel_height)
                self.fig.suptitle(_title(surface, noise), fontsize=FONT + 2, x=0.9 / width, ha="left")
        else:
            self.axes = [self.fig.add_axes((0.08, 0.1, 0.56, 0.82))] * max(len(self.results), 1)
            self.axes[0].set_title(_title(surface, noise), fontsize=FONT + 1)
        for ax in dict.fromkeys(self.axes):  # each distinct panel once
            draw_surface(ax, surface, resolution=100 if small_multiples else 240,
                         fontsize=FONT - 2 if small_multiples else FONT)
            if small_multiples:
                ax.label_outer()  # axis labels on the outer panels only
            start = self.results[0].path[0] if self.results else surface.start
            ax.plot([start[0]], [start[1]], linestyle="none", marker="o", markersize=10, markerfacecolor="white",
                    markeredgecolor="black", markeredgewidth=1.5, zorder=6, label="start (all rules)")
        self.lines, self.heads, self.marks, self.rule_texts = [], [], [], []
        widths = trail_widths(len(self.results)) if not small_multiples else [2.4] * len(self.results)
        for ax, r, width in zip(self.axes, self.results, widths, strict=False):
            colour, style = RULE_STYLE.get(r.rule, ("black", "-"))
            (line,) = ax.plot([], [], color=colour, linestyle=style, linewidth=width, label=_label(r), zorder=3)
            (head,) = ax.plot([], [], linestyle="none", marker="o", markersize=9, color=colour,
                              markeredgecolor="black", zorder=7)
            (mark,) = ax.plot([], [], linestyle="none", marker="D", markersize=12, markerfacecolor=colour,
                              markeredgecolor="white", markeredgewidth=2, zorder=8)
            self.lines.append(line)
            self.heads.append(head)
            self.marks.append(mark)
            if small_multiples:
                self.rule_texts.append(ax.set_title(_label(r), fontsize=FONT, color=colour, fontweight="bold"))
        if small_multiples:
            self.legend = None
        else:
            self.legend = self.fig.legend(handles=self.axes[0].get_legend_handles_labels()[0], loc="center left",
                                          bbox_to_anchor=(0.655, 0.5), fontsize=FONT + 1, frameon=False,
                                          title=LEGEND_TITLE, title_fontsize=FONT - 1, handlelength=2.6)
            self.rule_texts = self.legend.get_texts()[-len(self.results):] if self.results else []
        self.counter = self.fig.text(0.99, 0.975, "", va="top", ha="right", fontsize=FONT + 2, fontweight="bold",
                                     bbox={"facecolor": "white", "alpha": 0.9, "edgecolor": "none"}, zorder=8)
        # every rule starts on the same point, so at first only the head drawn last shows: say so (one panel only;
        # small multiples show each head on its own)
        self.one_panel = not small_multiples
        start = self.results[0].path[0] if self.results else surface.start
        everyone = "all nine" if len(self.results) == 9 else f"all {len(self.results)}"
        self.start_note = self.axes[0].annotate(
            f"{everyone} rules start here" if len(self.results) > 1 else "start", xy=(start[0], start[1]),
            xytext=(0.5, 0.5), textcoords="axes fraction", ha="center", fontsize=FONT + 1, fontweight="bold",
            arrowprops={"arrowstyle": "->", "linewidth": 1.5}, zorder=10,
            bbox={"facecolor": "white", "alpha": 0.9, "edgecolor": "0.5", "boxstyle": "round"})

    def note_schedule(self, shown: list[int]) -> None:
        """Say under the counter how the frames are spaced (:func:`schedule_note`), when they skip steps."""
        text = schedule_note(shown)
        if text:
            self.fig.text(0.99, 0.915, text, va="top", ha="right", fontsize=FONT - 3, color="0.25")

    def show(self, step: int):
        """Draw every rule's path θ₀ … θ_step (or up to where it stopped), its head, and its arrival mark."""
        for r, line, head, mark, text, arrived in zip(self.results, self.lines, self.heads, self.marks,
                                                      self.rule_texts, self.arrivals, strict=False):
            k = min(step, r.steps_taken)
            line.set_data(r.path[: k + 1, 0], r.path[: k + 1, 1])
            head.set_data(r.path[k : k + 1, 0], r.path[k : k + 1, 1])
            stopped = r.diverged_at is not None and step >= r.diverged_at
            head.set_marker("X" if stopped else "o")
            head.set_markersize(12 if stopped else 9)
            here = arrived is not None and step >= arrived
            mark.set_data(r.path[arrived : arrived + 1, 0] if here else [], r.path[arrived : arrived + 1, 1]
                          if here else [])
            note = f"  diverged at t={r.diverged_at}" if stopped else (f"  ◆ t={arrived}" if here else "")
            text.set_text(_label(r) + note)
        self.counter.set_text(f"step t = {step}" + (f" of {self.steps}" if self.steps else ""))
        self.start_note.set_visible(self.one_panel and self._all_near_start(step))
        return [*self.lines, *self.heads, *self.marks, *self.rule_texts, self.counter, self.start_note]

    def _all_near_start(self, step: int) -> bool:
        """Whether every head is still within 3 % of the window's width of the start (they hide each other)."""
        (x_lo, x_hi), _ = self.surface.window
        return all(numpy.hypot(*(r.path[min(step, r.steps_taken)] - r.path[0])) <= 0.03 * (x_hi - x_lo)
                   for r in self.results)


#: A static figure in the book's text column: 7.8 in at the notebooks' 90 dpi is 702 px, shown unscaled.
COLUMN_WIDTH = 7.8
#: The small multiples of a race in the text column: 3 × 3 panels of about 2.3 in, fonts unscaled.
COLUMN_FIGSIZE = (COLUMN_WIDTH, 8.6)

#: The notebook animation: 9.6 × 5.4 inches at 72 dpi, 691 × 389 px, the width of the book's text column, so that
#: the page shows the frames unscaled and the 13–16 pt labels stay 13–16 px.
NOTEBOOK_FIGSIZE = (9.6, 5.4)


def animate(surface: Surface, results, steps: int, frames: int = 80, fps: int = 12, noise: float = 0.0,
            small_multiples: bool = False, dpi: int = 72, figsize=NOTEBOOK_FIGSIZE):
    """A ``FuncAnimation`` of the race over :func:`frame_steps`, for ``to_jshtml`` in notebooks.
    ``anim.frame_steps`` lists the step each frame shows; ``anim.race_figure`` is the :class:`RaceFigure`."""
    race_fig = RaceFigure(surface, results, noise=noise, small_multiples=small_multiples, figsize=figsize,
                          steps=steps)
    race_fig.fig.set_dpi(dpi)  # to_jshtml embeds every frame as a PNG at the figure's dpi
    shown = frame_steps(steps, frames)
    race_fig.note_schedule(shown)
    anim = FuncAnimation(race_fig.fig, lambda i: race_fig.show(shown[i]), frames=len(shown),
                         interval=1000 / fps, blit=False, repeat=True)
    anim.frame_steps = shown
    anim.race_figure = race_fig
    return anim


def save_gif(surface: Surface, results, steps: int, path, frames: int = 80, fps: int = 12, hold_s: float = 2.0,
             dpi: int = GIF_DPI, progress=None, noise: float = 0.0, small_multiples: bool = False,
             hold_first_s: float = 1.5) -> int:
    """Write the race as a looping GIF with Pillow (1280 × 720 px at the default dpi), the first frame (where
    "all nine rules start here") held ``hold_first_s`` seconds and the last ``hold_s``; returns the frame count.

    The contours are drawn once and kept as a bitmap; each frame restores it and draws only the paths, heads,
    marks, labels and counter on top (matplotlib's blitting), several times faster than redrawing the figure.
    ``progress()`` is called after each frame.
    """
    race_fig = RaceFigure(surface, results, noise=noise, small_multiples=small_multiples, steps=steps)
    fig, canvas = race_fig.fig, race_fig.fig.canvas
    fig.set_dpi(dpi)
    shown = frame_steps(steps, frames)
    race_fig.note_schedule(shown)
    moving = [*race_fig.lines, *race_fig.heads, *race_fig.marks, race_fig.counter, race_fig.start_note]
    moving += [race_fig.legend] if race_fig.legend is not None else list(race_fig.rule_texts)
    for artist in moving:
        artist.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    images = []
    for step in shown:
        canvas.restore_region(background)
        race_fig.show(step)
        for artist in moving:
            fig.draw_artist(artist)
        images.append(Image.fromarray(numpy.asarray(canvas.buffer_rgba())[..., :3].copy()))
        if progress is not None:
            progress()
    frame_ms = round(1000 / fps)
    durations = [frame_ms] * (len(images) - 1) + [frame_ms + round(1000 * hold_s)]
    durations[0] += round(1000 * hold_first_s)
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    return len(images)


def jshtml(anim, fps: int = 12) -> str:
    """The animation as self-contained HTML + JavaScript (``FuncAnimation.to_jshtml``) for notebooks."""
    return anim.to_jshtml(fps=fps, default_mode="once")


def save_final_frame(surface: Surface, results, steps: int, path, dpi: int = PNG_DPI, noise: float = 0.0,
                     small_multiples: bool = False) -> None:
    """The last frame of the race as a PNG."""
    race_fig = RaceFigure(surface, results, noise=noise, small_multiples=small_multiples, steps=steps)
    race_fig.show(steps)
    race_fig.fig.savefig(path, dpi=dpi)


def loss_figure(surface: Surface, results, figsize=(11.5, 5.6), noise: float = 0.0) -> Figure:
    r""":math:`f(\theta_t) - f_{\min}` against t for every rule, log scale, floored at the policy's 1e-12;
    an X marks where a diverged rule stopped, a marker per rule (:data:`RULE_MARKER`) tells apart curves that lie
    on each other, the legend stands beside the plot. With gradient noise (``noise`` > 0) each curve is its moving
    geometric mean over :func:`smoothing_window` steps: the raw losses jump by decades from step to step, and nine
    of them drawn raw were a tangle. ``figsize=(COLUMN_WIDTH, 5.4)`` for the book's column."""
    fig = new_figure(*figsize)
    ax = fig.add_subplot()
    steps = max((len(r.losses) for r in results), default=1)
    window = smoothing_window(steps) if noise else 1
    every = max(steps // 8, 1)
    for i, r in enumerate(results):
        colour, style = RULE_STYLE.get(r.rule, ("black", "-"))
        excess = moving_geometric_mean(numpy.maximum(r.losses - surface.f_min, LOSS_FLOOR), window)
        # dotted and dashed curves above solid ones: a dashed Momentum stays visible on a solid NAG
        ends = numpy.arange(len(r.losses))[len(r.losses) - len(excess):]  # a window's mean is drawn at its last step
        ax.plot(ends, excess, color=colour, linestyle=style, linewidth=2.0,
                label=_label(r), marker=RULE_MARKER.get(r.rule, "o"), markersize=6, markeredgecolor="black",
                markeredgewidth=0.6, markevery=(i * every // max(len(results), 1), every),
                zorder={"-": 2.0, "--": 2.2, ":": 2.4}.get(style, 2.1))
        if r.diverged:
            ax.plot([len(r.losses) - 1], [excess[-1]], marker="X", markersize=9, color=colour)
    ax.set_yscale("log")
    ax.set_xlabel("step t")
    floor = "floored at 1e-12"
    ax.set_ylabel("f(θ_t) − f_min  (" + (f"moving geometric mean\nover {window} steps, {floor})" if noise > 0
                                           else f"{floor})"))
    ax.set_title(f"{surface.title}: loss per step" + (f"  (gradient noise σ = {noise:g})" if noise else ""),
                 fontsize=FONT + 1)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=FONT - 2, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title="rule and η", title_fontsize=FONT - 2)
    fig.tight_layout()
    return fig


def smoothing_window(steps: int) -> int:
    """The moving window of a noisy loss plot: 2 % of the steps, at least 5."""
    return max(5, steps // 50)


def moving_geometric_mean(values, window: int):
    """The geometric mean of each ``window`` consecutive values (``len(values) - window + 1`` of them; the values
    themselves when ``window`` is 1 or longer than them): the mean of the logarithms, as a log-scale plot reads."""
    values = numpy.asarray(values, dtype="float64")
    if window <= 1 or window > len(values):
        return values
    logs = numpy.concatenate([[0.0], numpy.cumsum(numpy.log(values))])
    return numpy.exp((logs[window:] - logs[:-window]) / window)
