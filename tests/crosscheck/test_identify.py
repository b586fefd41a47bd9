"""``identify``: it names every adapter's documented mapping without being told it, answers "none" for wrong step
functions with a sensible nearest variant and line, and says where a library is missing."""

import sys
import warnings

import numpy as np
import pytest
import wrong_steps

from nadam_ref import rules
from nadam_ref.cli import main
from nadam_ref.crosscheck import harness
from nadam_ref.crosscheck.identify import SEARCHED_RULES, given_hparams, identify, likely_rules, resolve
from nadam_ref.crosscheck.transcribed import TRANSCRIPTIONS

CASES = [(library, case) for library, adapter in harness.ADAPTERS.items() for case in adapter.CASES]
PAPER = {"mu": 0.99, "nu": 0.999, "eps": 1e-8}


def _usable(library):
    try:
        harness.ADAPTERS[library].load()
    except Exception as e:  # noqa: BLE001 - any import failure means: cannot run here
        pytest.skip(f"{library} is not usable here ({e})")


@pytest.mark.parametrize("library, case", CASES, ids=[f"{lib}: {case.call[:45]}" for lib, case in CASES])
def test_identify_names_the_documented_mapping_of_every_adapter(library, case):
    _usable(library)
    result = identify(case)
    if case.variant is not None:
        documented = {**rules.spec(case.rule).defaults(), **case.variant}
        assert result, str(result)
        spellings = [spelling for m in result.matches for spelling in (m, *m.same)]
        assert any(m.rule == case.rule and m.variant == documented for m in spellings), str(result)
    else:  # no exact mapping: none, and no variant nearer than the cross-check's closest
        row = harness.run_case(case, "float64", result.steps, result.problems)
        assert not result, str(result)
        nearest = result.nearest[0]
        assert nearest.distance <= row.max_rel * (1 + 1e-9), (str(result), row.closest, row.max_rel)
        assert nearest.step is not None and nearest.line


@pytest.mark.parametrize("name", sorted(wrong_steps.EXPECTED))
def test_identify_answers_none_for_a_wrong_step_function_and_names_the_slip(name):
    variant, symbol, lr = wrong_steps.EXPECTED[name]
    result = identify(getattr(wrong_steps, name), hparams={**PAPER, "lr": lr})
    assert not result
    longest = result.longest
    assert (longest.label(), longest.symbol) == (variant, symbol), str(result)
    assert longest.step == 1 and longest.line == dict(rules.get(longest.rule).BOX)[symbol]
    assert "none reproduces it" in str(result) and f"line {symbol!r}" in str(result)
    assert [m.distance for m in result.nearest] == sorted(m.distance for m in result.nearest)
    assert result.nearest[0].distance <= longest.distance


def test_the_right_step_function_is_found_and_its_twin_is_not():
    def nadam_right(theta, g, state):  # the wrong module's Nadam with the slip undone
        return wrong_steps._nadam(theta, g, state, mu_in_m_bar=lambda t: wrong_steps.warming(t + 1))

    result = identify(nadam_right, hparams={**PAPER, "lr": 2e-3})
    assert [m.label() for m in result.matches] == ["nadam()"]
    assert result.seconds < 30  # measured ≈1 s for the nadam family; the bound only catches a runaway search


@pytest.mark.parametrize("transcription", TRANSCRIPTIONS, ids=lambda t: t.library)
def test_transcriptions_map_to_their_documented_variants(transcription):
    hp = {"lr": 2e-3, **PAPER}
    result = identify(transcription.make(**hp), hparams=hp, rule_names=["nadam"])
    labels = [m.label() for m in result.matches]
    expected = {"Dozat's own TensorFlow code": "nadam(schedule='constant')",
                "TensorFlow 1 contrib": "nadam(schedule='constant', eps_placement='hat', m_hat_correction='current')"}
    assert expected[transcription.library] in labels, str(result)


def test_the_whole_space_and_the_likely_rules():
    assert likely_rules("torch.optim.NAdam") == ("nadam", "nadamax")
    assert likely_rules("timm SGDW(lr=η, momentum=μ, nesterov=True)") == ("gd", "momentum", "nag")
    assert "adagrad" in likely_rules("my_step") and "nag_lookahead" not in likely_rules("my_step")
    result = identify(wrong_steps.momentum_dampened, rule_names="all")
    assert len({m.rule for m in result._all}) == len(rules.RULES) - 1


def test_bad_targets_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="expected package.module:Name"):
        resolve("nadam")
    with pytest.raises(ValueError, match="has no attribute 'Nadamm'"):
        resolve("nadam_ref.crosscheck:Nadamm")
    with pytest.raises(ValueError, match="takes no kwargs"):
        identify(wrong_steps.momentum_dampened, {"lr": 0.1})
    with pytest.raises(ValueError, match="diverged on every problem"):
        identify(lambda theta, g, state: (theta * 10.0 ** 300, state), rule_names=["gd"])


def test_cli_identify_torch_nadam_and_a_wrong_function(capsys):
    _usable("torch")
    assert main(["identify", "--torch", "torch.optim:NAdam"]) == 0
    out = capsys.readouterr().out
    assert "nadam(eps_placement='outside')" in out and "reproduced by" in out
    assert main(["identify", "--step", "wrong_steps:nadam_with_mu_t_in_m_bar", "--hparams", '{"mu": 0.99}']) == 1
    out = capsys.readouterr().out
    assert "none reproduces it within 1e-12" in out and "line 'm_bar'" in out
    assert main(["identify", "--step", "wrong_steps:nadam_undamped_m", "--kwargs", "[1]"]) == 2
    assert "expected a JSON object" in capsys.readouterr().err


@pytest.mark.parametrize("library", ["tf_keras", "timm", "pytorch_optimizer", "paddle", "mxnet"])
def test_a_missing_peer_is_skipped_with_how_to_install_it_and_fails_when_named(monkeypatch, library):
    monkeypatch.setattr(harness, "installed_version", lambda name: None)
    quiet = harness.crosscheck([library], steps=2, explicit=False)
    assert not quiet.ok and quiet.compared == 0 and "not installed" in quiet.skipped[library]
    assert ("peers" in quiet.skipped[library]) != (library == "mxnet")
    assert not harness.crosscheck([library], steps=2, explicit=True).ok


def test_float32_hparams_round_both_sides():
    from nadam_ref.crosscheck._adapter import float32_rounded
    rounded = float32_rounded({"lr": 0.01, "mu": 0.99, "schedule": "paper"})
    assert rounded["mu"] == float(np.float32(0.99)) != 0.99 and rounded["schedule"] == "paper"


# Honest functions nobody here transcribed: each reimplemented from its library's formula, to see that identify
# ranks, groups, searches and reads numbers as it says (issue 20).

def nadam_theta_only(theta, g, state):
    """Optimisers.jl's NAdam form: constant μ, ε outside √(n β₂/(1 − β₂ᵗ)); it reports θ only."""
    lr, mu, nu, eps = 2e-3, 0.99, 0.999, 1e-8
    t = state.get("t", 0) + 1
    m = mu * state.get("m", 0.0) + (1 - mu) * g
    n = nu * state.get("n", 0.0) + (1 - nu) * g * g
    m_bar = mu * m / (1 - mu ** (t + 1)) + (1 - mu) * g / (1 - mu**t)
    return theta - lr * m_bar / (np.sqrt(n * nu / (1 - nu**t)) + eps), {"t": t, "m": m, "n": n}


def adamax_at_eps_0(theta, g, state):
    """DL4J's AdaMax form, u = max(β₂ u, |g|), θ ← θ − η/(1 − β₁ᵗ) m/(u + ε), at ε = 0."""
    lr, mu, nu = 2e-3, 0.99, 0.999
    t = state.get("t", 0) + 1
    m = mu * state.get("m", 0.0) + (1 - mu) * g
    u = np.maximum(nu * state.get("u", 0.0), np.abs(g))
    return theta - lr / (1 - mu**t) * m / u, {"t": t, "m": m, "u": u}


def _rmsprop_outside(theta, g, state):
    n = 0.999 * state.get("n", 0.0) + 0.001 * g * g
    return theta - 1e-3 * g / (np.sqrt(n) + 1e-8), {"n": n}


NUMBERS = {"lr": 2e-3, **PAPER}


@pytest.mark.parametrize("steps", [20, 60])
def test_the_nearest_is_the_nearest_by_distance_and_the_gap_is_said_in_words(steps):
    result = identify(nadam_theta_only, hparams=NUMBERS, steps=steps)
    assert not result
    distances = [m.distance for m in result.nearest]
    assert distances == sorted(distances) and len(distances) == 3
    assert min(m.distance for m in result._all if not m.float32_hparams) == distances[0]
    best = result.nearest[0]
    assert best.label() == "nadam(schedule='constant', eps_placement='outside')", str(result)
    assert "with η and ε scaled by 1/√ν" in best.explained and "reproduces it" in best.explained, str(result)
    assert "η and ε scaled by 1/√ν" in str(result)


def test_variants_with_the_same_numbers_are_one_answer_with_its_spellings():
    result = identify(adamax_at_eps_0, hparams={**NUMBERS, "eps": 0.0})
    assert len(result.matches) == 1, str(result)
    answer = result.matches[0]
    spellings = {m.label() for m in (answer, *answer.same)}
    assert len(spellings) == 1 + len(answer.same) >= 2
    assert {"adamax(schedule='constant')", "adamax(schedule='constant', eps_placement='max')"} <= spellings
    assert "the same numbers: " in str(result)


def test_the_search_says_which_rules_and_goes_on_to_all_before_answering_none(tmp_path, monkeypatch):
    (tmp_path / "adam_experiments.py").write_text(
        "import numpy as np\n\n\ndef rmsprop_step(theta, g, state):\n"
        "    n = 0.999 * state.get('n', 0.0) + 0.001 * g * g\n"
        "    return theta - 1e-3 * g / (np.sqrt(n) + 1e-8), {'n': n}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    hp = {"lr": 1e-3, "nu": 0.999, "eps": 1e-8}
    assert likely_rules("adam_experiments:rmsprop_step") == ("rmsprop",)  # its own name before its module's
    result = identify("adam_experiments:rmsprop_step", hparams=hp)
    assert [m.label() for m in result.matches] == ["rmsprop(eps_placement='outside')"], str(result)
    assert result.rules == ["rmsprop"] and "rules searched: rmsprop (its name says 'rmsprop')" in str(result)

    def adam_like_step(theta, g, state):  # a name that points to the wrong rules
        return _rmsprop_outside(theta, g, state)

    result = identify(adam_like_step, hparams=hp)
    assert [m.label() for m in result.matches] == ["rmsprop(eps_placement='outside')"], str(result)
    assert result.widened and "rmsprop" in result.widened and set(result.rules) == set(SEARCHED_RULES)
    assert "(its name says 'adam'); none of them reproduced it, so also" in str(result)
    asked = identify(adam_like_step, hparams=hp, rule_names=["adam"])
    assert not asked and asked.rules == ["adam"] and not asked.widened and "(as asked)" in str(asked)


def test_hparams_take_the_libraries_names_and_refuse_any_other_key():
    spelled = identify(nadam_theta_only, hparams={"learning_rate": 2e-3, "beta1": 0.99, "beta_2": 0.999,
                                                  "epsilon": 1e-8}, rule_names=["nadam"])
    paired = identify(nadam_theta_only, hparams={"lr": 2e-3, "betas": [0.99, 0.999], "eps": 1e-8},
                      rule_names=["nadam"])
    assert spelled.hparams == paired.hparams == NUMBERS
    assert given_hparams({"b1": 0.9, "b2": 0.99, "momentum": 0.9}) == {"mu": 0.9, "nu": 0.99}
    with pytest.raises(ValueError, match=r"unknown key 'beta'; accepted: lr, mu, nu, eps, .*learning_rate, .*beta1"):
        identify(nadam_theta_only, hparams={"lr": 2e-3, "beta": 0.9})
    with pytest.raises(ValueError, match=r"hparams\['lr'\] = '0.002'; expected a finite number \(a string"):
        identify(nadam_theta_only, hparams={"lr": "0.002"})
    with pytest.raises(ValueError, match=r"hparams give mu twice: beta1=0.9 and mu=0.99"):
        given_hparams({"beta1": 0.9, "mu": 0.99})
    with pytest.raises(ValueError, match=r"hparams\['betas'\] = 0.9: expected a pair"):
        given_hparams({"betas": 0.9})


def warns_each_call(theta, g, state):
    """η twice what it is told (so nothing matches), and log(0) at every call."""
    np.log(np.zeros(1))
    return theta - 0.02 * g, state, {}


def test_the_targets_warnings_are_listed_once_each_and_ours_are_not_raised():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = identify(warns_each_call, hparams={"lr": 0.01})
        theirs = identify(lambda theta, g, state: (theta - 0.01 * g, state), hparams={"lr": 0.01},
                          rule_names=["gd"])  # its iterates overflow our Rosenbrock gradient
    assert caught == [], [str(w.message) for w in caught]
    calls = result.steps * (len(result.problems) + len(result.dropped))  # it ran on every problem
    assert result.warnings == [f"RuntimeWarning at test_identify.py:{warns_each_call.__code__.co_firstlineno + 2}: "
                               f"divide by zero encountered in log ({calls} times)"], result.warnings
    assert str(result).count("divide by zero") == 1
    assert theirs.warnings == [] and "left out rosenbrock" in str(theirs)


def test_cli_identify_imports_a_module_from_the_current_directory(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_adamax.py").write_text(
        "import numpy as np\n\n\ndef step(theta, g, state):\n"
        "    t = state.get('t', 0) + 1\n"
        "    m = 0.99 * state.get('m', 0.0) + 0.01 * g\n"
        "    u = np.maximum(0.999 * state.get('u', 0.0), np.abs(g))\n"
        "    return theta - 2e-3 / (1 - 0.99**t) * m / u, {'t': t, 'm': m, 'u': u}\n")
    monkeypatch.chdir(tmp_path)
    path = list(sys.path)
    assert main(["identify", "--step", "my_adamax:step", "--hparams", '{"eps": 0}', "--rules", "adamax"]) == 0
    assert "reproduced by" in capsys.readouterr().out and sys.path == path
    assert main(["identify", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "imported from the current directory first, as python -m does" in text
    assert "per 1000 steps with --rules all" in text and "learning_rate, beta1" in text
    assert main(["identify", "--step", "my_adamax:step", "--hparams", '{"learning_rate": 2e-3, "beta": 1}']) == 2
    assert "unknown key 'beta'" in capsys.readouterr().err


def test_a_step_function_told_the_wrong_eta_is_named_with_the_scale_that_explains_it():
    def adam_in_place(theta, g, state):  # torch's Adam written in place, its own η = 1e-3
        t = state.get("t", 0) + 1
        m, n = state.setdefault("m", np.zeros_like(theta)), state.setdefault("n", np.zeros_like(theta))
        m *= 0.99
        m += 0.01 * g
        n *= 0.999
        n += 0.001 * g * g
        theta -= 1e-3 / (1 - 0.99**t) * m / (np.sqrt(n / (1 - 0.999**t)) + 1e-8)
        state["t"] = t
        return theta, state

    told = identify(adam_in_place, hparams={**PAPER, "lr": 2e-3})
    assert not told and told.rescaled is not None, str(told)
    assert told.rescaled.rule == "adam" and "with η scaled by 1/2 = 0.5: reproduces it" in told.rescaled.explained
    right = identify(adam_in_place, hparams={**PAPER, "lr": 1e-3})
    assert [m.label() for m in right.matches] == ["adam(schedule='constant', eps_placement='outside')"], str(right)


def _adam_step(amsgrad_on_n_hat: bool):
    """Adam with a constant μ and ε outside the root, written by hand; with ``amsgrad_on_n_hat`` it keeps the largest
    bias-corrected n̂ (optax's amsgrad)."""
    mu, nu, eps, lr = 0.9, 0.999, 1e-8, 1e-3

    def step(theta, g, state):
        t = state.get("t", 0) + 1
        m = mu * state.get("m", 0.0) + (1 - mu) * g
        n = nu * state.get("n", 0.0) + (1 - nu) * g * g
        n_hat = n / (1 - nu**t)
        if amsgrad_on_n_hat:
            n_hat = np.maximum(state.get("n_max", 0.0), n_hat)
        theta = theta - lr * (m / (1 - mu**t)) / (np.sqrt(n_hat) + eps)
        return theta, {"t": t, "m": m, "n": n, "n_max": n_hat}

    return step


def test_amsgrad_is_searched_only_when_nothing_at_its_default_reproduces():
    numbers = {"lr": 1e-3, "mu": 0.9, "nu": 0.999, "eps": 1e-8}
    plain = identify(_adam_step(False), hparams=numbers, rule_names=["adam"])
    assert plain and plain.later == []  # found at max_n's default: max_n's other values not searched...
    spellings = [m.variant for m in plain.matches for m in (m, *m.same)]
    assert {"schedule": "constant", "eps_placement": "outside", "m_decay": "scheduled", "max_n": "n"} in spellings
    # ... except the twins of the match, named where they compute the same numbers (n only grows on these problems)
    amsgrad = identify(_adam_step(True), hparams=numbers, rule_names=["adam"])
    assert amsgrad and amsgrad.later == ["adam max_n"] and "only after none at the default" in str(amsgrad)
    assert amsgrad.matches[0].variant["max_n"] == "n_hat"
    assert amsgrad.searched > plain.searched
    assert likely_rules("optax.amsgrad") == ("adam", "nadam")
