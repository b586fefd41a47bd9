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

# One colour per rule, the same in every picture; line style by the momentum column of the paper's 3×3 tables:
# dotted = no momentum, dashed = classical momentum, solid = Nesterov momentum.
RULE_STYLE = {
    "gd": ("tab:gray", ":"), "momentum": ("tab:olive", "--"), "nag": ("tab:brown", "-"),
    "rmsprop": ("tab:cyan", ":"), "adam": ("tab:blue", "--"), "nadam": ("tab:red", "-"),
    "maxaprop": ("tab:pink", ":"), "adamax": ("tab:purple", "--"), "nadamax": ("tab:orange", "-"),
    "adagrad": ("tab:green", ":"), "nag_lookahead": ("black", "-"),
}

# The light half of "Greys": low loss white, high loss mid-grey, so coloured paths stay the brightest thing.
BACKGROUND = ListedColormap(colormaps["Greys"](numpy.linspace(0.0, 0.5, 256)), name="light_greys")
LEGEND_TITLE = "line: dotted no momentum,\ndashed classical, solid Nesterov"

GIF_DPI = 80
PNG_DPI = 120


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


def draw_surface(ax, surface: Surface, resolution: int = 240) -> None:
    r"""Filled contours of :math:`f - f_{\min}` on log-spaced levels, contour lines on top, and the minima."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.window
    x, y = numpy.meshgrid(numpy.linspace(x_lo, x_hi, resolution), numpy.linspace(y_lo, y_hi, resolution))
    excess = surface.f(numpy.stack([x, y])) - surface.f_min
    top = float(excess.max())
    bottom = max(float(excess.min()), top * 1e-8)
    levels = numpy.logspace(math.log10(bottom), math.log10(top), 25)
    clipped = numpy.clip(excess, bottom, top)
    ax.contourf(x, y, clipped, levels=levels, norm=LogNorm(bottom, top), cmap=BACKGROUND)
    ax.contour(x, y, clipped, levels=levels[::2], norm=LogNorm(bottom, top), colors="0.55", linewidths=0.4)
    mins = numpy.asarray(surface.minima)
    ax.plot(mins[:, 0], mins[:, 1], linestyle="none", marker="*", markersize=15, markerfacecolor="gold",
            markeredgecolor="black", zorder=5, label="minimum" if len(mins) == 1 else "minima")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"{surface.title}: f = {surface.formula}", fontsize=10)


def _label(result) -> str:
    return f"{result.rule}  η={result.lr:g}"


class RaceFigure:
    """The race drawn at any step: ``show(step)`` moves every path and head there; used for all frames."""

    def __init__(self, surface: Surface, results, width: float = 8.6, height: float = 5.4):
        self.surface, self.results = surface, list(results)
        self.fig = new_figure(width, height)
        self.ax = self.fig.add_axes((0.08, 0.1, 0.6, 0.82))
        draw_surface(self.ax, surface)
        start = self.results[0].path[0] if self.results else surface.start
        self.ax.plot([start[0]], [start[1]], linestyle="none", marker="o", markersize=9, markerfacecolor="white",
                     markeredgecolor="black", markeredgewidth=1.5, zorder=6, label="start")
        self.lines, self.heads = [], []
        for r in self.results:
            colour, style = RULE_STYLE.get(r.rule, ("black", "-"))
            (line,) = self.ax.plot([], [], color=colour, linestyle=style, linewidth=2.2, label=_label(r), zorder=3)
            (head,) = self.ax.plot([], [], linestyle="none", marker="o", markersize=7, color=colour,
                                   markeredgecolor="black", zorder=7)
            self.lines.append(line)
            self.heads.append(head)
        self.legend = self.fig.legend(loc="center left", bbox_to_anchor=(0.7, 0.5), fontsize=8, frameon=False,
                                      title=LEGEND_TITLE, title_fontsize=7)
        self.rule_texts = self.legend.get_texts()[-len(self.results):] if self.results else []
        self.counter = self.ax.text(0.02, 0.97, "", transform=self.ax.transAxes, va="top", fontsize=10,
                                    bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"}, zorder=8)
        self.total = max([r.steps_taken if r.diverged_at is None else r.diverged_at - 1 for r in self.results]
                         + [0])

    def show(self, step: int):
        """Draw every rule's path θ₀ … θ_step (or up to where it stopped) and its head."""
        for r, line, head, text in zip(self.results, self.lines, self.heads, self.rule_texts, strict=False):
            k = min(step, r.steps_taken)
            line.set_data(r.path[: k + 1, 0], r.path[: k + 1, 1])
            head.set_data(r.path[k : k + 1, 0], r.path[k : k + 1, 1])
            stopped = r.diverged_at is not None and step >= r.diverged_at
            head.set_marker("X" if stopped else "o")
            head.set_markersize(10 if stopped else 7)
            text.set_text(_label(r) + (f"  diverged at t={r.diverged_at}" if stopped else ""))
        self.counter.set_text(f"step t = {step}")
        return [*self.lines, *self.heads, *self.rule_texts, self.counter]


def animate(surface: Surface, results, steps: int, frames: int = 80, fps: int = 12):
    """A ``FuncAnimation`` of the race over :func:`frame_steps`, for ``to_jshtml`` in notebooks.
    ``anim.frame_steps`` lists the step each frame shows; ``anim.race_figure`` is the :class:`RaceFigure`."""
    race_fig = RaceFigure(surface, results)
    race_fig.fig.set_dpi(GIF_DPI)  # to_jshtml embeds every frame as a PNG at the figure's dpi
    shown = frame_steps(steps, frames)
    anim = FuncAnimation(race_fig.fig, lambda i: race_fig.show(shown[i]), frames=len(shown),
                         interval=1000 / fps, blit=False, repeat=True)
    anim.frame_steps = shown
    anim.race_figure = race_fig
    return anim


def save_gif(surface: Surface, results, steps: int, path, frames: int = 80, fps: int = 12, hold_s: float = 2.0,
             dpi: int = GIF_DPI, progress=None) -> int:
    """Write the race as a looping GIF with Pillow, the last frame held ``hold_s`` seconds; returns the frame count.

    The contours are drawn once and kept as a bitmap; each frame restores it and draws only the paths, heads,
    legend and counter on top (matplotlib's blitting), several times faster than redrawing the figure.
    ``progress()`` is called after each frame.
    """
    race_fig = RaceFigure(surface, results)
    fig, canvas = race_fig.fig, race_fig.fig.canvas
    fig.set_dpi(dpi)
    moving = [*race_fig.lines, *race_fig.heads, race_fig.counter, race_fig.legend]  # the legend holds the labels
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


def save_final_frame(surface: Surface, results, steps: int, path, dpi: int = PNG_DPI) -> None:
    """The last frame of the race as a PNG."""
    race_fig = RaceFigure(surface, results)
    race_fig.show(steps)
    race_fig.fig.savefig(path, dpi=dpi)


def loss_figure(surface: Surface, results) -> Figure:
    r""":math:`f(\theta_t) - f_{\min}` against t for every rule, log scale, floored at the policy's 1e-12;
    an X marks where a diverged rule stopped."""
    fig = new_figure(7.5, 4.5)
    ax = fig.add_subplot()
    for r in results:
        colour, style = RULE_STYLE.get(r.rule, ("black", "-"))
        excess = numpy.maximum(r.losses - surface.f_min, LOSS_FLOOR)
        ax.plot(numpy.arange(len(excess)), excess, color=colour, linestyle=style, linewidth=1.6, label=_label(r))
        if r.diverged:
            ax.plot([len(excess) - 1], [excess[-1]], marker="X", markersize=9, color=colour)
    ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("f(θ_t) − f_min  (floored at 1e-12)")
    ax.set_title(f"{surface.title}: loss per step", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
