"""``identify``: it names every adapter's documented mapping without being told it, answers "none" for wrong step
functions with a sensible nearest variant and line, and says where a library is missing."""

import numpy as np
import pytest
import wrong_steps

from nadam_ref import rules
from nadam_ref.cli import main
from nadam_ref.crosscheck import harness
from nadam_ref.crosscheck.identify import identify, likely_rules, resolve
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
        assert any(m.rule == case.rule and m.variant == documented for m in result.matches), str(result)
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
    nearest = result.nearest[0]
    assert (nearest.label(), nearest.symbol) == (variant, symbol), str(result)
    assert nearest.step == 1 and nearest.line == dict(rules.get(nearest.rule).BOX)[symbol]
    assert "none reproduces it" in str(result) and f"line {symbol!r}" in str(result)


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
