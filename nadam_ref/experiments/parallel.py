"""Independent runs (experiment, rule, seed, η) in this process, in worker processes, or on a Dask cluster.

A run is described by a *spec*, a plain dict that pickles: :func:`spec`. :func:`run_spec` trains it
(:func:`runner.train_run`, checkpointed and resumable as always) wherever it is called. :func:`executor` gives
the pool to run specs in:

* ``jobs=1`` — none: every run in this process, one after another (progress bars, ``after_epoch`` hooks);
* ``jobs=N`` — a :class:`concurrent.futures.ProcessPoolExecutor` of N processes on this machine;
* ``scheduler=ADDRESS`` — an existing Dask distributed cluster (``pip install nadam_ref[dask]``), through
  ``distributed.Client(ADDRESS).get_executor()``. Its workers must import the same nadam_ref and see the same
  ``--out`` folder (a shared file system), where the checkpoints are.

Every run seeds its own generators from its seed, and :func:`run_all` hands the records back in the order of
the specs, so the results are the same whichever pool ran them (only the measured wall times differ).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from concurrent.futures import ProcessPoolExecutor

from .. import rules, schedules
from . import configs, provenance, runner, tasks

_DATA: dict = {}  # per process: (experiment, config) → its DataCache, so a worker loads each data set once


def spec(common: dict, rule: str, lr: float, seed: int, purpose: str, epochs: int | None = None) -> dict:
    """One run: ``common`` (experiment ``name``, ``scale``, ``cfg``, ``out``, ``settings``) and its rule, η,
    seed, purpose (``result`` or ``tune``) and number of epochs (default the configuration's)."""
    return {**common, "rule": rule, "lr": lr, "seed": seed, "purpose": purpose,
            "epochs": common["cfg"]["epochs"] if epochs is None else epochs}


def optimizer_hparams(rule: str, settings: dict) -> dict:
    """What ``rule`` reads of the shared hyper-parameters under ``settings``: the paper's (each rule takes the
    ones it reads, :func:`nadam_ref.rules.select_hparams`), overridden by ``settings``, every one of which the
    rule must read (ValueError naming the rest). ``schedule_timescale`` T becomes the warming schedule with that
    time scale, ``partial(schedules.warming, mu=μ, timescale=T)``."""
    hparams = {**configs.PAPER_SETTINGS, **settings}
    timescale = hparams.pop("schedule_timescale", None)
    if timescale is not None:
        hparams["schedule"] = functools.partial(schedules.warming, mu=hparams["mu"], timescale=timescale)
    read = rules.select_hparams(rule, hparams)
    unread = sorted(k for k in settings if (k if k != "schedule_timescale" else "schedule") not in read)
    if unread:
        raise ValueError(f"rule {rule!r} does not read the setting(s) {', '.join(unread)}; leave it out of "
                         "--rules or drop the setting")
    return read


def run_spec(s: dict, progress: bool = False, after_epoch=None) -> dict:
    """Train the run ``s`` describes (resuming its checkpoint) and return its record."""
    name, cfg = s["name"], s["cfg"]
    identity = {
        "experiment": name,
        "scale": s["scale"],
        "config": cfg,
        "purpose": s["purpose"],
        "epochs": s["epochs"],
        "rule": s["rule"],
        "hparams": {**configs.PAPER_SETTINGS, **s["settings"], "lr": s["lr"]},
        "seed": s["seed"],
        "code": provenance.code_digests(s["rule"], cfg.get("impl", "reference")),
    }
    if s["purpose"] == "result":
        folder = os.path.join(s["out"], "checkpoints", name, s["rule"], f"seed{s['seed']}")
    else:
        folder = os.path.join(s["out"], "tuning", name, s["rule"], f"lr{s['lr']:.6g}")
    key = (name, json.dumps(cfg, sort_keys=True))
    data = _DATA.setdefault(key, tasks.DataCache(name, cfg))
    return runner.train_run(
        lambda: tasks.EXPERIMENTS[name].make_task(data.get(), cfg, s["seed"]),
        identity,
        folder,
        epochs=s["epochs"],
        lr_at=lambda epoch: s["lr"] * configs.lr_factor(cfg, epoch),
        hparams=optimizer_hparams(s["rule"], s["settings"]),
        clip_norm=cfg.get("clip_norm"),
        impl=cfg.get("impl", "reference"),
        progress=progress,
        after_epoch=after_epoch,
    )


@contextlib.contextmanager
def executor(jobs: int = 1, scheduler: str | None = None):
    """The pool for :func:`run_all`: None (this process), N local processes, or a Dask cluster's executor."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs={jobs!r}; expected an integer >= 1")
    if scheduler is not None:
        try:
            from distributed import Client
        except ImportError:
            raise ImportError("scheduler needs Dask distributed: pip install 'nadam_ref[dask]'") from None
        with Client(scheduler) as client:
            yield client.get_executor(pure=False)
    elif jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            yield pool
    else:
        yield None


def run_all(pool, specs: list, progress: bool = True, after_epoch=None):
    """The records of ``specs``, in their order (a generator: each is yielded as soon as it and all before it
    are done). Without a pool they run here, one by one, with progress bars."""
    if pool is None:
        for s in specs:
            yield run_spec(s, progress, after_epoch)
        return
    futures = [pool.submit(run_spec, s) for s in specs]
    for future in futures:
        yield future.result()
