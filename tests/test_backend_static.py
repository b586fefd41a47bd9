"""Every ``xp.<name>`` the package uses must exist in CuPy's namespace, so the CuPy path cannot fail on a missing
name when it finally meets a GPU. CuPy imports without a GPU, so this runs everywhere CuPy is installed."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "nadam_ref"


def xp_attribute_chains():
    """('sqrt', file), ('random.default_rng', file), ... for every attribute chain rooted at `xp` or `self.xp`."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                chain, base = [], node
                while isinstance(base, ast.Attribute):
                    chain.append(base.attr)
                    base = base.value
                names = list(reversed(chain))  # self.xp.copyto -> ['xp', 'copyto'] with base `self`
                if isinstance(base, ast.Name) and base.id != "xp" and names[:1] == ["xp"]:
                    names = names[1:]
                elif not (isinstance(base, ast.Name) and base.id == "xp"):
                    continue
                if names:
                    found.add((".".join(names), path.relative_to(PACKAGE.parent).as_posix()))
    return found


def longest_chains(chains):
    names = {c for c, _ in chains}
    return {(c, f) for c, f in chains if not any(other.startswith(c + ".") for other in names)}


def test_the_scan_finds_the_names_we_know_are_used():
    names = {c for c, _ in xp_attribute_chains()}
    assert {"sqrt", "maximum", "abs", "zeros_like", "copyto", "isfinite"} <= names


def test_every_xp_name_exists_in_cupy():
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (the gpu extra)")
    missing = []
    for chain, where in sorted(longest_chains(xp_attribute_chains())):
        obj = cupy
        try:
            for part in chain.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            missing.append(f"xp.{chain} ({where})")
    assert not missing, "not in CuPy's namespace: " + ", ".join(missing)
