"""The variants every fused test runs: the one declaration's ``rules.variants(name)`` once it exists (issue 11), and
until then the options the rule modules already read, one at a time, each beside the paper's defaults."""

from __future__ import annotations

from nadam_ref import rules


def halving(t):
    """A callable schedule: μ_t = 0.9 − 0.4·2^{−t}."""
    return 0.9 - 0.4 * 0.5**t


def variants(rule: str) -> list[dict]:
    if hasattr(rules, "variants"):
        return rules.variants(rule)
    module = rules.get(rule)
    reads = module.HPARAMS
    out = [{}]
    if "schedule" in reads:
        out += [{"schedule": s} for s in ("constant", "keras", halving)]
    if "eps_placement" in reads:
        out += [{"eps_placement": p} for p in getattr(module, "EPS_PLACEMENTS", ("inside", "outside"))[1:]]
    if "eps_root" in reads:
        out += [{"eps_root": 1e-8}, {"eps_root": 1e-8, "eps_placement": "outside"}]
    if "n0" in reads:
        out += [{"n0": 0.1}, {"n0": 0.1, "eps_placement": "outside"}]
    if "bias_correction" in reads:
        out += [{"bias_correction": True}, {"bias_correction": True, "eps_placement": "outside"}]
    return out


def cases(rules_=None) -> list[tuple[str, dict]]:
    """(rule, hyper-parameters) for every rule and every variant."""
    from nadam_ref import RULES

    return [(rule, hp) for rule in (rules_ or RULES) for hp in variants(rule)]


def case_id(case) -> str:
    rule, hp = case
    return rule + "".join(f"-{k}={getattr(v, '__name__', v)}" for k, v in hp.items())
