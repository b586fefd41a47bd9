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
    assert variants[0].startswith('if hp.eps_placement == "hat":') and len(variants) == 2
    assert all(c.nested for c in rows[VARIANTS][1:])
    assert VARIANTS not in dict(box_beside_code("gd").rows)  # no variants, no row
