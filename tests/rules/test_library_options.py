"""Nadam's two library options (m_hat_correction, the ε̂ placement): hand-derived first steps. (The fused engine's
parity with the reference on them comes from tests/fused, which runs every declared variant.)"""

import math

import numpy as np
import pytest

from nadam_ref import rules
from nadam_ref.trajectory import trajectory


def _first_step(**options):
    theta0, g = np.array([1.0, -2.0]), np.array([0.5, -3.0])
    path = trajectory("nadam", lambda theta: g, theta0, 1, lr=0.1, mu=0.9, nu=0.99, eps=1e-3, schedule="constant",
                      **options)
    return theta0, g, path[1]


def test_current_correction_is_adam_with_the_nesterov_look_ahead():
    # t = 1, constant μ: m = (1 − μ) g; m̂ = m/(1 − μ) = g; ĝ = g/(1 − μ); m̄ = (1 − μ) ĝ + μ m̂ = (1 + μ) g;
    # n = (1 − ν) g², n̂ = g², so θ₁ = θ₀ − η (1 + μ) g / (|g| + ε)   (ε outside)
    theta0, g, theta1 = _first_step(m_hat_correction="current", eps_placement="outside")
    np.testing.assert_allclose(theta1, theta0 - 0.1 * 1.9 * g / (np.abs(g) + 1e-3), rtol=1e-15)
    # the box: m̂ = m/(1 − μ²) = g/1.9, m̄ = g + 0.9 g/1.9
    _, _, box = _first_step(eps_placement="outside")
    np.testing.assert_allclose(box, theta0 - 0.1 * (1 + 0.9 / 1.9) * g / (np.abs(g) + 1e-3), rtol=1e-15)


def test_hat_placement_divides_eps_by_the_root_of_nus_correction():
    # ε̂ = ε/√(1 − ν): θ₁ = θ₀ − η m̄ / (|g| + ε/√0.01) = θ₀ − η m̄ / (|g| + 10 ε)
    theta0, g, theta1 = _first_step(m_hat_correction="current", eps_placement="hat")
    np.testing.assert_allclose(theta1, theta0 - 0.1 * 1.9 * g / (np.abs(g) + 1e-3 / math.sqrt(0.01)), rtol=1e-15)


def test_the_options_are_declared_with_the_libraries_they_serve():
    spec = rules.spec("nadam")
    assert spec.options["m_hat_correction"] == ("next", "current")
    assert "hat" in spec.options["eps_placement"]
    served = {v.library: v.hparams for v in spec.library_variants}
    assert any("timm" in name and hp.get("m_hat_correction") == "current" for name, hp in served.items())
    with pytest.raises(ValueError, match="m_hat_correction='previous'"):
        trajectory("nadam", lambda theta: theta, np.ones(2), 1, m_hat_correction="previous")
    with pytest.raises(TypeError, match="does not read m_hat_correction"):
        trajectory("adam", lambda theta: theta, np.ones(2), 1, m_hat_correction="current")
