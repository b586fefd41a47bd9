"""``nadam-ref reproduce``: the paper's three experiments for the nine rules, resumable, with tables and
curves.

    nadam-ref reproduce --experiment mnist|lstm|word2vec|all --scale smoke|class|paper
                        [--rules nadam adam ...] [--seeds K] [--out DIR] [--fresh] [--tune] [--quiet]
                        [--jobs N | --scheduler ADDRESS] [--data-dir DIR] [--set NAME=VALUE ...] [--epochs E]
                        [--first-seed S]
    nadam-ref reproduce --plan PLAN.json [--out DIR] [--jobs N] [--sequential | --judge-only]

Stop it at any time (Ctrl-C, a kill); the same command resumes after the last finished epoch of each rule.
See ``nadam_ref/experiments/README.md``.
"""

from __future__ import annotations

import sys
import time

from .._io import check_writable
from ..rules import PAPER_RULES
from . import CLIError


def add_arguments(parser):
    parser.add_argument("--experiment", default="all", help="mnist, lstm, word2vec or all (default all)")
    parser.add_argument(
        "--scale",
        default="smoke",
        help="smoke (seconds), class (~15 min on 2 cores for all) or "
        "paper (full data; GPU recommended); default smoke",
    )
    parser.add_argument(
        "--rules",
        nargs="+",
        default=list(PAPER_RULES),
        metavar="RULE",
        help=f"some of: {' '.join(PAPER_RULES)} (default all nine)",
    )
    parser.add_argument("--seeds", type=int, default=1, help="repeat every run with seeds 0..K-1 (default 1)")
    parser.add_argument("--first-seed", type=int, default=0, metavar="S",
                        help="start the seeds at S: seeds S..S+K-1 (default 0)")
    parser.add_argument("--out", default=None, help="output folder (default runs/reproduce-SCALE)")
    parser.add_argument(
        "--fresh", action="store_true", help="discard this folder's checkpoints and start over"
    )
    parser.add_argument(
        "--tune",
        action="store_true",
        help="choose η per rule on the validation set first, instead of the committed values",
    )
    parser.add_argument(
        "--impl",
        choices=["reference", "fused"],
        default="reference",
        help="the optimizer's implementation: the rules as their boxes (default) or fused, in place and faster",
    )
    parser.add_argument(
        "--layers",
        choices=["fast", "readable"],
        default="fast",
        help="the CNN's layers: fast (default; the same numbers) or the readable ones the notebooks show",
    )
    parser.add_argument("--tune-refine", action="store_true",
                        help="like --tune, but only a 10^(1/4) grid around the committed η (cheaper)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    parser.add_argument("--jobs", type=int, default=1,
                        help="run N (experiment, rule, seed) runs at once in N processes (same results as 1)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="send the runs to a Dask distributed scheduler (needs the 'dask' extra; its workers "
                             "must see --out)")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="other data: an IDX folder for mnist (e.g. Fashion-MNIST), a plain-text file or "
                             "folder for lstm/word2vec (e.g. the King James Bible)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
                        help="override a shared hyper-parameter for every rule (an ablation), e.g. eps=1e-4, "
                             "eps_placement=outside, m_decay=scheduled, schedule_timescale=25; repeatable")
    parser.add_argument("--epochs", type=int, default=None, help="override the scale's number of epochs")
    parser.add_argument("--plan", default=None, metavar="FILE",
                        help="run and judge a pre-registered plan (e.g. docs/reproduction/plan.json): its arms, "
                             "seeds and comparisons; the other run options except --out, --jobs, --quiet are "
                             "the plan's")
    parser.add_argument("--sequential", action="store_true",
                        help="with --plan: allow seeds added after verdicts were written, and report the "
                             "verdicts as sequential")
    parser.add_argument("--judge-only", action="store_true",
                        help="with --plan: judge what is in --out without training (a look, recorded)")
    parser.add_argument("--learning-rates", default=None, metavar="FILE",
                        help="take η from FILE (a run's tuning.json) instead of the committed learning_rates.json")


def run(args) -> int:
    from ..data import DataError
    from ..experiments import CheckpointMismatchError, configs, reproduce

    if args.plan:
        return _run_plan(args)
    experiments = list(configs.EXPERIMENT_NAMES) if args.experiment == "all" else [args.experiment]
    out = args.out or f"runs/reproduce-{args.scale}"
    try:
        configs.check_request(experiments, args.scale, args.rules, args.seeds, args.first_seed)
        settings = configs.check_settings(dict(_setting(text) for text in args.settings))
    except ValueError as e:
        raise CLIError(str(e)) from None
    if args.jobs > 1 and args.scheduler:
        raise CLIError("give --jobs or --scheduler, not both (the scheduler's workers set the parallelism)")
    try:
        check_writable(out)
    except OSError as e:
        raise CLIError(f"cannot write to --out {out!r}: {e.strerror or e}") from None
    start = time.perf_counter()
    try:
        results = reproduce.reproduce(
            experiments,
            args.scale,
            rules=args.rules,
            seeds=args.seeds,
            first_seed=args.first_seed,
            out=out,
            fresh=args.fresh,
            tune="refine" if args.tune_refine else args.tune,
            impl=args.impl,
            layers=args.layers,
            progress=not args.quiet and args.jobs == 1 and not args.scheduler,
            jobs=args.jobs,
            scheduler=args.scheduler,
            data_dir=args.data_dir,
            settings=settings,
            epochs=args.epochs,
            learning_rates=args.learning_rates,
            log=(lambda *_: None) if args.quiet else _log,
        )
    except (CheckpointMismatchError, DataError, ImportError) as e:  # a data error names its file
        raise CLIError(str(e)) from None
    except (ValueError, TypeError, KeyError) as e:  # a setting a rule refuses, a bad --jobs, --epochs, η file
        raise CLIError(str(e)) from None
    except PermissionError as e:
        raise CLIError(f"cannot write the outputs in {out!r}: {e}") from None
    except FileNotFoundError as e:  # the full data sets of the paper scale, not downloaded yet
        raise CLIError(
            f"{e} (the paper scale needs the full data sets: see nadam_ref/data/README.md)"
        ) from None
    print(
        f"done in {time.perf_counter() - start:.1f} s (training and evaluation: {results['wall_s']:.1f} s); "
        f"wrote {out}/results.json, table.md, claims.md, curves.png"
    )
    print(open(f"{out}/table.md", encoding="utf-8").read())
    return 0


def _run_plan(args) -> int:
    from ..experiments import plan as planned

    out = args.out or "runs/plan"
    try:
        plan = planned.load(args.plan)
        check_writable(out)
        log = (lambda *_: None) if args.quiet else _log
        if args.judge_only:
            document = planned.judge(plan, out, sequential=args.sequential)
        else:
            document = planned.run(plan, out, jobs=args.jobs, progress=not args.quiet and args.jobs == 1,
                                   log=log, sequential=args.sequential)
    except (OSError, ValueError, KeyError, planned.SequentialLookError) as e:
        raise CLIError(str(e)) from None
    print(planned.claims_markdown(document))
    return 0


def _setting(text: str):
    """``NAME=VALUE`` → (name, value), the value a number when it reads as one."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ValueError(f"--set {text!r}; expected NAME=VALUE, e.g. eps=1e-4")
    try:
        return name, float(value)
    except ValueError:
        return name, value


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
