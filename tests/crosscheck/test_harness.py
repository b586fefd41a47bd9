import importlib.util
import subprocess
import sys

import numpy
import pytest

from nadam_ref import rules
from nadam_ref.crosscheck import harness, problems, torch_adapter
from nadam_ref.crosscheck._adapter import LibraryTooOldError, check_version, version_tuple


def test_every_mapped_library_call_agrees_in_float64(float64_report):
    mapped = [r for r in float64_report.rows if r.variant is not None]
    assert len(mapped) >= 22
    for row in mapped:
        assert row.status == "agree", (row.library, row.call, row.max_rel)
        assert row.max_rel <= harness.TOLERANCE["float64"]
    assert float64_report.ok


def test_every_library_rule_of_the_issue_is_covered(float64_report):
    covered = {(r.library, r.rule) for r in float64_report.rows}
    wanted = {"momentum", "nag", "rmsprop", "adagrad", "adam", "nadam", "adamax"}
    for library in ("torch", "optax", "keras", "tf_keras"):  # the others have no AdaGrad or RMSProp of their own
        if library in {lib for lib, _ in covered}:
            assert wanted <= {rule for lib, rule in covered if lib == library}


def test_the_unmapped_torch_product_reports_its_closest_variant(float64_report):
    row = next(r for r in float64_report.rows if r.variant is None)
    assert row.status == "unmapped" and not row.failed
    assert row.closest == {**rules.spec("nadam").defaults(), "eps_placement": "outside"}
    assert 1e-14 < row.max_rel < 1e-8  # float32 product: measurably off, but close


def test_distance_from_the_paper_is_reported_and_real(float64_report):
    by_call = {(r.library, r.rule, r.call): r for r in float64_report.rows}
    keras_nadam = next(r for k, r in by_call.items() if k[:2] == ("keras", "nadam"))
    assert keras_nadam.from_paper > 1e-4  # its schedule warms 250× faster
    keras_rmsprop = next(r for k, r in by_call.items() if k[:2] == ("keras", "rmsprop"))
    assert keras_rmsprop.from_paper <= 1e-12  # the paper's form


def test_a_wrong_mapping_is_reported_as_a_difference(torch_peer):
    case = next(c for c in torch_adapter.CASES if c.rule == "adam")
    wrong = type(case)(case.library, case.call, case.rule, {"schedule": "constant"}, case.formula, case.run)
    row = harness.run_case(wrong, "float64", 10, ["quadratic"])
    assert row.status == "DIFFER" and row.failed and row.max_rel > 1e-6


def test_float32_runs_agree_within_their_tolerance(torch_peer):
    report = harness.crosscheck(["torch"], steps=10, dtype="float32", rule_names=["adam", "nadam"])
    assert report.ok and report.dtype == "float32"
    # Adam, Adam(amsgrad=True), NAdam; the float32-product case is float64-only
    assert [r.status for r in report.rows] == ["agree", "agree", "agree"]
    assert all(1e-9 < r.max_rel <= harness.TOLERANCE["float32"] for r in report.rows if r.rule == "nadam")


def test_a_missing_library_is_skipped_and_fails_only_when_named(monkeypatch):
    monkeypatch.setattr(harness, "installed_version", lambda name: None)
    quiet = harness.crosscheck(["optax"], steps=2, explicit=False)
    assert "optax" in quiet.skipped and "not installed" in quiet.skipped["optax"]
    assert quiet.compared == 0 and not quiet.ok and quiet.summary().startswith("nothing compared")  # not a pass
    named = harness.crosscheck(["optax"], steps=2, explicit=True)
    assert not named.ok


def test_a_missing_library_beside_one_that_agrees_passes_unless_named(monkeypatch):
    real = harness.installed_version
    monkeypatch.setattr(harness, "installed_version", lambda name: None if name == "optax" else real(name))
    quiet = harness.crosscheck(["torch", "optax"], steps=2, rule_names=["adam"], explicit=False)
    assert quiet.compared >= 1 and quiet.ok, quiet.summary()
    assert quiet.summary().endswith("every one agrees; skipped: optax")


def test_every_library_skipped_is_nothing_compared_and_exit_status_1(monkeypatch, capsys):
    from nadam_ref.cli import main

    monkeypatch.setattr(harness, "installed_version", lambda name: None)
    assert main(["crosscheck", "--against", "torch,optax,keras", "--steps", "2"]) == 1
    assert "nothing compared" in capsys.readouterr().out


def test_a_too_old_version_names_the_version_and_the_mapping():
    case = next(c for c in torch_adapter.CASES if c.call.startswith("NAdam(lr"))
    with pytest.raises(LibraryTooOldError, match=r"torch 1\.9\.0 is too old for NAdam.*torch >= 1\.10"):
        check_version(case, "1.9.0")
    check_version(case, "2.13.0+cpu")
    assert version_tuple("2.13.0+cpu") == (2, 13, 0) and version_tuple("0.2.8rc1") == (0, 2, 8)


def test_too_old_rows_are_skipped_with_the_reason(monkeypatch, torch_peer):
    monkeypatch.setattr(harness, "installed_version", lambda name: "1.9.0")
    report = harness.crosscheck(["torch"], steps=2, rule_names=["nadam"], explicit=True)
    assert [r.status for r in report.rows] == ["skipped", "skipped"]
    assert "1.9.0 is too old" in report.rows[0].reason and not report.ok


@pytest.mark.parametrize("text", ["tensorflow", "torch,jaxx", ""])
def test_unknown_library_names_are_refused(text):
    with pytest.raises(harness.UnknownLibraryError, match="expected some of torch, optax, keras"):
        harness.parse_libraries(text)


def test_parse_libraries_knows_explicit_from_all():
    assert harness.parse_libraries("all") == (list(harness.LIBRARIES), False)
    assert harness.parse_libraries("keras, torch") == (["keras", "torch"], True)


def test_unknown_rule_and_bad_arguments_are_refused():
    with pytest.raises(rules.UnknownRuleError, match="unknown rule 'nadamw'"):
        harness.crosscheck(["torch"], rule_names=["nadamw"])
    with pytest.raises(ValueError, match="dtype='float16'"):
        harness.crosscheck(["torch"], dtype="float16")
    with pytest.raises(ValueError, match="steps=0"):
        harness.crosscheck(["torch"], steps=0)


def test_a_gradient_of_the_wrong_shape_is_refused(torch_peer):
    case = next(c for c in torch_adapter.CASES if c.rule == "adam")
    hp = dict(harness.PAPER_HPARAMS, lr=1e-3)
    with pytest.raises(ValueError, match=r"returned \(2,\); expected an array of shape \(3,\)"):
        case.run(lambda theta: theta[:2], numpy.ones(3), 3, hp, "float64")
    with pytest.raises(ValueError, match="expected an array of shape"):
        case.run(lambda theta: [0.0, 0.0, 0.0], numpy.ones(3), 3, hp, "float64")


def test_distance_is_normwise_relative_and_flags_non_finite():
    a = numpy.array([[1.0, 2.0], [2.0, 4.0]])
    assert harness.distance(a, a) == 0.0
    assert harness.distance(a, a + [[0.0, 0.0], [0.0, 0.4]]) == pytest.approx(0.1)
    assert harness.distance(a, a * numpy.nan) == numpy.inf


def test_problems_have_the_stated_gradients():
    quadratic, rosenbrock = problems.get("quadratic"), problems.get("rosenbrock")
    theta = numpy.array([1.0, -2.0, 3.0])
    numpy.testing.assert_allclose(quadratic.grad(theta), 2 * numpy.array([1e-4, 1.0, 10.0]) * theta)
    x, y = 0.5, -0.25
    numpy.testing.assert_allclose(rosenbrock.grad(numpy.array([x, y])),
                                  [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    with pytest.raises(ValueError, match="unknown problem 'sphere'"):
        problems.get("sphere")


def test_tensorflows_native_start_up_log_stays_out_of_stderr():
    # find_spec, not importorskip: importing TensorFlow into this process before Paddle kills it later
    if importlib.util.find_spec("tf_keras") is None:
        pytest.skip("tf-keras is in the peers extra")
    code = ("from nadam_ref.crosscheck import tfkeras_adapter as a; tf_keras = a.load(); import tensorflow as tf; "
            "print(float(tf.Variable([2.0]).numpy()[0]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == "2.0", result.stderr
    assert "oneDNN" not in result.stderr and "cuInit" not in result.stderr and "absl" not in result.stderr, \
        result.stderr
