"""``handed``: what nadam_ref gives to code it does not own is a copy on the same backend; other values pass as
they are."""

import numpy as np

from nadam_ref.handover import calling_with_copies, handed


def test_an_array_is_handed_as_a_copy_on_its_own_backend(xp):
    theta = xp.asarray([1.0, -2.0, 0.5], dtype="float32")
    given = handed(theta)
    given -= 10.0  # what an in-place step does to what it is given
    assert type(given) is type(theta) and given.dtype == theta.dtype and given.shape == theta.shape
    assert np.array_equal(xp.asnumpy(theta) if hasattr(xp, "asnumpy") else theta, [1.0, -2.0, 0.5])


def test_anything_else_passes_as_it_is():
    state, fn = {"m": np.zeros(2)}, len
    assert handed(state) is state and handed(fn) is fn and handed(0.5) == 0.5


def test_a_function_called_with_copies_cannot_touch_its_callers_arrays():
    def scribble(theta, g, state):
        theta[...], g[...] = 0.0, np.nan
        state["seen"] = True
        return theta

    theta, g, state = np.ones(3), np.full(3, 2.0), {}
    assert np.array_equal(calling_with_copies(scribble)(theta, g, state), np.zeros(3))
    assert np.array_equal(theta, np.ones(3)) and np.array_equal(g, np.full(3, 2.0)) and state == {"seen": True}
