"""Cross-checking other implementations against the paper: torch, optax, keras 3, or your own code.

* :func:`crosscheck` runs every mapped library call next to the nadam_ref variant it computes
  (``nadam-ref crosscheck``);
* :func:`compare` checks your own step function and names the first step and box line where it parts;
* :mod:`.vectors` writes and reads the golden vectors (``nadam-ref vectors``), for checking code in any language.

The peers are optional (``pip install -e '.[crosscheck]'``); they are imported only when a check runs.
"""

from .compare import Comparison, compare
from .harness import LIBRARIES, TOLERANCE, Report, Row, UnknownLibraryError, crosscheck
from .problems import PROBLEMS

__all__ = ["compare", "Comparison", "crosscheck", "Report", "Row", "LIBRARIES", "TOLERANCE", "PROBLEMS",
           "UnknownLibraryError"]
