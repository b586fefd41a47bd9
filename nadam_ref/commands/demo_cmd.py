"""``nadam-ref demo``: the main job that ``make demo`` runs, on the shipped data only.

1. The paper's nine rules racing on Rosenbrock's valley, the race of ``nadam-ref race`` and notebook 7
   (:func:`nadam_ref.surfaces.files.write_race`), written to ``OUT/race/``: ``race.gif``, ``race.png``,
   ``loss.png``, ``summary.csv``; the same race with gradient noise σ = 20 in ``OUT/race-noisy/``. Each race's
   ranking is printed (:func:`nadam_ref.surfaces.race.race_table`).
2. The box of every rule traced for two steps on the built-in quadratic, written to ``OUT/trace.txt``.
3. The paper's MNIST experiment at class scale, all nine rules (``nadam-ref reproduce --experiment mnist
   --scale class``), written to ``OUT/reproduce-mnist/``: ``table.md``, ``claims.md``, ``curves.png``,
   ``results.json``. It checkpoints every epoch, so a second ``make demo`` resumes or reuses it, saying so for
   every run it reuses; a run whose rule (or training code) has changed since is trained again. One seed gives
   each rule its numbers but no verdict on the paper's claims: what it can show is printed
   (:func:`nadam_ref.experiments.report.few_seeds_markdown`). ``--quick`` skips this part.
"""

from __future__ import annotations

import os

from tqdm import tqdm

from .. import rules
from .._io import OutputDirError, atomic_write_text, check_writable
from ..surfaces import get_surface
from ..surfaces.files import write_race
from ..surfaces.race import race_table
from ..teaching import trace_text
from . import CLIError

DEMO_NOISE = 20.0  # Rosenbrock's gradients are O(1)–O(100) along the path: σ = 20 blurs the valley floor


def _bar(stage, total):
    bar = tqdm(total=total, desc=f"race: {stage}", unit="unit", leave=False)
    return bar.update


def add_arguments(parser):
    parser.add_argument("--out", default="demo-output", help="where to write the demo's files")
    parser.add_argument("--quick", action="store_true", help="skip the class-scale MNIST experiment (minutes)")


def run(args) -> int:
    out = os.path.abspath(args.out)
    try:
        check_writable(out)  # before minutes of work, not after
    except OutputDirError as e:
        raise CLIError(str(e)) from None
    race_dir, noisy_dir = os.path.join(out, "race"), os.path.join(out, "race-noisy")
    rosenbrock = get_surface("rosenbrock")
    for folder, noise in ((race_dir, 0.0), (noisy_dir, DEMO_NOISE)):
        run_ = write_race(folder, rosenbrock, noise=noise, progress=_bar)
        print(f"\nRosenbrock race, {run_.steps} steps, " + (f"gradient noise σ = {noise:g}" if noise else
                                                             "exact gradients") + f" ({folder}/race.gif):")
        print(race_table(rosenbrock, run_.rows, noise))

    os.makedirs(out, exist_ok=True)
    separator = "\n\n" + "-" * 100 + "\n\n"
    trace_path = os.path.join(out, "trace.txt")
    atomic_write_text(trace_path, "".join(trace_text(name, 2) + separator for name in rules.PAPER_RULES))
    print()
    print(trace_text("nadam", 1))

    experiment_dir = os.path.join(out, "reproduce-mnist")
    if not args.quick:
        print()
        from ..experiments.report import few_seeds_markdown
        from ..experiments.reproduce import reproduce

        results = reproduce(["mnist"], "class", out=experiment_dir)
        with open(os.path.join(experiment_dir, "table.md"), encoding="utf-8") as f:
            print(f.read())
        print(few_seeds_markdown(results, experiment_dir).rstrip())

    print("\nThe demo's files:")
    print(f"  {race_dir}/race.gif   the nine rules racing on Rosenbrock (race.png, loss.png, summary.csv)")
    print(f"  {noisy_dir}/race.gif   the same race with gradient noise σ = {DEMO_NOISE:g}")
    print(f"  {trace_path}        every rule's box, line by line with values, for two steps")
    if not args.quick:
        print(f"  {experiment_dir}/table.md   the paper's MNIST table, this run beside the paper "
              "(claims.md, curves.png, results.json)")
    return 0
