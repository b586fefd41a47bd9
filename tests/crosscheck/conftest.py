"""The peers (torch, jax/optax, keras) are slow to import: each is imported once per session, and a test that needs
one skips with the reason when it is missing."""

from __future__ import annotations

import pytest

from nadam_ref.crosscheck import harness


def _skip_unless(library):
    adapter = harness.ADAPTERS[library]
    try:
        adapter.load()
    except Exception as e:  # noqa: BLE001 - any import failure means: cannot run here
        pytest.skip(f"{library} is not usable here ({e}); pip install -e '.[crosscheck]'")


#: The peers of the ``crosscheck`` extra; those of ``peers`` (and MXNet) have their own tests (test_identify.py).
CROSSCHECK = tuple(lib for lib, adapter in harness.ADAPTERS.items() if adapter.EXTRA == "crosscheck")


@pytest.fixture(scope="session")
def all_peers():
    for library in CROSSCHECK:
        _skip_unless(library)


@pytest.fixture(scope="session")
def torch_peer():
    _skip_unless("torch")


@pytest.fixture(scope="session")
def float64_report(all_peers):
    """One cross-check run shared by the tests that read it (20 steps keep it short)."""
    return harness.crosscheck(CROSSCHECK, steps=20, dtype="float64", explicit=True)
