"""AMSGrad (Reddi et al. 2018) as ``max_n`` on Adam and Nadam: both readings by hand, the identity with the box on
a sequence whose second moment only grows, their order, the state it adds (save, load, refusals), the CLI."""

import itertools
import math

import numpy
import pytest

import nadam_ref
from nadam_ref import rules
from nadam_ref.cli import main
from nadam_ref.optimizer import StateFileError
from nadam_ref.trajectory import trace_steps

MU, NU, LR = 0.9, 0.9, 0.1
GRADS = (1.0, 0.1, 0.1, 0.1, 0.1)  # one large gradient, then small ones: n_t falls after the first step


def by_hand(rule: str, max_n: str) -> tuple[list, list]:
    """θ_1.. and n̂_1.. from the readings as written in the docstrings, with a constant μ and ε = 0, in plain
    Python: ``"n"`` keeps max n_t and divides it by 1 − νᵗ; ``"n_hat"`` keeps max n_t / (1 − νᵗ)."""
    theta, m, n, kept, path, n_hats = 1.0, 0.0, 0.0, 0.0, [], []
    for t, g in enumerate(GRADS, start=1):
        m = MU * m + (1 - MU) * g
        n = NU * n + (1 - NU) * g * g
        if max_n == "none":
            n_hat = n / (1 - NU**t)
        elif max_n == "n":
            kept = max(kept, n)
            n_hat = kept / (1 - NU**t)
        else:
            kept = max(kept, n / (1 - NU**t))
            n_hat = kept
        if rule == "adam":
            direction = m / (1 - MU**t)
        else:  # Nadam under a constant μ: (1 − μ) ĝ + μ m̂ with m̂ = m / (1 − μ^{t+1})
            direction = (1 - MU) * g / (1 - MU**t) + MU * m / (1 - MU ** (t + 1))
        theta -= LR * direction / math.sqrt(n_hat)
        path.append(theta)
        n_hats.append(n_hat)
    return path, n_hats


def ours(rule, max_n, grads=GRADS, **extra):
    hp = dict(schedule="constant", mu=MU, nu=NU, eps=0.0, lr=LR, max_n=max_n, **extra)
    it = iter(grads)
    traces = trace_steps(rule, lambda th: numpy.array([next(it)]), numpy.ones(1), len(grads), **hp)
    return [float(tr["theta"][0]) for tr in traces], [float(tr["n_hat"][0]) for tr in traces]


@pytest.mark.parametrize("max_n", ["none", "n", "n_hat"])
@pytest.mark.parametrize("rule", ["adam", "nadam"])
def test_each_reading_matches_its_steps_by_hand(rule, max_n):
    path, n_hats = ours(rule, max_n)
    expected_path, expected_n_hats = by_hand(rule, max_n)
    assert path == pytest.approx(expected_path, rel=1e-13)
    assert n_hats == pytest.approx(expected_n_hats, rel=1e-13)


@pytest.mark.parametrize("rule", ["adam", "nadam"])
def test_the_readings_part_where_n_falls_and_keep_their_order(rule):
    """n̂ under "n" is max_s n_s / (1 − νᵗ) ≤ max_s n_s / (1 − νˢ), which is n̂ under "n_hat": the box's n̂ ≤
    torch's ≤ optax's, each strictly after the large gradient has faded."""
    (_, none), (_, torch_n), (_, optax_n) = (ours(rule, v) for v in ("none", "n", "n_hat"))
    assert none[0] == torch_n[0] == optax_n[0]
    for t in range(1, len(GRADS)):
        assert none[t] < torch_n[t] < optax_n[t], t


@pytest.mark.parametrize("max_n", ["n", "n_hat"])
@pytest.mark.parametrize("rule", ["adam", "nadam"])
def test_where_the_second_moment_only_grows_amsgrad_is_the_box(xp, rule, max_n):
    """g_t = t: n_t and n̂_t (a weighted mean of s², the recent ones weighted most) grow every step, so the
    maximum is always the current value and AMSGrad computes the box's numbers, bit for bit."""
    theta0 = xp.ones(3)
    def grad(counter):
        return lambda th: xp.full_like(th, next(counter))

    box = nadam_ref.trajectory(rule, grad(itertools.count(1.0)), theta0, 30)
    amsgrad = nadam_ref.trajectory(rule, grad(itertools.count(1.0)), theta0, 30, max_n=max_n)
    assert bool((box == amsgrad).all())


def test_amsgrad_adds_its_state_array_and_says_when_a_state_lacks_it():
    adam = rules.get("adam")
    hp = rules.make_hparams(adam, max_n="n")
    assert rules.state_names(adam, hp) == ("m", "n", "n_max")
    assert rules.state_names(adam, rules.make_hparams(adam)) == ("m", "n")
    assert set(rules.init_state(adam, numpy.ones(2), hp)) == {"t", "mu_prod", "m", "n", "n_max"}
    with pytest.raises(KeyError, match=r"max_n='n' keeps its running maximum in state\['n_max'\]"):
        adam.step(numpy.ones(2), numpy.ones(2), rules.init_state(adam, numpy.ones(2)), hp)


@pytest.mark.parametrize("rule", ["gd", "rmsprop", "adamax", "nadamax"])
def test_rules_without_an_l2_second_moment_do_not_read_max_n(rule):
    with pytest.raises(TypeError, match=f"rule '{rule}' does not read max_n"):
        nadam_ref.trajectory(rule, lambda th: th, numpy.ones(2), 1, max_n="n")


def test_a_value_no_reading_names_is_refused():
    with pytest.raises(ValueError, match=r"max_n='v_hat' is not an option of rule 'adam'"):
        rules.make_hparams(rules.get("adam"), max_n="v_hat")


def test_the_library_readings_are_declared():
    declared = {v.library: v.hparams.get("max_n") for r in ("adam", "nadam") for v in rules.spec(r).library_variants}
    assert declared["torch Adam(amsgrad=True)"] == "n"
    assert declared["keras 3 Adam(amsgrad=True)"] == "n"
    assert declared["optax amsgrad"] == "n_hat"


def _falling(opt, k, start=0):
    for t in range(start, start + k):
        scale = 10.0 if t % 4 == 0 else 0.1  # large, then small: the maximum matters
        opt.step({"w": numpy.linspace(-1, 1, 6).reshape(2, 3) * scale})


@pytest.mark.parametrize("impl", ["reference", "fused"])
@pytest.mark.parametrize("max_n", ["n", "n_hat"])
@pytest.mark.parametrize("rule", ["adam", "nadam"])
def test_state_files_hold_the_maximum_and_resume_bit_identically(tmp_path, rule, max_n, impl):
    straight = nadam_ref.Optimizer(rule, {"w": numpy.zeros((2, 3))}, impl=impl, max_n=max_n, lr=0.01)
    _falling(straight, 7)
    straight.save(tmp_path / "state.npz")
    _falling(straight, 5, start=7)

    resumed = nadam_ref.Optimizer(rule, {"w": numpy.zeros((2, 3))}, impl=impl, max_n=max_n, lr=0.01)
    resumed.load(tmp_path / "state.npz")
    _falling(resumed, 5, start=7)
    assert resumed.params["w"].tobytes() == straight.params["w"].tobytes()
    assert resumed.state["w"]["n_max"].tobytes() == straight.state["w"]["n_max"].tobytes()
    assert bool((straight.state["w"]["n_max"] > straight.state["w"]["n"]).any())  # the maximum was kept

    with numpy.load(tmp_path / "state.npz") as npz:
        assert "state/w/n_max" in npz.files
    box = nadam_ref.Optimizer(rule, {"w": numpy.zeros((2, 3))}, lr=0.01)
    with pytest.raises(StateFileError, match="hyper-parameters"):
        box.load(tmp_path / "state.npz")


def test_a_negative_maximum_in_a_state_file_is_refused(tmp_path):
    opt = nadam_ref.Optimizer("adam", {"w": numpy.zeros(3)}, max_n="n")
    opt.step({"w": numpy.ones(3)})
    opt.state["w"]["n_max"] = -numpy.ones(3)
    opt.save(tmp_path / "bad.npz")
    with pytest.raises(StateFileError, match="'state/w/n_max' holds negative values"):
        nadam_ref.Optimizer("adam", {"w": numpy.zeros(3)}, max_n="n").load(tmp_path / "bad.npz")


def test_the_cli_traces_amsgrad_with_its_lines_and_refuses_it_where_not_read(capsys):
    assert main(["trace", "--rule", "adam", "--max-n", "n", "--steps", "1"]) == 0
    out = capsys.readouterr().out
    assert "max_n = n" in out and "n^max_t ← max(n^max_{t−1}, n_t)" in out and "n̂_t ← n^max_t / (1 − ν^t)" in out
    assert main(["trace", "--rule", "nadam", "--max-n", "n_hat", "--steps", "1"]) == 0
    assert "n̂_t ← max(n̂_{t−1}, n_t / (1 − ν^t))" in capsys.readouterr().out
    assert main(["trace", "--rule", "rmsprop", "--max-n", "n"]) != 0
    assert "rule 'rmsprop' does not read max_n" in capsys.readouterr().err
