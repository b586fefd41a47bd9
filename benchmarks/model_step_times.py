"""Step time (forward + backward) of the paper-size CNN and LSTM LM: nadam_ref (NumPy) against torch on CPU.

    python benchmarks/model_step_times.py [--threads 1 2] [--repeats 15] [--json out.json]

Both sides run in the same process, interleaved (ours, torch, ours, torch, ...), on the same weights and the
same batch, float32; each thread count runs in a fresh process, because the BLAS thread count is fixed when
NumPy loads. Reported: the median of ``--repeats`` timed steps after two warm-up steps, and the ratio
ours / torch (above 1: we are slower). The torch side is the ordinary torch way (``F.conv2d``,
``torch.nn.LSTM``, autograd): see ``nadam_ref/models/torch_twins.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--models", nargs="+", default=["cnn", "lstm_lm"])
    p.add_argument("--json", default=None, help="also write the results here")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def step_functions(name):
    """(ours, theirs): two zero-argument functions that each run one forward + backward step."""
    import numpy
    import torch

    from nadam_ref import models
    from nadam_ref.models import torch_twins

    model = models.build(name, "paper", seed=0, dtype="float32")
    batch = model.example_batch(numpy.random.default_rng(0))
    if name == "cnn":
        twin = torch_twins.TorchCNN(model)
        inputs = torch_twins.cnn_inputs(batch)
    else:
        twin = torch_twins.TorchLSTMLM(model)
        state = tuple(torch.tensor(batch[k]) for k in ("h0", "c0"))
        inputs = (torch.tensor(batch["x"]), torch.tensor(batch["y"]), state)

    def ours():
        model.loss_and_grads(batch)

    def theirs():
        twin.zero_grad(set_to_none=True)
        twin(*inputs).backward()

    return ours, theirs


def child(args) -> None:
    import torch

    threads = int(os.environ["OMP_NUM_THREADS"])
    torch.set_num_threads(threads)
    rows = []
    for name in args.models:
        ours, theirs = step_functions(name)
        times = {"nadam_ref": [], "torch": []}
        for _ in range(2):
            ours()
            theirs()
        for _ in range(args.repeats):
            for side, fn in (("nadam_ref", ours), ("torch", theirs)):
                start = time.perf_counter()
                fn()
                times[side].append(time.perf_counter() - start)
        ms = {side: 1e3 * median(t) for side, t in times.items()}
        rows.append({"model": name, "threads": threads, "nadam_ref_ms": ms["nadam_ref"],
                     "torch_ms": ms["torch"], "ratio": ms["nadam_ref"] / ms["torch"],
                     "repeats": args.repeats})
    print(json.dumps(rows))


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        child(args)
        return 0
    results = []
    for threads in args.threads:
        env = dict(os.environ, **{v: str(threads) for v in THREAD_VARS})
        cmd = [sys.executable, __file__, "--child", "--repeats", str(args.repeats), "--models", *args.models]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        results += json.loads(out.strip().splitlines()[-1])
    print(f"{'model':<8} {'threads':>7} {'nadam_ref ms':>13} {'torch ms':>9} {'ratio':>6}")
    for r in results:
        print(f"{r['model']:<8} {r['threads']:>7} {r['nadam_ref_ms']:>13.1f} {r['torch_ms']:>9.1f} "
              f"{r['ratio']:>6.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
