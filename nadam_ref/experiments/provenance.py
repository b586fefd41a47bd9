"""Which code and threads produced a committed number: recorded in results.json and learning_rates.json; and
the digests of the source a run depends on, part of its checkpoint's identity (:func:`code_digests`)."""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess


@functools.lru_cache(maxsize=1)
def _provenance() -> dict:
    """The code and threads that produce a result: the git commit of the package's checkout (None outside
    one; ``git_dirty`` when it has uncommitted changes) and the thread-count variables of the BLAS/OpenMP
    libraries, as set (None: the library's default)."""
    here = os.path.dirname(os.path.abspath(__file__))

    def git(*args):
        try:
            done = subprocess.run(["git", *args], cwd=here, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    threads = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"git_commit": git("rev-parse", "HEAD"), "git_dirty": bool(status) if status is not None else None,
            "threads": threads}


def provenance() -> dict:
    """:func:`_provenance` as first read in this process (reproduce reads it when it starts), so a commit made
    while a long run goes on is not credited with its numbers."""
    return dict(_provenance())


# --- what a checkpoint may be reused for ------------------------------------------------------------------------

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The source that computes a run's numbers besides its rule's own module: the rules' shared code, the schedule,
#: the optimizer, the backend, the models and their layers, the data loaders and the training loop. Folders stand
#: for every ``.py`` file in them.
TRAINING_SOURCES = ("rules/_common.py", "schedules.py", "optimizer.py", "backend.py", "models", "nn", "data",
                    "experiments/tasks.py", "experiments/runner.py")
#: Added when the run uses the fused kernels (``impl="fused"``).
FUSED_SOURCES = ("fused",)


def source_digest(paths) -> str:
    """SHA-256 (first 16 hex digits) of the text of ``paths`` (files, or folders for their ``.py`` files), relative
    to the package, in sorted order. Any edit counts, a comment included: the digest cannot tell a comment from
    code, and retraining a run is cheaper than trusting old numbers from changed code."""
    files = []
    for rel in paths:
        full = os.path.join(_PACKAGE, rel)
        if os.path.isdir(full):
            files += [os.path.join(rel, n) for n in sorted(os.listdir(full)) if n.endswith(".py")]
        else:
            files.append(rel)
    digest = hashlib.sha256()
    for rel in sorted(files):
        with open(os.path.join(_PACKAGE, rel), "rb") as f:
            digest.update(rel.encode() + b"\0" + f.read() + b"\0")
    return digest.hexdigest()[:16]


def rule_source(rule: str) -> str:
    """The file of ``rule``'s module, relative to the package (``rules/nadam.py``)."""
    from .. import rules

    return os.path.relpath(os.path.abspath(rules.get(rule).__file__), _PACKAGE)


def code_digests(rule: str, impl: str = "reference") -> dict:
    """The code a run of ``rule`` depends on, as digests (:func:`source_digest`): ``rule`` of its module, ``training``
    of everything else that computes its numbers (:data:`TRAINING_SOURCES`, plus :data:`FUSED_SOURCES` for
    ``impl="fused"``). Part of a run's identity, so that a checkpoint written by other code is trained again."""
    training = TRAINING_SOURCES + (FUSED_SOURCES if impl == "fused" else ())
    return {"rule": source_digest([rule_source(rule)]), "training": source_digest(training)}
