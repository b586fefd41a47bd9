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

# The light half of "Greys": low loss white, high loss mid-grey, so coloured paths stay the brightest thing.
BACKGROUND = ListedColormap(colormaps["Greys"](numpy.linspace(0.0, 0.3, 256)), name="light_greys")
LEGEND_TITLE = "momentum: dotted none,\ndashed classical, solid Nesterov;\n◆ arrived"

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
    its name and η, so that no path hides under another. A diamond marks where a rule first arrived.

    The small multiples' grid follows the figure's shape: the default 12.8 × 7.2 in gives 3 × 4 panels (the GIF),
    a portrait figure such as :data:`COLUMN_FIGSIZE` (the book's column) 3 × 3, with margins in inches."""

    def __init__(self, surface: Surface, results, noise: float = 0.0, small_multiples: bool = False,
                 figsize=FIGSIZE):
        self.surface, self.results = surface, list(results)
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
                    markeredgecolor="black", markeredgewidth=1.5, zorder=6, label="start")
        self.lines, self.heads, self.marks, self.rule_texts = [], [], [], []
        for ax, r in zip(self.axes, self.results, strict=False):
            colour, style = RULE_STYLE.get(r.rule, ("black", "-"))
            (line,) = ax.plot([], [], color=colour, linestyle=style, linewidth=2.6, label=_label(r), zorder=3)
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
        self.counter.set_text(f"step t = {step}")
        return [*self.lines, *self.heads, *self.marks, *self.rule_texts, self.counter]


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
    race_fig = RaceFigure(surface, results, noise=noise, small_multiples=small_multiples, figsize=figsize)
    race_fig.fig.set_dpi(dpi)  # to_jshtml embeds every frame as a PNG at the figure's dpi
    shown = frame_steps(steps, frames)
    anim = FuncAnimation(race_fig.fig, lambda i: race_fig.show(shown[i]), frames=len(shown),
                         interval=1000 / fps, blit=False, repeat=True)
    anim.frame_steps = shown
    anim.race_figure = race_fig
    return anim


def save_gif(surface: Surface, results, steps: int, path, frames: int = 80, fps: int = 12, hold_s: float = 2.0,
             dpi: int = GIF_DPI, progress=None, noise: float = 0.0, small_multiples: bool = False) -> int:
    """Write the race as a looping GIF with Pillow (1280 × 720 px at the default dpi), the last frame held
    ``hold_s`` seconds; returns the frame count.

    The contours are drawn once and kept as a bitmap; each frame restores it and draws only the paths, heads,
    marks, labels and counter on top (matplotlib's blitting), several times faster than redrawing the figure.
    ``progress()`` is called after each frame.
    """
    race_fig = RaceFigure(surface, results, noise=noise, small_multiples=small_multiples)
    fig, canvas = race_fig.fig, race_fig.fig.canvas
    fig.set_dpi(dpi)
    moving = [*race_fig.lines, *race_fig.heads, *race_fig.marks, race_fig.counter]
    moving += [race_fig.legend] if race_fig.legend is not None else list(race_fig.rule_texts)
    for artist in moving:
        artist.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    images = []
    for step in frame_steps(steps, frames):
        canvas.restore_region(background)
        race_fig.show(step)
        for artist in moving:
            fig.draw_artist(artist)
        images.append(Image.fromarray(numpy.asarray(canvas.buffer_rgba())[..., :3].copy()))
        if progress is not None:
            progress()
    frame_ms = round(1000 / fps)
    durations = [frame_ms] * (len(images) - 1) + [frame_ms + round(1000 * hold_s)]
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    return len(images)


def jshtml(anim, fps: int = 12) -> str:
    """The animation as self-contained HTML + JavaScript (``FuncAnimation.to_jshtml``) for notebooks."""
    return anim.to_jshtml(fps=fps, default_mode="once")


def save_final_frame(surface: Surface, results, steps: int, path, dpi: int = PNG_DPI, noise: float = 0.0,
                     small_multiples: bool = False) -> None:
    """The last frame of the race as a PNG."""
    race_fig = RaceFigure(surface, results, noise=noise, small_multiples=small_multiples)
    race_fig.show(steps)
    race_fig.fig.savefig(path, dpi=dpi)


def loss_figure(surface: Surface, results, figsize=(10, 5.6)) -> Figure:
    r""":math:`f(\theta_t) - f_{\min}` against t for every rule, log scale, floored at the policy's 1e-12;
    an X marks where a diverged rule stopped. ``figsize=(COLUMN_WIDTH, 5.4)`` for the book's column."""
    fig = new_figure(*figsize)
    ax = fig.add_subplot()
    for r in results:
        colour, style = RULE_STYLE.get(r.rule, ("black", "-"))
        excess = numpy.maximum(r.losses - surface.f_min, LOSS_FLOOR)
        ax.plot(numpy.arange(len(excess)), excess, color=colour, linestyle=style, linewidth=2.2, label=_label(r))
        if r.diverged:
            ax.plot([len(excess) - 1], [excess[-1]], marker="X", markersize=9, color=colour)
    ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("f(θ_t) − f_min  (floored at 1e-12)")
    ax.set_title(f"{surface.title}: loss per step", fontsize=FONT + 1)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=FONT - 2, ncol=2)
    fig.tight_layout()
    return fig
