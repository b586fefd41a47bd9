"""Speed and memory of the update step against torch.optim and the machine's memory bandwidth.

``nadam-ref bench`` (or ``make bench``) runs :mod:`nadam_ref.bench.runner` and writes
``benchmarks/results/update_step_<device>.json`` and ``.md``; ``benchmarks/README.md`` says how to read them.
"""
