"""Does each model at ``class`` size learn with Adam in a short run on the shipped data, and how fast?

    python benchmarks/learning_at_class_size.py [--steps-scale 1.0] [--threads 2] [--json out.json]

Prints, per model: the number before training, after training, the reference it must beat, and the wall time.

* cnn: test accuracy on the shipped MNIST split (1,000 images; chance is 10%);
* lstm_lm: validation perplexity on Tiny Shakespeare against the unigram perplexity of the same split
  under the training-split word frequencies;
* word2vec: the paper's analogy metric (mean (1 - cos)/2, lower is better) before and after, with its
  coverage, and after training also on the same questions with their answers shuffled (see
  :func:`shuffled_answers`: the metric also falls when all vectors merely come to share a direction).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps-scale", type=float, default=1.0, help="multiply every run's number of steps")
    p.add_argument("--threads", type=int, default=2, help="BLAS threads (set before NumPy is imported)")
    p.add_argument("--json", default=None, help="also write the results here")
    p.add_argument("--only", nargs="*", default=["cnn", "lstm_lm", "word2vec"])
    return p.parse_args(argv)


def adam_on_random_batches(model, inputs, targets, steps, lr, seed):
    """``steps`` Adam steps, each on a batch drawn with replacement from the pairs (inputs[i], targets[i])."""
    import numpy as np

    from nadam_ref import Optimizer

    opt = Optimizer("adam", model.params, lr=lr)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        idx = rng.integers(0, len(targets), model.config["batch"])
        _, grads = model.loss_and_grads(model.make_batch(inputs[idx], targets[idx], rng))
        opt.step(grads)


def train_cnn(steps, seed=0):

    from nadam_ref import data, models

    splits = data.load_mnist()
    (x, y), (x_test, y_test) = splits["train"], splits["test"]
    model = models.build("cnn", "class", seed=seed)
    before = model.evaluate(x_test, y_test)["accuracy"]
    adam_on_random_batches(model, x, y, steps, lr=1e-3, seed=seed)
    after = model.evaluate(x_test, y_test)
    return {"model": "cnn", "metric": "test accuracy", "before": before, "after": after["accuracy"],
            "reference": 0.1, "reference_name": "chance", "steps": steps, "train_images": len(y)}


def perplexity(model, x_batches, y_batches):
    import numpy as np

    state, total, words = None, 0.0, 0
    for xb, yb in zip(x_batches, y_batches, strict=True):
        r = model.evaluate(xb, yb, state)
        state, total, words = r["state"], total + r["loss"] * r["words"], words + r["words"]
    return float(np.exp(total / words))


def train_lstm_lm(steps, seed=0):
    import numpy as np

    from nadam_ref import Optimizer, data, models

    corpus = data.load_corpus("tinyshakespeare", vocab_size=3000)
    model = models.build("lstm_lm", "class", seed=seed, vocab=len(corpus.vocab))
    B, T = model.config["batch"], model.config["steps"]
    x, y = data.lm_batches(corpus.train, B, T)
    xv, yv = data.lm_batches(corpus.valid, B, T)
    p = corpus.vocab.counts / corpus.vocab.counts.sum()
    unigram = float(np.exp(-np.log(p[corpus.valid]).mean()))
    before = perplexity(model, xv, yv)
    opt = Optimizer("adam", model.params, lr=1e-2)
    state = None
    for step in range(steps):
        i = step % len(x)
        if i == 0:
            state = None  # a new epoch starts the rows from the beginning
        _, grads = model.loss_and_grads(model.make_batch(x[i], y[i], state))
        state = model.last_state
        opt.step(grads)
    after = perplexity(model, xv, yv)
    return {"model": "lstm_lm", "metric": "valid perplexity", "before": before, "after": after,
            "reference": unigram, "reference_name": "unigram perplexity", "steps": steps,
            "epochs": steps / len(x), "vocab": len(corpus.vocab)}


def shuffled_answers(questions, vocab, seed=1):
    """The covered questions with their answers d permuted among them: a baseline that has the embeddings'
    overall geometry but no analogies, for telling learned analogies from vectors that merely align."""
    import numpy as np

    covered = [q for _, q in questions if all(w in vocab.index for w in q)]
    answers = np.random.default_rng(seed).permutation([q[3] for q in covered])
    return [("shuffled", (a, b, c, str(d))) for (a, b, c, _), d in zip(covered, answers, strict=True)]


def train_word2vec(steps, seed=0):
    from nadam_ref import data, models

    corpus = data.load_corpus("tinyshakespeare", vocab_size=3000)
    questions = data.load_analogies()
    model = models.build("word2vec", "class", seed=seed, vocab=len(corpus.vocab), counts=corpus.vocab.counts)
    centre, context = data.skipgram_pairs(corpus.train, window=1)
    before = data.analogy_metric(model.embeddings(), corpus.vocab, questions)
    adam_on_random_batches(model, centre, context, steps, lr=3e-3, seed=seed)
    after = data.analogy_metric(model.embeddings(), corpus.vocab, questions)
    baseline = shuffled_answers(questions, corpus.vocab)
    shuffled = data.analogy_metric(model.embeddings(), corpus.vocab, baseline)
    return {"model": "word2vec", "metric": "analogy (1-cos)/2", "before": before["metric"],
            "after": after["metric"], "reference": before["metric"], "reference_name": "initial embeddings",
            "after_shuffled_answers": shuffled["metric"], "coverage": after["coverage"],
            "questions": after["used"], "steps": steps, "epochs": steps * model.config["batch"] / len(centre)}


RUNS = {"cnn": (train_cnn, 300), "lstm_lm": (train_lstm_lm, 600), "word2vec": (train_word2vec, 4000)}


def main(argv=None) -> int:
    args = parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    results = []
    for name in args.only:
        fn, steps = RUNS[name]
        start = time.perf_counter()
        r = fn(max(1, math.ceil(steps * args.steps_scale)))
        r["seconds"] = time.perf_counter() - start
        results.append(r)
        keys = ("epochs", "coverage", "questions", "after_shuffled_answers", "vocab", "train_images")
        extra = {k: r[k] for k in keys if k in r}
        print(f"{name:<9} {r['metric']:<18} before {r['before']:.4f}  after {r['after']:.4f}  "
              f"({r['reference_name']}: {r['reference']:.4f})  {r['steps']} steps, {r['seconds']:.1f} s  "
              f"{extra}",
              flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
