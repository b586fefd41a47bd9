"""Checkpoints of one run (experiment, rule, seed): written after every epoch, atomically, read back with
checks.

A checkpoint is a folder with two files:

* ``optimizer-epochK.npz`` — :meth:`nadam_ref.Optimizer.save`: the rule's state arrays *and* the parameters,
  which are the model's own arrays (the optimizer updates them in place), so the model is restored with it;
* ``state.json`` — the run's identity (its configuration and a fingerprint of it), the epoch reached, the host
  RNG state (:func:`nadam_ref.backend.rng_state`), the history so far, and the SHA-256 of the ``.npz`` file.

``state.json`` is written last, by rename, and names the ``.npz`` it belongs to, so a kill at any moment
leaves either the previous checkpoint or the new one, never a mix. A checkpoint of another configuration is
refused (:class:`CheckpointMismatchError`), one of this configuration written by other code is stale
(:class:`StaleCodeError`: the runner trains that run again); a damaged one raises
:class:`CorruptCheckpointError`, and the runner then starts that run again from scratch.
"""

from __future__ import annotations

import hashlib
import json
import os

from .._io import TEMP_PREFIX, atomic_write_text
from ..data import file_digest
from ..optimizer import StateFileError

STATE_FILE = "state.json"
FORMAT = "nadam_ref.experiment_checkpoint/1"


class CheckpointMismatchError(ValueError):
    """A checkpoint written by another configuration (experiment, scale, settings, rule, η or seed)."""


class StaleCodeError(CheckpointMismatchError):
    """A checkpoint of this very configuration, written by other code: the rule's source, or the source that
    trains it, has changed since (the ``code`` digests of the identity, :func:`.provenance.code_digests`)."""


class CorruptCheckpointError(ValueError):
    """A checkpoint that cannot be read back: unparsable, truncated, or its files do not match."""


def fingerprint(identity: dict) -> str:
    """SHA-256 of the canonical JSON of a run's identity: equal identities, equal fingerprints."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def save(folder, optimizer, *, identity: dict, epoch: int, rng_state: dict, record: dict) -> None:
    """Write the checkpoint of ``epoch`` (epochs done so far) into ``folder``, then drop the older
    ``.npz``."""
    os.makedirs(folder, exist_ok=True)
    npz_name = f"optimizer-epoch{epoch}.npz"
    npz_path = os.path.join(folder, npz_name)
    optimizer.save(npz_path)
    state = {
        "format": FORMAT,
        "fingerprint": fingerprint(identity),
        "identity": identity,
        "epoch": epoch,
        "optimizer_file": npz_name,
        "optimizer_sha256": file_digest(npz_path),
        "rng_state": rng_state,
        "record": record,
    }
    atomic_write_text(os.path.join(folder, STATE_FILE), json.dumps(state, indent=1))
    for name in os.listdir(folder):  # only now is the old .npz no longer needed
        if name.startswith("optimizer-epoch") and name != npz_name:
            os.unlink(os.path.join(folder, name))


def state_path(folder) -> str:
    return os.path.join(folder, STATE_FILE)


def exists(folder) -> bool:
    return os.path.exists(state_path(folder))


def read_state(folder, *, identity: dict) -> dict:
    """The saved ``state.json`` of ``folder``, checked: it parses, belongs to ``identity``, and its ``.npz``
    file is present with the recorded SHA-256.

    Raises :class:`CheckpointMismatchError` for a checkpoint of another identity, and
    :class:`CorruptCheckpointError` for one that cannot be read.
    """
    path = os.path.join(folder, STATE_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            found = state.get("format") if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"format {found!r}, expected {FORMAT!r}")
        missing = [
            k
            for k in ("identity", "epoch", "optimizer_file", "optimizer_sha256", "rng_state", "record")
            if k not in state
        ]
        if missing:
            raise KeyError(f"missing entries {missing}")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CorruptCheckpointError(
            f"checkpoint {path!r} cannot be read ({type(e).__name__}: {e})"
        ) from None
    if state.get("fingerprint") != fingerprint(identity) or state["identity"] != identity:
        saved = state["identity"] if isinstance(state["identity"], dict) else {}
        if {**saved, "code": None} == {**identity, "code": None}:
            was, now = saved.get("code") or {}, identity.get("code") or {}
            parts = {"rule": f"the source of rule {identity.get('rule')!r}", "training": "the code that trains it"}
            changed = [text for key, text in parts.items() if was.get(key) != now.get(key)] or ["its code"]
            raise StaleCodeError(f"checkpoint {folder!r} was written by other code: {' and '.join(changed)} "
                                 f"changed since ({describe_difference(was, now, 'code')})")
        raise CheckpointMismatchError(
            f"checkpoint {folder!r} was written by another configuration "
            f"({describe_difference(state['identity'], identity)}); "
            "run with --fresh to discard it, or choose another --out"
        )
    if not isinstance(state["epoch"], int) or state["epoch"] < 1:
        raise CorruptCheckpointError(f"checkpoint {path!r} has a bad epoch count {state['epoch']!r}")
    npz_path = os.path.join(folder, str(state["optimizer_file"]))
    if not os.path.exists(npz_path) or file_digest(npz_path) != state["optimizer_sha256"]:
        raise CorruptCheckpointError(
            f"optimizer file {npz_path!r} is missing or does not match the SHA-256 recorded in {path!r}"
        )
    return state


def load(folder, optimizer, *, identity: dict) -> dict:
    """Restore ``optimizer`` (and so the model's parameters) from ``folder``; return the saved state.

    The checks of :func:`read_state` come first, so a refused checkpoint touches nothing.
    """
    state = read_state(folder, identity=identity)
    try:
        optimizer.load(os.path.join(folder, state["optimizer_file"]))
    except (StateFileError, OSError) as e:
        raise CorruptCheckpointError(str(e)) from None
    return state


def describe_difference(saved, wanted, prefix="") -> str:
    """The first few keys where two identities differ, as ``key: saved → wanted``."""
    diffs = []

    def walk(a, b, at):
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key), b.get(key), f"{at}.{key}" if at else key)
        elif a != b:
            diffs.append(f"{at or 'identity'}: {a!r} (checkpoint) vs {b!r} (this run)")

    walk(saved, wanted, prefix)
    return (
        "; ".join(diffs[:4]) + (f" and {len(diffs) - 4} more" if len(diffs) > 4 else "")
        if diffs
        else "unknown"
    )


def remove(folder) -> None:
    """Delete a run's checkpoint files (for --fresh and for corrupt checkpoints); leaves foreign files
    alone."""
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        if (
            name == STATE_FILE
            or (name.startswith("optimizer-epoch") and name.endswith(".npz"))
            or name.startswith(TEMP_PREFIX)  # an atomic write's temporary file, left by a kill
        ):
            os.unlink(os.path.join(folder, name))
