"""nadam_ref.teaching: every box line sits beside the code that computes it; the plots draw what they are given."""

import re
import types

import matplotlib
import numpy
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import nadam_ref  # noqa: E402
from nadam_ref import rules  # noqa: E402
from nadam_ref.teaching import animate_paths, box_beside_code, contour_paths  # noqa: E402


@pytest.mark.parametrize("rule", nadam_ref.RULES)
def test_every_box_line_has_its_code_line(rule):
    listing = box_beside_code(rule)
    box = [text for _, text in rules.get(rule).BOX]
    listed = [text for text, _ in listing.rows if text in box]
    assert listed == box
    assert all(not c.nested for text, code in listing.rows if text in box for c in code)
    for _, code in listing.rows:
        assert code and all(line.text and line.lineno > 0 for line in code)


def test_nadam_listing_pairs_each_line_with_its_assignment():
    rows = dict(box_beside_code("nadam").rows)
    assert [c.text for c in rows["ĝ_t ← g_t / (1 − ∏_{i≤t} μ_i)"]] == ["g_hat = g / (1 - mu_prod)"]
    assert [c.text for c in rows["m̂_t ← m_t / (1 − ∏_{i≤t+1} μ_i)"]] == ["m_hat = m / (1 - mu_prod_next)"]
    theta = [c.text for c in rows["θ_t ← θ_{t−1} − η m̄_t / √(n̂_t + ε)"]]
    assert theta[0].startswith("update = ") and theta[1] == "theta = theta - update"
    assert "grad_fn(theta)" in rows["g_t ← ∇f(θ_{t−1})"][0].text  # the caller computes g
    assert rows["g_t ← ∇f(θ_{t−1})"][0].path == "nadam_ref/trajectory.py"


def test_listing_renders_as_text_and_escaped_html():
    listing = box_beside_code("adam")
    text = str(listing)
    assert text.splitlines()[0] == "adam (Algorithm 6): nadam_ref/rules/adam.py"
    assert "m_hat = m / (1 - decay.prod)" in text
    html = listing._repr_html_()
    assert html.count("<tr>") == len(listing.rows) + 1
    assert 'state["m"]' not in html and "state[&quot;m&quot;]" in html


def test_a_box_line_without_code_is_an_error(monkeypatch):
    gd = rules.get("gd")
    fake = types.SimpleNamespace(NAME="fake", ALGORITHM="none", BOX=gd.BOX + (("m_bar", "m̄_t ← ?"),),
                                 step=gd.step, __file__=gd.__file__)
    monkeypatch.setattr(rules, "get", lambda name: fake)
    with pytest.raises(LookupError, match="m̄_t ← \\?"):
        box_beside_code("fake")


def quadratic(theta):
    return 0.5 * (theta[0] ** 2 + 10 * theta[1] ** 2)


def test_contour_paths_draws_each_path():
    path = nadam_ref.trajectory("gd", lambda th: numpy.array([1.0, 10.0]) * th, numpy.array([1.0, 1.0]), 5,
                                lr=0.05)
    fig, ax = plt.subplots()
    (line,) = contour_paths(ax, quadratic, {"gd": path}, (-1, 1, -1, 1))
    numpy.testing.assert_array_equal(line.get_xydata(), path)
    assert ax.get_xlim() == (-1, 1)
    plt.close(fig)


def test_animate_paths_embeds_frames_and_closes_its_figure():
    path = numpy.stack([numpy.linspace(1, 0, 11), numpy.linspace(1, 0, 11)], axis=1)
    before = set(plt.get_fignums())
    html = animate_paths(quadratic, {"a": path}, (-1, 1, -1, 1), frames=5)
    assert set(plt.get_fignums()) == before
    assert len(re.findall(r'frames\[\d+\] = "data:image/png;base64,', html)) == 5
    assert 'class="animation"' in html
    with pytest.raises(ValueError, match="at least 2 points"):
        animate_paths(quadratic, {"a": path[:1]}, (-1, 1, -1, 1))


def test_library_variants_are_listed_apart_from_the_box_lines():
    from nadam_ref.teaching import VARIANTS

    rows = dict(box_beside_code("adamax").rows)
    assert [c.text for c in rows["n_t ← max(ν n_{t−1}, |g_t|)"]] == [
        'n = maximum(hp.nu * state["n"], absolute(g) + eps_in_max)']  # one line for both ε placements
    rows = dict(box_beside_code("adam").rows)
    variants = [c.text for c in rows[VARIANTS]]
    assert variants[0].startswith('if hp.max_n != "none":') and variants[1].startswith("n_hat, kept = max_n(")
    assert variants[2].startswith('if hp.eps_placement == "hat":') and len(variants) == 4
    assert [c.nested for c in rows[VARIANTS]] == [False, True, False, True]  # each `if` with its body
    assert VARIANTS not in dict(box_beside_code("gd").rows)  # no variants, no row


# -- the trace table ----------------------------------------------------------------------------------------------

def test_the_trace_runs_on_the_race_quadratic_from_one_one():
    from nadam_ref.surfaces import get_surface
    from nadam_ref.teaching import TRACE_SURFACE, TRACE_THETA0, trace_table

    assert TRACE_SURFACE is get_surface("quadratic") and TRACE_THETA0 == (1.0, 1.0)
    (step,) = trace_table("gd", 1, lr=0.1).steps
    assert step["g"] == [0.2, 4.0] and step["theta"] == [1 - 0.1 * 0.2, 1 - 0.1 * 4.0]


def test_trace_steps_are_computed_as_they_are_read():
    from nadam_ref.teaching import trace_table

    table = trace_table("nadam", 10**12)  # would never return if the steps were computed up front
    first = [next(table.steps) for _ in range(3)]
    assert [s["t"] for s in first] == [1, 2, 3]


def test_trace_json_is_the_same_document_json_dumps_writes():
    import json

    from nadam_ref.teaching import trace_table

    streamed = "".join(trace_table("nadam", 3, schedule="constant").json_chunks())
    table = trace_table("nadam", 3, schedule="constant")
    whole = {"rule": table.rule, "paper": table.algorithm, "problem": table.problem, "theta0": list(table.theta0),
             "hparams": table.hparams, "box": [{"symbol": s, "line": t} for s, t in table.box],
             "steps": list(table.steps)}
    assert streamed == json.dumps(whole, indent=2, ensure_ascii=False) + "\n"


def test_a_diverging_trace_is_strict_json_with_named_non_finite_values():
    import json

    from nadam_ref.teaching import trace_table

    with numpy.errstate(over="ignore", invalid="ignore"):
        text = "".join(trace_table("gd", 3, lr=1e200).json_chunks())
    steps = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))["steps"]
    assert steps[1]["update"] == ["-Infinity", "-Infinity"] and steps[1]["theta"] == ["Infinity", "Infinity"]
    assert steps[2]["theta"] == ["NaN", "NaN"]


@pytest.mark.parametrize("kwargs, message", [
    ({"rule": "adamw"}, "unknown rule 'adamw'"),
    ({"rule": "adam", "steps": 0}, "steps=0"),
    ({"rule": "adam", "steps": 2.5}, "steps=2.5"),
    ({"rule": "adam", "lr": -1.0}, "lr=-1.0"),
])
def test_trace_table_checks_everything_before_the_first_step(kwargs, message):
    from nadam_ref.teaching import trace_table

    with pytest.raises(ValueError, match=re.escape(message)):
        trace_table(**kwargs)


def test_box_lines_are_typeset_as_tex_in_the_html_listing():
    from nadam_ref.teaching import box_tex

    assert box_tex("m̂_t ← m_t / (1 − ∏_{i≤t+1} μ_i)") == r"\hat{m}_t \leftarrow m_t / (1 - \prod _{i\le t+1} \mu _i)"
    assert box_tex("θ_t ← θ_{t−1} − η m̄_t / √(n̂_t + ε)").endswith(r"/ \sqrt{\hat{n}_t + \varepsilon }")
    listing = box_beside_code("nadam")._repr_html_()
    assert r"\(\hat{m}_t \leftarrow" in listing and "m_{t−1}" not in listing
