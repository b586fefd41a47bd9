"""Which code and threads produced a committed number: recorded in results.json and learning_rates.json."""

from __future__ import annotations

import functools
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
