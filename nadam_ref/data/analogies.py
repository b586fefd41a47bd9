r"""The word2vec analogy questions (``questions-words.txt``) and the paper's analogy metric.

Each question "a is to b as c is to d" (``Athens Greece Baghdad Iraq``) asks that :math:`b - a + c` point
towards :math:`d`. The paper (§4.1) reports "the average cosine difference"

.. math:: \frac{1}{|Q|} \sum_{(a,b,c,d)\in Q} \frac{1 - \cos(b - a + c,\; d)}{2}

which is 0 for perfect analogies, 1/2 for unrelated vectors and 1 for opposite ones. :math:`Q` is the set of
questions whose four words are all in the vocabulary; its share of all questions (the coverage) is reported
with it. As in TensorFlow's word2vec analogy evaluation, the embeddings are normalised to unit length first.
"""

from __future__ import annotations

import numpy

from ..backend import to_host
from ._files import SHIPPED, DataError, read_utf8
from .text import partners_in_a_cycle

SHIPPED_ANALOGIES = SHIPPED / "analogies" / "questions-words.txt"


def load_analogies(path=None) -> list[tuple[str, tuple[str, str, str, str]]]:
    """``[(section, (a, b, c, d)), ...]``, lower-cased, from ``path`` (default: the shipped file)."""
    path = SHIPPED_ANALOGIES if path is None else path
    questions, section = [], None
    for number, line in enumerate(read_utf8(path, "word2vec analogy questions").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith(":"):
            section = line[1:].strip()
            continue
        words = line.lower().split()
        if len(words) != 4 or section is None:
            raise DataError(f"{path}:{number}: expected four words after a ': section' line, got {line!r}")
        questions.append((section, tuple(words)))
    if not questions:
        raise DataError(f"{path}: no analogy questions found")
    return questions


def analogy_metric(embeddings, vocab, questions) -> dict:
    """The paper's metric over the questions the vocabulary covers.

    Returns ``{"metric": mean (1 - cos)/2, "coverage": used / total, "used": ..., "total": ...}``; the metric
    is NaN when no question is covered.
    """
    E = to_host(embeddings).astype(numpy.float64)
    covered = [q for _, q in questions if all(w in vocab.index for w in q)]
    result = {"coverage": len(covered) / len(questions), "used": len(covered), "total": len(questions)}
    if not covered:
        return {"metric": float("nan"), **result}
    ids = numpy.array([[vocab.index[w] for w in q] for q in covered])
    unit = E / numpy.maximum(numpy.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    a, b, c, d = (unit[ids[:, i]] for i in range(4))
    target = b - a + c
    cos = (target * d).sum(axis=1) / numpy.maximum(numpy.linalg.norm(target, axis=1), 1e-12)
    return {"metric": float(((1.0 - cos) / 2.0).mean()), **result}


def analogy_report(embeddings, vocab, questions, shuffle_seed: int = 2016, chunk: int = 1024) -> dict:
    """What the metric means: :func:`analogy_metric` plus a baseline and an accuracy, on the same vectors.

    * ``shuffled`` — the metric with each covered question's answer :math:`d` swapped for another covered
      question's (a fixed derangement drawn from ``shuffle_seed``): what vectors score that know nothing of
      the analogies. A metric no lower than this measures nothing about analogies;
    * ``top1`` — the share of covered questions whose nearest word to :math:`b - a + c` by cosine, excluding
      :math:`a, b, c` (as TensorFlow's word2vec evaluation does), is :math:`d`.
    """
    base = analogy_metric(embeddings, vocab, questions)
    if base["used"] == 0:
        return {**base, "shuffled": float("nan"), "top1": float("nan")}
    E = to_host(embeddings).astype(numpy.float64)
    unit = E / numpy.maximum(numpy.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    ids = numpy.array([[vocab.index[w] for w in q] for _, q in questions if all(w in vocab.index for w in q)])
    target = unit[ids[:, 1]] - unit[ids[:, 0]] + unit[ids[:, 2]]
    target /= numpy.maximum(numpy.linalg.norm(target, axis=1, keepdims=True), 1e-12)
    shuffled = float("nan")
    if len(ids) > 1:
        other = partners_in_a_cycle(ids[:, 3], shuffle_seed)  # each question gets another one's answer
        shuffled = float(((1.0 - (target * unit[other]).sum(axis=1)) / 2.0).mean())
    hits = 0
    for start in range(0, len(ids), chunk):
        scores = target[start:start + chunk] @ unit.T
        rows = numpy.arange(len(scores))
        for col in range(3):
            scores[rows, ids[start:start + chunk, col]] = -numpy.inf
        hits += int((scores.argmax(axis=1) == ids[start:start + chunk, 3]).sum())
    return {**base, "shuffled": shuffled, "top1": hits / len(ids)}
