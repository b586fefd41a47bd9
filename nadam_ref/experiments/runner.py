"""Train one rule on one task for some epochs, with a checkpoint after every epoch: :func:`train_run`.

The runner knows a model only through the contract of :mod:`nadam_ref.models` (``params`` and
``loss_and_grads(batch) -> (loss, grads)``) and a rule only through :class:`nadam_ref.Optimizer`. What an
epoch's batches are and how a model is scored is the task's business (:mod:`nadam_ref.experiments.tasks`):

* ``task.model`` — the model;
* ``task.train_batches(epoch, rng) -> (count, iterable)`` — one epoch of training batches, all randomness
  drawn from the host generator ``rng`` that the runner owns and checkpoints;
* ``task.evaluate() -> {"valid": {...}, "test": {...}}`` — deterministic metrics (no randomness consumed).

A run is resumable: its identity (experiment, scale, configuration, rule, hyper-parameters, seed) is
fingerprinted into the checkpoint, and the same command picks up after the last completed epoch; a finished run
is reused, and says so ("reused, not trained again", with when and by which commit it was trained). The identity
holds digests of the code (:func:`.provenance.code_digests`): a checkpoint written before the rule's source (or the
model's, the optimizer's, ...) changed is discarded and its run trained again from scratch, with a line saying so.
An epoch cut short by Ctrl-C or a kill is done again from its start, with the RNG state of its start, so nothing
is lost or counted twice. A loss or gradient that turns NaN or inf marks the run ``diverged``; it stops, and the
caller goes on with the next rule.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Callable

from .. import backend
from ..optimizer import NonFiniteGradientError, Optimizer
from ..rules import select_hparams
from . import checkpoint, provenance

FINISHED, DIVERGED = "finished", "diverged"


def train_run(
    task_factory: Callable[[], object],
    identity: dict,
    folder: str,
    *,
    epochs: int,
    lr_at: Callable[[int], float],
    hparams: dict,
    clip_norm: float | None = None,
    impl: str = "reference",
    progress: bool = True,
    after_epoch: Callable[[int], None] | None = None,
) -> dict:
    """Train ``identity["rule"]`` for ``epochs`` epochs (resuming from ``folder``) and return the run's
    record.

    ``task_factory()`` builds the task (model initialised from the run's seed); it is only called when there
    is training left to do. ``lr_at(epoch)`` is η for epoch 0, 1, … (an annealing schedule or a constant);
    ``hparams`` the other hyper-parameters of the rule. ``clip_norm`` rescales a gradient whose global L2 norm
    exceeds it (the TensorFlow PTB model's ``max_grad_norm``). ``impl`` is the optimizer's (reference or fused).
    ``after_epoch(epoch)`` is called once each
    epoch's checkpoint is on disk (tests inject interruptions there).
    """
    rule, seed = identity["rule"], identity["seed"]
    while True:  # at most twice: a corrupt checkpoint is removed and the second pass starts from scratch
        state = _resume_state(folder, identity)
        if state is not None and state["record"]["status"] in (FINISHED, DIVERGED):
            _say(f"{_run_name(identity)}: reused, not trained again: {state['record']['status']} in {folder}, "
                 f"{_trained_when(folder, state['record'])}")
            return state["record"]
        task = task_factory()
        optimizer = Optimizer(rule, task.model.params, on_nonfinite="raise", impl=impl, lr=lr_at(0),
                              **select_hparams(rule, hparams))
        if state is None:
            record = {
                "rule": rule,
                "seed": seed,
                "status": "running",
                "diverged_at": None,
                "epochs": [],
                "wall_s": 0.0,
                "trained_by": provenance.provenance(),  # kept when a later commit resumes or rewrites the results
            }
            rng, done = backend.host_rng([seed, 1]), 0
            break
        _set_lr(optimizer, lr_at(state["epoch"] - 1))  # the η the checkpoint was written with
        try:
            state = checkpoint.load(folder, optimizer, identity=identity)
        except checkpoint.CorruptCheckpointError as e:
            warnings.warn(f"{e}; starting {rule} seed {seed} again from scratch", RuntimeWarning, stacklevel=2)
            checkpoint.remove(folder)
            continue
        record, rng, done = state["record"], backend.rng_from_state(state["rng_state"]), state["epoch"]
        break

    for epoch in range(done, epochs):
        start = time.perf_counter()
        lr = lr_at(epoch)
        _set_lr(optimizer, lr)
        count, batches = task.train_batches(epoch, rng)
        label = f"{identity['experiment']} {rule} seed {seed} epoch {epoch + 1}/{epochs}"
        train_loss, diverged_step = _train_epoch(
            task.model, optimizer, batches, count, label, clip_norm, progress
        )
        metrics = {"train": {"loss": train_loss}, **task.evaluate()} if diverged_step is None else {}
        if diverged_step is None and not _all_finite(metrics):
            diverged_step = count
        wall = time.perf_counter() - start
        record["wall_s"] += wall
        if diverged_step is not None:
            record["status"] = DIVERGED
            record["diverged_at"] = {"epoch": epoch + 1, "step": diverged_step}
        else:
            record["epochs"].append({"epoch": epoch + 1, "lr": lr, **metrics, "wall_s": wall})
            if epoch + 1 == epochs:
                record["status"] = FINISHED
        checkpoint.save(
            folder,
            optimizer,
            identity=identity,
            epoch=epoch + 1,
            rng_state=backend.rng_state(rng),
            record=record,
        )
        if progress:
            print(_summary_line(label, record, metrics, wall), file=sys.stderr, flush=True)
        if after_epoch is not None:
            after_epoch(epoch)
        if record["status"] == DIVERGED:
            break
    return record


def _resume_state(folder, identity):
    """The saved state of a finished run, a dict with ``epoch`` for a run to continue, or None to start
    fresh."""
    if not checkpoint.exists(folder):
        return None
    try:
        return checkpoint.read_state(folder, identity=identity)
    except checkpoint.StaleCodeError as e:
        _say(f"{_run_name(identity)}: training again from scratch: {e}")
        checkpoint.remove(folder)
        return None
    except checkpoint.CorruptCheckpointError as e:
        warnings.warn(
            f"{e}; starting {identity['rule']} seed {identity['seed']} again from scratch",
            RuntimeWarning,
            stacklevel=3,
        )
        checkpoint.remove(folder)
        return None


def _run_name(identity) -> str:
    return f"{identity['experiment']} {identity['rule']} seed {identity['seed']}"


def _trained_when(folder, record) -> str:
    """When and by which commit the checkpoint in ``folder`` was written (its ``state.json``'s time)."""
    written = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(checkpoint.state_path(folder))))
    commit = (record.get("trained_by") or {}).get("git_commit")
    dirty = " with uncommitted changes" if (record.get("trained_by") or {}).get("git_dirty") else ""
    return f"trained at {written}" + (f" by commit {commit[:10]}{dirty}" if commit else "")


def _say(message: str) -> None:
    """A line about what the runner did with a checkpoint: always shown (a reuse is never silent)."""
    print(message, file=sys.stderr, flush=True)


def _train_epoch(model, optimizer, batches, count, label, clip_norm, progress):
    """Mean training loss of the epoch, and the step at which it diverged (None if it did not)."""
    from tqdm.auto import tqdm

    total, steps = 0.0, 0
    bar = tqdm(
        batches,
        total=count,
        desc=label,
        leave=False,
        disable=not progress,
        mininterval=0.5,
        dynamic_ncols=True,
        file=sys.stderr,
    )
    try:
        for batch in bar:
            loss, grads = model.loss_and_grads(batch)
            steps += 1
            if not math.isfinite(loss):
                return math.nan, steps
            if clip_norm is not None:
                grads = clip_by_global_norm(grads, clip_norm)
            try:
                optimizer.step(grads)
            except NonFiniteGradientError:
                return math.nan, steps
            total += loss
            if steps % 20 == 0:
                bar.set_postfix(loss=f"{total / steps:.4g}", refresh=False)
    finally:
        bar.close()
    return total / max(steps, 1), None


def clip_by_global_norm(grads: dict, max_norm: float) -> dict:
    r"""Scale all gradients by :math:`\min(1, c / \lVert g \rVert_2)`, the norm taken over all of them
    together (``tf.clip_by_global_norm``, which the TensorFlow PTB model applies with :math:`c = 5`)."""
    xp = backend.array_module(*grads.values())
    norm = math.sqrt(sum(float(xp.sum(g * g)) for g in grads.values()))
    if not math.isfinite(norm) or norm <= max_norm:
        return grads  # a non-finite norm is left for the optimizer to report as divergence
    scale = max_norm / norm
    return {name: g * g.dtype.type(scale) for name, g in grads.items()}


def _set_lr(optimizer, lr: float) -> None:
    """Change η between epochs (annealing); every other hyper-parameter stays as it was."""
    optimizer.lr = lr


def _all_finite(metrics: dict) -> bool:
    return all(math.isfinite(v) for split in metrics.values() for v in split.values())


def _summary_line(label, record, metrics, wall) -> str:
    if record["status"] == DIVERGED:
        return f"{label}: diverged at step {record['diverged_at']['step']} ({wall:.1f} s)"
    parts = [
        f"{split} {name} {value:.4g}" for split, values in metrics.items() for name, value in values.items()
    ]
    return f"{label}: " + ", ".join(parts) + f" ({wall:.1f} s)"
