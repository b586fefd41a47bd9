"""The paper's three experiments (MNIST CNN, LSTM language model, word2vec), resumable, with the paper's tables
beside the results; see README.md in this folder.

* :func:`.reproduce.reproduce` — every experiment × rule × seed at one scale, into an output folder;
* :func:`.configs.check_request` — its checks of experiment, scale, rules and seeds, before any work;
* :class:`CheckpointMismatchError` — an output folder whose checkpoints another configuration wrote;
* :class:`CorruptCheckpointError` — a checkpoint that cannot be read back (the run starts again by itself).
"""

from .checkpoint import CheckpointMismatchError, CorruptCheckpointError

__all__ = ["CheckpointMismatchError", "CorruptCheckpointError"]
