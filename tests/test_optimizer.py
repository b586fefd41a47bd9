"""Optimizer: applying a rule to named parameters, all-or-nothing steps, bad input, state files."""

import json
import math
import subprocess
import sys
import textwrap

import numpy
import pytest

import nadam_ref
from nadam_ref import Optimizer, StateFileError
from nadam_ref.backend import BackendMismatchError
from tests.conftest import to_numpy


def make_params(xp, dtype="float64"):
    rng = numpy.random.default_rng(0)
    return {"w": xp.asarray(rng.standard_normal((3, 4)).astype(dtype)),
            "b": xp.asarray(rng.standard_normal(4).astype(dtype))}


def loss_grads(params):
    """f = Σ ½ a·θ² over all parameters; grads = a·θ."""
    return {name: 0.5 * (i + 1) * p for i, (name, p) in enumerate(sorted(params.items()))}


def snapshot(opt):
    return ({k: to_numpy(v).copy() for k, v in opt.params.items()},
            json.dumps({k: {kk: (to_numpy(vv).tolist() if hasattr(vv, "shape") else vv) for kk, vv in s.items()}
                        for k, s in opt.state.items()}))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rule", nadam_ref.RULES)
def test_optimizer_matches_trajectory(xp, rule, dtype):
    params = make_params(xp, dtype)
    w0 = params["w"].copy()
    opt = Optimizer(rule, params, lr=0.01)
    a = 0.5 * 2  # "w" sorts after "b": its curvature is 1.0
    for _ in range(5):
        if rule == "nag_lookahead":
            opt.step(grad_fn=loss_grads)
        else:
            opt.step(loss_grads(params))
    path = nadam_ref.trajectory(rule, lambda th: a * th, w0, 5, lr=0.01)
    numpy.testing.assert_array_equal(to_numpy(params["w"]), to_numpy(path[-1]))
    assert params["w"].dtype == numpy.dtype(dtype) and opt.t == 5


def test_step_trace_returns_the_box_intermediates():
    params = {"x": numpy.array([1.0, 1.0])}
    opt = Optimizer("nadam", params)
    traces = opt.step({"x": numpy.array([0.2, 4.0])}, trace=True)
    assert set(traces) == {"x"}
    assert {"g", "g_hat", "m", "m_hat", "n", "n_hat", "m_bar", "update", "theta"} <= set(traces["x"])
    numpy.testing.assert_allclose(params["x"], [0.997986881, 0.997986881], rtol=1e-9)


# -- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,match", [
    ({"rule": "nadamm"}, r"unknown rule 'nadamm'.*gd, momentum, nag"),
    ({"lr": 0.0}, r"lr=0.0; expected a finite number > 0"),
    ({"lr": -1e-3}, r"lr=-0.001"),
    ({"lr": math.inf}, r"lr=inf"),
    ({"lr": math.nan}, r"lr=nan"),
    ({"mu": 1.0}, r"mu=1.0; expected a number in \[0, 1\)"),
    ({"mu": -0.1}, r"mu=-0.1"),
    ({"nu": 0.0}, r"nu=0.0; expected a number in \(0, 1\)"),
    ({"nu": 1.0}, r"nu=1.0"),
    ({"eps": -1e-8}, r"eps=-1e-08; expected a finite number >= 0"),
    ({"schedule": "warm"}, r"schedule='warm' is not an option of rule 'nadam'; expected one of \('paper', 'constant', "
                           r"'keras'\) or a callable"),
    ({"eps_placement": "under"}, r"eps_placement='under' is not an option of rule 'nadam'; expected one of "
                                 r"\('inside', 'outside'\)"),
    ({"beta1": 0.9}, r"rule 'nadam' does not read beta1; it reads lr, mu, nu, eps, schedule, eps_placement"),
    ({"on_nonfinite": "ignore"}, r"on_nonfinite='ignore'"),
])
def test_bad_hyperparameters_are_named(kwargs, match):
    kwargs = {"rule": "nadam", **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        Optimizer(kwargs.pop("rule"), {"x": numpy.zeros(2)}, **kwargs)


def test_unknown_rule_in_trajectory():
    with pytest.raises(nadam_ref.UnknownRuleError, match="unknown rule 'adamw'"):
        nadam_ref.trajectory("adamw", lambda th: th, numpy.zeros(2), 3)


def test_schedule_giving_a_bad_mu_is_named():
    opt = Optimizer("nag", {"x": numpy.ones(2)}, schedule=lambda t: 1.5)
    with pytest.raises(ValueError, match=r"the schedule gave mu_1 = 1.5"):
        opt.step({"x": numpy.ones(2)})
    numpy.testing.assert_array_equal(opt.params["x"], numpy.ones(2))


@pytest.mark.parametrize("bad,match", [
    (lambda g: {"w": g["w"]}, r"missing \['b'\]"),
    (lambda g: {**g, "c": g["b"]}, r"unexpected \['c'\]"),
    (lambda g: {**g, "w": g["w"][:2]}, r"gradient 'w' has shape \(2, 4\); expected \(3, 4\)"),
    (lambda g: {**g, "b": g["b"].astype("float32")}, r"gradient 'b' has dtype float32; expected float64"),
    (lambda g: {**g, "b": g["b"].tolist()}, r"gradient 'b' is a list"),
    (lambda g: [g["w"], g["b"]], r"grads must be a dict"),
])
def test_bad_gradients_are_named_and_nothing_changes(bad, match):
    params = make_params(numpy)
    opt = Optimizer("adam", params)
    opt.step(loss_grads(params))
    before = snapshot(opt)
    with pytest.raises((ValueError, TypeError, KeyError), match=match):
        opt.step(bad(loss_grads(params)))
    after = snapshot(opt)
    assert before[1] == after[1]
    for k in before[0]:
        numpy.testing.assert_array_equal(before[0][k], after[0][k])


@pytest.mark.parametrize("params,match", [
    ({}, "non-empty dict"),
    ({"w": [1.0, 2.0]}, r"parameter 'w' is a list"),
    ({"w": numpy.zeros(2, dtype=numpy.int64)}, r"parameter 'w' has dtype int64"),
    ({1: numpy.zeros(2)}, "names must be strings"),
])
def test_bad_parameters_are_named(params, match):
    with pytest.raises(TypeError, match=match):
        Optimizer("gd", params)


def test_mixed_backends_are_refused():
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed")
    if not nadam_ref.backend.gpu_available():
        pytest.skip("mixing needs a CuPy array, and no CUDA device is available here")
    params = {"w": numpy.zeros(2)}
    opt = Optimizer("gd", params)
    with pytest.raises(BackendMismatchError, match="gradient 'w' is a cupy array"):
        opt.step({"w": cupy.zeros(2)})
    with pytest.raises(BackendMismatchError):
        Optimizer("gd", {"w": numpy.zeros(2), "v": cupy.zeros(2)})


def test_nag_lookahead_needs_a_gradient_function_and_others_a_gradient():
    with pytest.raises(TypeError, match="pass grad_fn="):
        Optimizer("nag_lookahead", {"x": numpy.ones(2)}).step({"x": numpy.ones(2)})
    with pytest.raises(TypeError, match="needs grads="):
        Optimizer("nag", {"x": numpy.ones(2)}).step(grad_fn=lambda p: p)


def test_non_finite_gradient_raises_naming_parameter_and_step():
    params = make_params(numpy)
    opt = Optimizer("nadam", params)
    opt.step(loss_grads(params))
    before = snapshot(opt)
    grads = loss_grads(params)
    grads["b"][1] = numpy.nan
    with pytest.raises(nadam_ref.NonFiniteGradientError, match=r"in \['b'\] at step 2"):
        opt.step(grads)
    assert snapshot(opt)[1] == before[1]
    numpy.testing.assert_array_equal(opt.params["w"], before[0]["w"])


def test_non_finite_gradient_can_skip_the_step():
    params = make_params(numpy)
    opt = Optimizer("nadam", params, on_nonfinite="skip")
    grads = loss_grads(params)
    grads["w"][0, 0] = numpy.inf
    before = snapshot(opt)
    with pytest.warns(RuntimeWarning, match="step skipped"):
        opt.step(grads)
    assert opt.skipped == 1 and opt.t == 0 and snapshot(opt)[1] == before[1]
    opt.step(loss_grads(params))
    assert opt.t == 1


# -- state files --------------------------------------------------------------------------------------------


def run_steps(opt, k):
    for _ in range(k):
        opt.step(loss_grads(opt.params))


@pytest.mark.parametrize("rule", [r for r in nadam_ref.RULES if r != "nag_lookahead"])  # that one: below
def test_saved_state_resumes_bit_identically_in_a_new_process(tmp_path, rule):
    """Run 7 steps, save, continue 5 steps in another Python process: equal bits to 12 uninterrupted steps."""
    params = make_params(numpy, "float32")
    opt = Optimizer(rule, params, lr=0.01)
    run_steps(opt, 7)
    opt.save(tmp_path / "state.npz")
    run_steps(opt, 5)

    script = textwrap.dedent(f"""
        import numpy, sys
        sys.path.insert(0, {str(__import__('pathlib').Path(__file__).parents[1])!r})
        from nadam_ref import Optimizer
        from tests.test_optimizer import loss_grads, make_params, run_steps
        params = make_params(numpy, "float32")
        opt = Optimizer({rule!r}, params, lr=0.01)
        opt.load({str(tmp_path / 'state.npz')!r})
        run_steps(opt, 5)
        numpy.savez({str(tmp_path / 'resumed.npz')!r}, **params)
    """)
    subprocess.run([sys.executable, "-c", script], check=True)
    resumed = numpy.load(tmp_path / "resumed.npz")
    for name, p in params.items():
        assert resumed[name].tobytes() == p.tobytes(), name


def test_lookahead_state_round_trip(tmp_path):
    params = make_params(numpy)
    opt = Optimizer("nag_lookahead", params)
    for _ in range(4):
        opt.step(grad_fn=loss_grads)
    opt.save(tmp_path / "s.npz")
    for _ in range(3):
        opt.step(grad_fn=loss_grads)
    other = Optimizer("nag_lookahead", make_params(numpy))
    other.load(tmp_path / "s.npz")
    for _ in range(3):
        other.step(grad_fn=loss_grads)
    for name in params:
        assert other.params[name].tobytes() == params[name].tobytes()


@pytest.fixture
def saved(tmp_path):
    params = make_params(numpy)
    opt = Optimizer("nadam", params, lr=0.01)
    run_steps(opt, 3)
    path = tmp_path / "state.npz"
    opt.save(path)
    return path


def assert_load_refused(opt, path, match):
    before = snapshot(opt)
    with pytest.raises(StateFileError, match=match):
        opt.load(path)
    after = snapshot(opt)
    assert before[1] == after[1]
    for k in before[0]:
        numpy.testing.assert_array_equal(before[0][k], after[0][k])


def test_truncated_state_file_is_refused(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    assert_load_refused(Optimizer("nadam", make_params(numpy), lr=0.01), saved, "corrupt or truncated")


def test_corrupt_state_file_is_refused(saved):
    data = bytearray(saved.read_bytes())
    for i in range(200, 260):  # inside the first member's data: the CRC check catches it
        data[i] ^= 0xFF
    saved.write_bytes(bytes(data))
    assert_load_refused(Optimizer("nadam", make_params(numpy), lr=0.01), saved, "corrupt or truncated")


def test_state_file_of_another_rule_is_refused(saved):
    assert_load_refused(Optimizer("adam", make_params(numpy), lr=0.01), saved,
                        r"rule 'nadam', this optimizer runs 'adam'")


def test_state_file_of_other_shapes_is_refused(saved):
    params = {"w": numpy.zeros((4, 3)), "b": numpy.zeros(4)}
    assert_load_refused(Optimizer("nadam", params, lr=0.01), saved, r"parameters .*expected")


def test_state_file_of_other_hyperparameters_is_refused(saved):
    assert_load_refused(Optimizer("nadam", make_params(numpy), lr=0.02), saved, r"hyper-parameters")


def test_missing_state_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no state file"):
        Optimizer("gd", {"x": numpy.zeros(1)}).load(tmp_path / "nope.npz")


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    opt = Optimizer("adam", make_params(numpy))
    opt.save(tmp_path / "s.npz")
    good = (tmp_path / "s.npz").read_bytes()
    run_steps(opt, 1)

    def broken_savez(f, **arrays):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(numpy, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        opt.save(tmp_path / "s.npz")
    assert (tmp_path / "s.npz").read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["s.npz"]
