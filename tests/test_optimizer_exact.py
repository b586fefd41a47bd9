"""The Optimizer is exact or refuses: all-or-nothing steps, checked state files, normalised hyper-parameters,
identified schedules, annealing through ``lr``, 0-d parameters with scalar gradients."""

from __future__ import annotations

import functools
import json
import warnings

import numpy as np
import pytest

import nadam_ref
from nadam_ref import StateFileError, schedules
from nadam_ref.optimizer import atomic_savez, read_state_file


def snapshot(opt) -> dict:
    return {"params": {k: v.copy() for k, v in opt.params.items()}, "t": opt.t,
            "state": {k: {s: (v.copy() if hasattr(v, "copy") else v) for s, v in st.items()}
                      for k, st in opt.state.items()}}


def assert_unchanged(opt, before):
    assert opt.t == before["t"]
    for name, p in opt.params.items():
        np.testing.assert_array_equal(p, before["params"][name])
        for key, value in before["state"][name].items():
            np.testing.assert_array_equal(opt.state[name][key], value)


# -- all or nothing ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("impl", ["reference", "fused"])
def test_a_read_only_parameter_stops_the_step_before_anything_is_written(impl):
    b = np.ones(3)
    b.flags.writeable = False
    opt = nadam_ref.Optimizer("adam", {"a": np.ones(3), "b": b}, impl=impl)
    before = snapshot(opt)
    with pytest.raises(ValueError, match="parameter 'b' is read-only"):
        opt.step({"a": np.full(3, 0.5), "b": np.full(3, 0.5)})
    assert_unchanged(opt, before)


@pytest.mark.parametrize("impl", ["reference", "fused"])
def test_a_warning_turned_error_mid_step_leaves_everything_as_it_was_or_completes_it(impl):
    """Under -W error, an overflow in the second parameter's g² must not leave the first half-updated."""
    opt = nadam_ref.Optimizer("adam", {"a": np.ones(4, "float32"), "b": np.ones(4, "float32")}, impl=impl)
    before = snapshot(opt)
    grads = {"a": np.full(4, 0.5, "float32"), "b": np.full(4, 1e20, "float32")}  # finite, but g² overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            opt.step(grads)
        except RuntimeWarning as e:
            assert any("'b'" in note for note in getattr(e, "__notes__", ()))  # the error names the parameter
            assert_unchanged(opt, before)
            return
    assert impl == "fused" and opt.t == 1  # fused completes the whole step: every parameter and state moved together
    reference = nadam_ref.Optimizer("adam", {"a": np.ones(4, "float32"), "b": np.ones(4, "float32")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.step(grads)
    for name in ("a", "b"):
        np.testing.assert_array_equal(opt.state[name]["m"], reference.state[name]["m"])
        np.testing.assert_array_equal(opt.state[name]["n"], reference.state[name]["n"])


def test_a_schedule_that_refuses_this_step_refuses_it_before_any_write():
    def picky(t):
        return 0.9 if t < 2 else 1.5  # μ_2 out of range: step 1 already needs μ_{t+1}

    opt = nadam_ref.Optimizer("nadam", {"a": np.ones(2), "b": np.ones(2)}, impl="fused", schedule=picky)
    before = snapshot(opt)
    with pytest.raises(ValueError, match="mu_2"):
        opt.step({"a": np.ones(2), "b": np.ones(2)})
    assert_unchanged(opt, before)


# -- hyper-parameters --------------------------------------------------------------------------------------------

def test_numpy_scalar_hyperparameters_save_and_load(tmp_path):
    opt = nadam_ref.Optimizer("nadam", {"w": np.ones(3)}, lr=np.float32(1e-3), mu=np.float64(0.9))
    opt.step({"w": np.full(3, 0.5)})
    opt.save(tmp_path / "s.npz")
    again = nadam_ref.Optimizer("nadam", {"w": np.zeros(3)}, lr=np.float32(1e-3), mu=np.float64(0.9))
    again.load(tmp_path / "s.npz")
    np.testing.assert_array_equal(again.params["w"], opt.params["w"])


def test_lr_is_public_and_checked_for_annealing():
    opt = nadam_ref.Optimizer("gd", {"w": np.ones(2)}, lr=0.1)
    opt.step({"w": np.ones(2)})
    opt.lr = np.float64(0.01)
    assert opt.lr == 0.01 and type(opt.lr) is float
    opt.step({"w": np.ones(2)})
    np.testing.assert_allclose(opt.params["w"], 1 - 0.1 - 0.01)
    with pytest.raises(ValueError, match="lr=-1"):
        opt.lr = -1
    assert opt.lr == 0.01


# -- state files: every entry checked before anything is touched ----------------------------------------------------

def saved(tmp_path, rule="adam"):
    opt = nadam_ref.Optimizer(rule, {"a": np.ones(3), "b": np.ones((2, 2))})
    for _ in range(3):
        opt.step({"a": np.full(3, 0.5), "b": np.full((2, 2), -0.5)})
    path = tmp_path / "state.npz"
    opt.save(path)
    return path


def rewrite(path, change):
    """The file at ``path`` with ``change(meta, arrays)`` applied, written back."""
    meta, arrays = read_state_file(path)
    change(meta, arrays)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    atomic_savez(path, arrays)


def set_array(key, value):
    return lambda meta, arrays: arrays.__setitem__(key, value)


def set_scalar(name, key, value):
    return lambda meta, arrays: meta["scalars"][name].__setitem__(key, value)


BROKEN = {
    "state array of another shape": (set_array("state/b/m", np.zeros(4)), "entry 'state/b/m' has shape"),
    "state array of another dtype": (set_array("state/a/n", np.zeros(3, "float32")), "entry 'state/a/n' has shape"),
    "NaN in a state array": (set_array("state/a/m", np.array([0.0, np.nan, 0.0])), "'state/a/m' holds NaN"),
    "negative n": (set_array("state/b/n", -np.ones((2, 2))), "'state/b/n' holds negative values"),
    "parameter of another shape": (set_array("param/b", np.zeros(3)), "entry 'param/b' has shape"),
    "inf in a parameter": (set_array("param/a", np.array([1.0, np.inf, 1.0])), "'param/a' holds NaN or inf"),
    "negative t": (set_scalar("a", "t", -2), "'scalars/a/t' is -2"),
    "product above 1": (set_scalar("b", "mu_prod", 1.5), "'scalars/b/mu_prod' is 1.5"),
    "product 0": (set_scalar("b", "mu_prod", 0.0), "'scalars/b/mu_prod' is 0.0"),
    "step counts that differ": (set_scalar("b", "t", 2), "step counts differ"),
    "missing state array": (lambda meta, arrays: arrays.pop("state/a/n"), "lacks entry 'state/a/n'"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_load_checks_every_entry_before_touching_anything(tmp_path, case):
    change, message = BROKEN[case]
    path = saved(tmp_path)
    rewrite(path, change)
    opt = nadam_ref.Optimizer("adam", {"a": np.full(3, 7.0), "b": np.full((2, 2), 7.0)})
    before = snapshot(opt)
    with pytest.raises(StateFileError, match=message) as error:
        opt.load(path)
    assert str(path) in str(error.value)
    assert_unchanged(opt, before)


def test_a_state_file_from_before_m_decay_loads_at_the_default(tmp_path):
    path = saved(tmp_path)
    rewrite(path, lambda meta, arrays: meta["hparams"].pop("m_decay"))
    opt = nadam_ref.Optimizer("adam", {"a": np.zeros(3), "b": np.zeros((2, 2))})
    opt.load(path)
    assert opt.t == 3
    with pytest.raises(StateFileError, match="hyper-parameters"):
        nadam_ref.Optimizer("adam", {"a": np.zeros(3), "b": np.zeros((2, 2))}, m_decay="constant").load(path)


# -- callable schedules in state files -----------------------------------------------------------------------------

def test_two_partials_of_warming_with_other_time_scales_are_told_apart(tmp_path):
    slow = functools.partial(schedules.warming, mu=0.99, timescale=250.0)
    fast = functools.partial(schedules.warming, mu=0.99, timescale=100.0)
    opt = nadam_ref.Optimizer("nadam", {"w": np.ones(2)}, schedule=slow)
    opt.step({"w": np.ones(2)})
    opt.save(tmp_path / "s.npz")
    with pytest.raises(StateFileError, match="timescale=100.0"):
        nadam_ref.Optimizer("nadam", {"w": np.ones(2)}, schedule=fast).load(tmp_path / "s.npz")
    same = nadam_ref.Optimizer("nadam", {"w": np.ones(2)}, schedule=functools.partial(schedules.warming, mu=0.99,
                                                                                       timescale=250.0))
    same.load(tmp_path / "s.npz")
    assert same.t == 1


def test_a_lambda_schedule_is_refused_at_save_with_the_reason(tmp_path):
    opt = nadam_ref.Optimizer("nadam", {"w": np.ones(2)}, schedule=lambda t: 0.9)
    opt.step({"w": np.ones(2)})
    with pytest.raises(ValueError, match="cannot be identified in a state file"):
        opt.save(tmp_path / "s.npz")
    assert not (tmp_path / "s.npz").exists()


def test_schedules_identify_names_functions_and_partials():
    assert schedules.identify("paper") == "paper"
    assert schedules.identify(schedules.constant) == "nadam_ref.schedules.constant"
    assert schedules.identify(functools.partial(schedules.warming, 0.9, timescale=10.0)) == \
        "nadam_ref.schedules.warming(0.9, timescale=10.0)"


# -- 0-d parameters ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("impl", ["reference", "fused"])
def test_a_numpy_scalar_gradient_for_a_0d_parameter(impl):
    opt = nadam_ref.Optimizer("nadam", {"s": np.array(1.0)}, impl=impl)
    opt.step({"s": np.float64(0.5)})
    opt.step({"s": 0.5})
    expected = nadam_ref.trajectory("nadam", lambda th: np.full_like(th, 0.5), np.array([1.0]), 2)[-1, 0]
    assert opt.params["s"].shape == () and float(opt.params["s"]) == pytest.approx(expected, rel=1e-15)


def test_trajectory_of_a_0d_parameter_whose_gradient_numpy_returns_as_a_scalar():
    path = nadam_ref.trajectory("adam", lambda th: 2 * th, np.array(1.0), 3)
    assert path.shape == (4,)
    np.testing.assert_allclose(path, nadam_ref.trajectory("adam", lambda th: 2 * th, np.array([1.0]), 3)[:, 0])
